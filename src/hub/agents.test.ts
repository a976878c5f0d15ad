import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { KubeClient } from '../kube/client.js';
import { createHubApp } from './server.js';

/**
 * A hub whose caches never filled (its API server unreachable) must not answer the agent
 * protocol: an empty assignment list would make every agent delete its Applications.
 */
describe('agent protocol before the caches are synced', () => {
  it('answers 503, never an empty assignment list, and accepts no report', async () => {
    const client = new KubeClient({ server: 'https://127.0.0.1:9', headers: {}, rejectUnauthorized: false });
    const { app, stop } = createHubApp({
      port: 0,
      webhookSecrets: {},
      onPush: () => [],
      api: { client, tokens: ['admin'] },
      log: pino({ level: 'silent' }),
    });
    try {
      const headers = { authorization: 'Bearer admin', 'content-type': 'application/json' };
      const poll = await app.request('/api/v1/agent/assignments?cluster=edge-1', { headers });
      expect(poll.status).toBe(503);
      expect(await poll.text()).not.toContain('"items"');
      const report = await app.request('/api/v1/agent/status', {
        method: 'POST',
        headers,
        body: JSON.stringify({
          cluster: 'edge-1',
          bootId: 'b',
          seq: 1,
          agentVersion: 'x',
          apps: [],
          events: [],
        }),
      });
      expect(report.status).toBe(503);
    } finally {
      stop();
      client.close();
    }
  });
});
