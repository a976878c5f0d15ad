import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { KubeClient } from '../../kube/client.js';
import { PushDelivery } from './push-clusters.js';

const client = (name: string): KubeClient => ({ server: name }) as unknown as KubeClient;

describe('PushDelivery', () => {
  it('drives each push-mode cluster this replica owns once, and follows its client', async () => {
    const log: string[] = [];
    let known: [string, KubeClient][] = [];
    let owned = new Set(['a', 'b']);
    const d = new PushDelivery({
      known: () => Promise.resolve(known),
      owns: (n) => owned.has(n),
      log: pino({ level: 'silent' }),
      make: (c, n) => ({
        start: () => log.push(`start ${n} ${c.server}`),
        stop: () => log.push(`stop ${n} ${c.server}`),
      }),
    });
    const a1 = client('a1');
    known = [
      ['in-cluster', client('mgmt')],
      ['a', a1],
      ['c', client('c1')],
    ];
    await d.sync();
    expect(log).toEqual(['start a a1']);
    await d.sync();
    expect(log).toEqual(['start a a1']);
    // A new cluster's first app; then a's client replaced (new credentials); then b leaves this shard.
    known = [
      ['a', client('a2')],
      ['b', client('b1')],
    ];
    await d.sync();
    expect(log.slice(1)).toEqual(['stop a a1', 'start a a2', 'start b b1']);
    owned = new Set(['a']);
    await d.sync();
    expect(log.at(-1)).toBe('stop b b1');
    expect(d.clusters).toEqual(['a']);
    d.stop();
    expect(log.at(-1)).toBe('stop a a2');
  });

  it('keeps what runs when the resolver cannot answer', async () => {
    let fail = false;
    const started: string[] = [];
    const d = new PushDelivery({
      known: () => (fail ? Promise.reject(new Error('boom')) : Promise.resolve([['a', client('a1')]])),
      owns: () => true,
      log: pino({ level: 'silent' }),
      make: (_c, n) => ({ start: () => started.push(n), stop: () => started.push(`-${n}`) }),
    });
    await d.sync();
    fail = true;
    await d.sync();
    expect(started).toEqual(['a']);
    expect(d.clusters).toEqual(['a']);
    d.stop();
  });
});
