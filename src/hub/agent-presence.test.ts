import { describe, expect, it } from 'vitest';
import { AgentPresence } from './agent-presence.js';

describe('AgentPresence', () => {
  it('an agent is live while its long-poll is open, however long, and for the window after', () => {
    const p = new AgentPresence(15_000);
    const end = p.open('edge', '0.1.0', 0);
    expect(p.live('edge', 600_000)).toEqual(['0.1.0']);
    end(600_000);
    expect(p.live('edge', 610_000)).toEqual(['0.1.0']);
    expect(p.live('edge', 615_001)).toEqual([]);
  });

  it('sees an old and a new agent of one cluster together while both keep contacting it', () => {
    const p = new AgentPresence(15_000);
    p.open('edge', '0.1.0', 0);
    for (let t = 0; t <= 60_000; t += 2_000) p.touch('edge', '0.3.0', t);
    expect(p.live('edge', 60_000)).toEqual(['0.1.0', '0.3.0']);
    expect(p.live('other', 60_000)).toEqual([]);
  });

  it('forgets a refused agent that stopped retrying, and ignores agents that name no version', () => {
    const p = new AgentPresence(15_000);
    p.touch('edge', '0.3.0', 0);
    p.touch('edge', undefined, 0);
    expect(p.live('edge', 10_000)).toEqual(['0.3.0']);
    expect(p.live('edge', 15_001)).toEqual([]);
  });

  it('counts each open request once: an answer called twice does not end another request', () => {
    const p = new AgentPresence(1_000);
    const a = p.open('edge', '0.1.0', 0);
    p.open('edge', '0.1.0', 0);
    a(10);
    a(10);
    expect(p.live('edge', 100_000)).toEqual(['0.1.0']);
  });
});
