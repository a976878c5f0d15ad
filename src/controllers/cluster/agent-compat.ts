import type { Condition } from '../../api/application.js';
import type { Cluster, ClusterConditionType } from '../../api/cluster.js';
import { agentSkewRefusal } from '../../core/version-skew.js';

export const AGENT_COMPATIBLE = 'AgentCompatible';

/** What the hub writes on a Cluster after judging its agents' versions, when anything changes. */
export interface AgentCompatDecision {
  conditions: Condition<ClusterConditionType>[];
  /** Said on a real transition only (a refused agent retries every few seconds). */
  event?: { type: 'Normal' | 'Warning'; reason: string; message: string };
  /** Whether the condition written notes a refused agent connected beside a served one. */
  noted: boolean;
}

/** What one hub replica knows of a cluster's agents. */
export interface AgentView {
  /** Versions of the agents with a live connection to this replica (sorted or not; deduplicated here). */
  live: string[];
  /**
   * The version of a compatible agent another replica served recently (its heartbeat on the
   * Cluster is newer than this replica's own): that agent counts as live too.
   */
  servedElsewhere?: string | undefined;
  /**
   * Whether this replica may drop a note about a refused agent from a True condition: only the
   * replica that wrote it knows that agent has gone (another one never saw it).
   */
  ownsNote: boolean;
}

const NOTE = '; also connected and refused: ';

/**
 * Judges the agents of a cluster that are live right now and says what its `AgentCompatible`
 * condition becomes. During a roll-out an old and a new agent run side by side, each contacting
 * the hub: the answer is decided from all of them, never from the last contact alone, so it does
 * not flip with each connection.
 * - True when any live agent is served (WithinSkew, or VersionNotJudged for versions that are not
 *   x.y.z); a refused agent live beside it is named in the message, with its refusal.
 * - False (VersionSkew) only when every live agent is refused; the message is the refusal(s).
 * - No live agent that names a version: undefined (nothing to judge; the condition stays).
 * Events: Warning on a refusal becoming the answer (or a new refused version while False), Normal
 * on True after False; none for a first True or for a message that only gains or loses its note.
 * Returns undefined when the condition already says this. Pure: the hub's agent routes write it.
 */
export function judgeAgents(
  status: Cluster['status'],
  hub: string,
  view: AgentView,
  now: string,
): AgentCompatDecision | undefined {
  const versions = [...new Set(view.live.filter((v) => v !== ''))].sort();
  const refused = versions.flatMap((v) => {
    const why = agentSkewRefusal(hub, v);
    return why ? [why] : [];
  });
  const served = versions.filter((v) => !agentSkewRefusal(hub, v));
  if (view.servedElsewhere && !served.includes(view.servedElsewhere)) served.push(view.servedElsewhere);
  if (!served.length && !refused.length) return undefined;
  const current = status?.conditions?.find((c) => c.type === AGENT_COMPATIBLE);
  let want: Omit<Condition<ClusterConditionType>, 'lastTransitionTime'>;
  let noted = false;
  if (served.length) {
    const judged = served.every((v) => isRelease(hub) && isRelease(v));
    const list = served.join(', ');
    const base = judged
      ? `agent version${served.length > 1 ? 's' : ''} ${list} ${served.length > 1 ? 'are' : 'is'} within the supported skew with hub ${hub} (same major, minors at most one apart)`
      : `agent version ${list} or hub version ${hub} is not a release version (x.y.z): skew not judged`;
    noted = refused.length > 0;
    want = {
      type: AGENT_COMPATIBLE,
      status: 'True',
      reason: judged ? 'WithinSkew' : 'VersionNotJudged',
      message: noted ? `${base}${NOTE}${refused.join('; ')}` : base,
    };
    // Another replica's note about a refused agent this one never saw stays until that replica
    // (or a refusal) changes it: two replicas must not rewrite the message in turn.
    if (
      !noted &&
      !view.ownsNote &&
      current?.status === 'True' &&
      current.reason === want.reason &&
      current.message.startsWith(`${base}${NOTE}`)
    )
      return undefined;
  } else
    want = { type: AGENT_COMPATIBLE, status: 'False', reason: 'VersionSkew', message: refused.join('; ') };
  if (current?.status === want.status && current.reason === want.reason && current.message === want.message)
    return undefined;
  const transitioned = current?.status !== want.status;
  const condition = {
    ...want,
    lastTransitionTime: transitioned || !current ? now : current.lastTransitionTime,
  };
  const others = (status?.conditions ?? []).filter((c) => c.type !== AGENT_COMPATIBLE);
  const decision: AgentCompatDecision = { conditions: [...others, condition], noted };
  // A refusal becoming the answer (or another refusal while refused) is a Warning; served again
  // after a refusal is Normal. A first compatible report, or a note coming and going, is no news.
  if (want.status === 'False')
    decision.event = { type: 'Warning', reason: 'VersionSkew', message: want.message };
  else if (current?.status === 'False')
    decision.event = { type: 'Normal', reason: 'AgentCompatible', message: want.message };
  return decision;
}

/**
 * One agent judged alone: judgeAgents with that agent as the only live one (undefined when it
 * names no version).
 */
export function judgeAgentVersion(
  status: Cluster['status'],
  hub: string,
  agent: string | undefined,
  now: string,
): AgentCompatDecision | undefined {
  return judgeAgents(status, hub, { live: agent ? [agent] : [], ownsNote: true }, now);
}

const isRelease = (v: string): boolean => /^v?\d+\.\d+/.test(v);
