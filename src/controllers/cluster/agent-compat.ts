import type { Condition } from '../../api/application.js';
import type { Cluster, ClusterConditionType } from '../../api/cluster.js';
import { agentSkewRefusal } from '../../core/version-skew.js';

export const AGENT_COMPATIBLE = 'AgentCompatible';

/** What the hub writes on a Cluster after judging its agent's version, when anything changes. */
export interface AgentCompatDecision {
  conditions: Condition<ClusterConditionType>[];
  /** Said once per change (a refused agent retries every few seconds; the Event is not repeated). */
  event?: { type: 'Normal' | 'Warning'; reason: string; message: string };
}

/**
 * Judges an agent of `agent` version against the hub's and says what the Cluster's
 * `AgentCompatible` condition becomes: False with reason VersionSkew (the message names both
 * versions and the supported range) when the hub refuses it, True when it is served. Returns
 * undefined when the condition already says so, so a refused agent's retries write nothing.
 * Pure: the hub's agent routes write the answer.
 */
export function judgeAgentVersion(
  status: Cluster['status'],
  hub: string,
  agent: string | undefined,
  now: string,
): AgentCompatDecision | undefined {
  // An agent that names no version says nothing to judge (agentSkewRefusal lets it through).
  if (!agent) return undefined;
  const refusal = agentSkewRefusal(hub, agent);
  const want: Omit<Condition<ClusterConditionType>, 'lastTransitionTime'> = refusal
    ? { type: AGENT_COMPATIBLE, status: 'False', reason: 'VersionSkew', message: refusal }
    : judged(hub, agent)
      ? {
          type: AGENT_COMPATIBLE,
          status: 'True',
          reason: 'WithinSkew',
          message: `agent version ${agent} is within the supported skew with hub ${hub} (same major, minors at most one apart)`,
        }
      : {
          type: AGENT_COMPATIBLE,
          status: 'True',
          reason: 'VersionNotJudged',
          message: `agent version ${agent} or hub version ${hub} is not a release version (x.y.z): skew not judged`,
        };
  const others = (status?.conditions ?? []).filter((c) => c.type !== AGENT_COMPATIBLE);
  const current = status?.conditions?.find((c) => c.type === AGENT_COMPATIBLE);
  if (current?.status === want.status && current.reason === want.reason && current.message === want.message)
    return undefined;
  const transitioned = current?.status !== want.status;
  const condition = {
    ...want,
    lastTransitionTime: transitioned || !current ? now : current.lastTransitionTime,
  };
  const decision: AgentCompatDecision = { conditions: [...others, condition] };
  // A new refusal (or a refused agent of another version) is a Warning; being served again after
  // a refusal is Normal. A first compatible report of a cluster is no news: no Event.
  if (want.status === 'False')
    decision.event = { type: 'Warning', reason: 'VersionSkew', message: want.message };
  else if (current?.status === 'False')
    decision.event = { type: 'Normal', reason: 'AgentCompatible', message: want.message };
  return decision;
}

const judged = (hub: string, agent: string): boolean => /^v?\d+\.\d+/.test(hub) && /^v?\d+\.\d+/.test(agent);
