// One process simulating many agents over the real protocol (HTTP long-poll of assignments,
// ordered status batches), driven by the benchmark over IPC. Forked by bench/agents/main.ts.
import { randomUUID } from 'node:crypto';
import {
  AGENT_API,
  type AppReport,
  type AssignmentList,
  type StatusAck,
  type StatusBatch,
} from '../../src/api/agent.js';
import type { ApplicationStatus } from '../../src/api/application.js';
import { HubClient } from '../../src/core/hub-client.js';

interface SimAgent {
  cluster: string;
  token: string;
}
type Command =
  | { type: 'start'; hub: string; agents: SimAgent[]; appsPerAgent: number; namespace: string }
  | { type: 'set'; cluster: string; app: string; health: 'Healthy' | 'Progressing' }
  | { type: 'stop' };

const REVISION = 'a'.repeat(40);

function status(health: string): ApplicationStatus {
  return {
    sync: { status: 'Synced', revision: REVISION },
    health: { status: health as 'Healthy' },
    reconciledAt: new Date().toISOString(),
    history: [
      { id: 1, revision: REVISION, deployedAt: '2026-11-25T00:00:00Z', source: { repoURL: 'http://git/x' } },
    ],
  };
}

class Sim {
  readonly hub: HubClient;
  readonly bootId = randomUUID();
  seq = 0;
  queue: AppReport[] = [];
  sending = false;
  stopped = false;
  assignments = 0;

  constructor(
    readonly a: SimAgent,
    url: string,
    readonly namespace: string,
    readonly apps: number,
  ) {
    this.hub = new HubClient({ url, token: a.token, userAgent: 'sim' });
  }

  start(): void {
    for (let i = 0; i < this.apps; i++) this.report(`${this.a.cluster}-app-${i}`, 'Healthy');
    void this.poll();
  }

  report(app: string, health: string): void {
    this.queue.push({
      origin: 'assigned',
      namespace: this.namespace,
      name: app,
      status: status(health),
      observedAt: new Date().toISOString(),
    });
    void this.flush();
  }

  async flush(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    let backoff = 250;
    while (this.queue.length && !this.stopped) {
      const apps = this.queue.slice(0, 200);
      const batch: StatusBatch = {
        cluster: this.a.cluster,
        bootId: this.bootId,
        seq: this.seq + 1,
        agentVersion: 'sim',
        apps,
        events: [],
      };
      try {
        const ack = await this.hub.request<StatusAck>('POST', `${AGENT_API}/status`, {
          body: batch,
          timeoutMs: 60_000,
        });
        if (ack.seq >= batch.seq) {
          this.seq = batch.seq;
          this.queue.splice(0, apps.length);
        }
        backoff = 250;
      } catch {
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 2000);
      }
    }
    this.sending = false;
  }

  async poll(): Promise<void> {
    let version: string | undefined;
    while (!this.stopped) {
      try {
        const q = new URLSearchParams({ cluster: this.a.cluster, wait: '30' });
        if (version) q.set('version', version);
        const list = await this.hub.request<AssignmentList>('GET', `${AGENT_API}/assignments?${q}`, {
          timeoutMs: 45_000,
        });
        version = list.version;
        this.assignments = list.items.length;
      } catch {
        await new Promise((r) => setTimeout(r, 1000 + Math.random() * 1000));
      }
    }
  }
}

const sims = new Map<string, Sim>();
process.on('message', (m: Command) => {
  if (m.type === 'start') {
    for (const a of m.agents) {
      const s = new Sim(a, m.hub, m.namespace, m.appsPerAgent);
      sims.set(a.cluster, s);
      s.start();
    }
    if (process.connected) process.send?.({ type: 'started' });
  } else if (m.type === 'set') {
    sims.get(m.cluster)?.report(m.app, m.health);
  } else {
    for (const s of sims.values()) {
      s.stopped = true;
      s.hub.close();
    }
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
setInterval(() => {
  let pending = 0;
  let assigned = 0;
  for (const s of sims.values()) {
    pending += s.queue.length;
    assigned += s.assignments;
  }
  if (process.connected) process.send?.({ type: 'stats', pending, assigned });
}, 1000);
