import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { KubeClient } from '../../kube/client.js';
import { HealthConfig } from './health-config.js';

// The cluster-wide health ConfigMap is read once per TTL: concurrent reconciles (one per worker)
// share the read in flight instead of sending a GET each.

describe('HealthConfig cluster-wide read', () => {
  it('shares one GET between concurrent reconciles, and serves later ones from it', async () => {
    let gets = 0;
    let answer: (v: undefined) => void = () => {};
    const client = {
      getOrUndefined: () => {
        gets++;
        return new Promise<undefined>((r) => (answer = r));
      },
    } as unknown as KubeClient;
    const cfg = new HealthConfig(client, 'gitfleet-system', pino({ level: 'silent' }));
    const reads = Promise.all([cfg.overrides(), cfg.overrides(), cfg.overrides(), cfg.overrides()]);
    await Promise.resolve();
    answer(undefined);
    const maps = await reads;
    expect(gets).toBe(1);
    expect(new Set(maps).size).toBe(1);
    await cfg.overrides();
    expect(gets).toBe(1);
  });

  it('an unreadable ConfigMap means no cluster-wide rules (the built-in health)', async () => {
    let gets = 0;
    const client = {
      getOrUndefined: () => {
        gets++;
        return Promise.reject(new Error('down'));
      },
    } as unknown as KubeClient;
    const cfg = new HealthConfig(client, 'gitfleet-system', pino({ level: 'silent' }));
    expect((await cfg.overrides()).size).toBe(0);
    expect(gets).toBe(1);
  });
});
