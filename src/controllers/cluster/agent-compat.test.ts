import { describe, expect, it } from 'vitest';
import { AGENT_COMPATIBLE, judgeAgents, judgeAgentVersion } from './agent-compat.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:05:00.000Z';

describe('judgeAgentVersion', () => {
  it('refuses an agent two minors away: False/VersionSkew naming both versions and the range, with a Warning', () => {
    const d = judgeAgentVersion({ agentVersion: '0.2.0' }, '0.1.0', '0.3.0', T0);
    expect(d?.conditions).toEqual([
      expect.objectContaining({
        type: AGENT_COMPATIBLE,
        status: 'False',
        reason: 'VersionSkew',
        lastTransitionTime: T0,
      }),
    ]);
    const message = d?.conditions[0]?.message ?? '';
    expect(message).toContain('0.3.0');
    expect(message).toContain('hub 0.1.0');
    expect(message).toContain('minors at most one apart');
    expect(d?.event).toEqual({ type: 'Warning', reason: 'VersionSkew', message });
  });

  it('writes nothing and says nothing again while the same agent keeps being refused', () => {
    const first = judgeAgentVersion({}, '0.1.0', '0.3.0', T0);
    expect(judgeAgentVersion({ conditions: first?.conditions ?? [] }, '0.1.0', '0.3.0', T1)).toBeUndefined();
  });

  it('a refused agent of another version is news: new message, same transition time', () => {
    const first = judgeAgentVersion({}, '0.1.0', '0.3.0', T0);
    const next = judgeAgentVersion({ conditions: first?.conditions ?? [] }, '0.1.0', '1.1.0', T1);
    expect(next?.conditions[0]).toMatchObject({
      status: 'False',
      reason: 'VersionSkew',
      lastTransitionTime: T0,
    });
    expect(next?.conditions[0]?.message).toContain('major version 1');
    expect(next?.event?.type).toBe('Warning');
  });

  it('a served agent after a refusal clears it: True/WithinSkew with a Normal Event', () => {
    const refused = judgeAgentVersion({}, '0.1.0', '0.3.0', T0);
    const back = judgeAgentVersion({ conditions: refused?.conditions ?? [] }, '0.1.0', '0.2.0', T1);
    expect(back?.conditions).toEqual([
      expect.objectContaining({
        type: AGENT_COMPATIBLE,
        status: 'True',
        reason: 'WithinSkew',
        lastTransitionTime: T1,
      }),
    ]);
    expect(back?.event).toMatchObject({ type: 'Normal', reason: 'AgentCompatible' });
  });

  it('a first compatible agent gets True without an Event; an agent naming no version is not judged', () => {
    const d = judgeAgentVersion(undefined, '0.2.0', '0.1.5', T0);
    expect(d?.conditions[0]).toMatchObject({ status: 'True', reason: 'WithinSkew' });
    expect(d?.event).toBeUndefined();
    expect(judgeAgentVersion(undefined, '0.2.0', undefined, T0)).toBeUndefined();
    expect(judgeAgentVersion(undefined, '0.2.0', 'dev', T0)?.conditions[0]).toMatchObject({
      status: 'True',
      reason: 'VersionNotJudged',
    });
  });

  it('keeps the Cluster’s other conditions', () => {
    const other = {
      type: 'AgentCompatible' as const,
      status: 'True' as const,
      reason: 'x',
      message: 'y',
      lastTransitionTime: T0,
    };
    const d = judgeAgentVersion({ conditions: [other] }, '0.1.0', '0.3.0', T1);
    expect(d?.conditions).toHaveLength(1);
    expect(d?.conditions[0]?.lastTransitionTime).toBe(T1);
  });
});

describe('judgeAgents during a roll-out (old and new agent both connected)', () => {
  const HUB = '0.2.0';
  const trueWithin = judgeAgents(undefined, HUB, { live: ['0.2.0'], ownsNote: true }, T0);

  it('stays True while a served agent is live beside a refused one, naming the refused one, without an Event', () => {
    const d = judgeAgents(
      { conditions: trueWithin?.conditions ?? [] },
      HUB,
      { live: ['0.2.0', '0.4.0'], ownsNote: true },
      T1,
    );
    expect(d?.conditions[0]).toMatchObject({ status: 'True', reason: 'WithinSkew', lastTransitionTime: T0 });
    expect(d?.conditions[0]?.message).toContain('agent version 0.2.0 is within');
    expect(d?.conditions[0]?.message).toContain('also connected and refused: agent version 0.4.0');
    expect(d?.event).toBeUndefined();
    expect(d?.noted).toBe(true);
    // Each further contact of either agent, in any order, changes nothing.
    for (const live of [
      ['0.4.0', '0.2.0'],
      ['0.2.0', '0.4.0', '0.4.0'],
    ])
      expect(
        judgeAgents({ conditions: d?.conditions ?? [] }, HUB, { live, ownsNote: true }, T1),
      ).toBeUndefined();
  });

  it('turns False with one Warning only once no served agent is live', () => {
    const both = judgeAgents(
      { conditions: trueWithin?.conditions ?? [] },
      HUB,
      { live: ['0.2.0', '0.4.0'], ownsNote: true },
      T0,
    );
    const gone = judgeAgents(
      { conditions: both?.conditions ?? [] },
      HUB,
      { live: ['0.4.0'], ownsNote: true },
      T1,
    );
    expect(gone?.conditions[0]).toMatchObject({
      status: 'False',
      reason: 'VersionSkew',
      lastTransitionTime: T1,
    });
    expect(gone?.conditions[0]?.message).not.toContain('also connected');
    expect(gone?.event).toMatchObject({ type: 'Warning', reason: 'VersionSkew' });
    expect(
      judgeAgents({ conditions: gone?.conditions ?? [] }, HUB, { live: ['0.4.0'], ownsNote: true }, T1),
    ).toBeUndefined();
  });

  it('a served agent joining refused ones turns it True with a Normal Event', () => {
    const refused = judgeAgents(undefined, HUB, { live: ['0.4.0'], ownsNote: true }, T0);
    const back = judgeAgents(
      { conditions: refused?.conditions ?? [] },
      HUB,
      { live: ['0.4.0', '0.1.0'], ownsNote: true },
      T1,
    );
    expect(back?.conditions[0]).toMatchObject({ status: 'True', lastTransitionTime: T1 });
    expect(back?.event).toMatchObject({ type: 'Normal', reason: 'AgentCompatible' });
  });

  it('drops the note when the refused agent is gone, without an Event; a replica that did not write it leaves it', () => {
    const both = judgeAgents(
      { conditions: trueWithin?.conditions ?? [] },
      HUB,
      { live: ['0.2.0', '0.4.0'], ownsNote: true },
      T0,
    );
    const status = { conditions: both?.conditions ?? [] };
    const cleared = judgeAgents(status, HUB, { live: ['0.2.0'], ownsNote: true }, T1);
    expect(cleared?.conditions[0]?.message).not.toContain('also connected');
    expect(cleared?.event).toBeUndefined();
    expect(cleared?.noted).toBe(false);
    expect(judgeAgents(status, HUB, { live: ['0.2.0'], ownsNote: false }, T1)).toBeUndefined();
  });

  it('counts a compatible agent another replica served as live: a refused one here does not turn it False', () => {
    const d = judgeAgents(
      { conditions: trueWithin?.conditions ?? [] },
      HUB,
      { live: ['0.4.0'], servedElsewhere: '0.2.0', ownsNote: false },
      T1,
    );
    expect(d?.conditions[0]).toMatchObject({ status: 'True', lastTransitionTime: T0 });
    expect(d?.event).toBeUndefined();
  });

  it('judges nothing when no live agent names a version', () => {
    expect(
      judgeAgents(
        trueWithin ? { conditions: trueWithin.conditions } : undefined,
        HUB,
        { live: [''], ownsNote: true },
        T1,
      ),
    ).toBeUndefined();
  });
});
