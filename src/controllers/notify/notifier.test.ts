import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationRule } from '../../api/notification.js';
import type { GitHost } from '../../githost/port.js';
import type { KubeClient } from '../../kube/client.js';
import { Notifier, type NotificationEvent } from './notifier.js';
import { commitStateOf, repoRefOf } from './targets/commit-status.js';
import { DELIVERY_HEADER, SIGNATURE_HEADER } from './targets/webhook.js';

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
const hits: Hit[] = [];
let failNext = 0;
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      hits.push({ path: req.url ?? '', headers: req.headers, body });
      if (failNext > 0) {
        failNext--;
        res.writeHead(503).end();
        return;
      }
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const SECRETS: Record<string, Record<string, string>> = {
  hooks: {
    teams: b64(''),
    signing: b64('s3cret-signing-key'),
    pd: b64('pd-routing-key'),
    og: b64('og-key'),
    token: b64('tok'),
  },
};

/** A stand-in for the API server: rules, one Application, Secrets (unit scope; e2e uses real ones). */
function fakeClient(rules: Record<string, NotificationRule[]>): KubeClient {
  return {
    request: ({ path }: { path: string }) => {
      const ns = /namespaces\/([^/]+)\//.exec(path)?.[1] ?? '';
      return Promise.resolve({ items: rules[ns] ?? [] });
    },
    getOrUndefined: (ref: { kind: string; name: string; namespace: string }) => {
      if (ref.kind === 'Secret') {
        const data = { ...SECRETS[ref.name] };
        if (ref.name === 'hooks') data.teams = b64(`${base}/teams`);
        return Promise.resolve(SECRETS[ref.name] ? { data } : undefined);
      }
      if (ref.kind === 'Application' && ref.name === 'web')
        return Promise.resolve({
          metadata: { name: 'web', namespace: ref.namespace },
          spec: {
            project: ref.namespace === 'team-a' ? 'proj-a' : 'proj-b',
            destination: { name: 'prod-eu', namespace: 'web' },
            source: { repoURL: 'https://user:pw@git.example.com/org/web.git?x=1' },
          },
        });
      return Promise.resolve(undefined);
    },
  } as unknown as KubeClient;
}

const rule = (
  ns: string,
  name: string,
  destination: NotificationRule['spec']['destination'],
  extra = {},
): NotificationRule => ({
  apiVersion: 'gitfleet.dev/v1alpha1',
  kind: 'NotificationRule',
  metadata: { name, namespace: ns, uid: `${ns}-${name}` },
  spec: { triggers: ['SyncFailed', 'SyncSucceeded'], destination, ...extra },
});
const ev = (over: Partial<NotificationEvent> = {}): NotificationEvent => ({
  trigger: 'SyncFailed',
  namespace: 'team-a',
  app: 'web',
  labels: {},
  message: 'apply failed',
  revision: 'a'.repeat(40),
  ...over,
});
const log = pino({ level: 'silent' });

describe('Notifier targets', () => {
  it('signs webhooks with HMAC-SHA256 over "<t>.<body>" and keeps one delivery ID across retries', async () => {
    hits.length = 0;
    failNext = 2;
    const n = new Notifier({
      client: fakeClient({
        'team-a': [
          rule('team-a', 'signed', {
            webhook: { url: `${base}/hook`, signingSecretRef: { name: 'hooks', key: 'signing' } },
          }),
        ],
      }),
      log,
      baseDelayMs: 5,
      uiBaseUrl: 'https://gitfleet.example.com/',
    });
    n.notify(ev());
    n.notify(ev()); // the same event again (a retried reconcile): deduplicated
    await n.drain();
    expect(hits).toHaveLength(3); // two 503s, then accepted
    const ids = new Set(hits.map((h) => h.headers[DELIVERY_HEADER.toLowerCase()]));
    expect(ids.size).toBe(1);
    const last = hits[2] as Hit;
    const sig = String(last.headers[SIGNATURE_HEADER.toLowerCase()]);
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig);
    expect(m).not.toBeNull();
    const expected = createHmac('sha256', 's3cret-signing-key').update(`${m?.[1]}.${last.body}`).digest();
    expect(timingSafeEqual(expected, Buffer.from(m?.[2] ?? '', 'hex'))).toBe(true);
    const body = JSON.parse(last.body) as Record<string, string>;
    expect(body).toMatchObject({
      trigger: 'SyncFailed',
      app: 'web',
      project: 'proj-a',
      cluster: 'prod-eu',
      revision: 'aaaaaaaaaaaa',
    });
    expect(body.url).toBe('https://gitfleet.example.com/apps/team-a/web');
    expect(body.repoURL).toBe('https://git.example.com/org/web.git');
    expect(last.body).not.toContain('pw@');
  });

  it('shapes Teams, PagerDuty, Opsgenie and Alertmanager payloads', async () => {
    hits.length = 0;
    failNext = 0;
    const n = new Notifier({
      client: fakeClient({
        'team-a': [
          rule('team-a', 'teams', { teams: { urlSecretRef: { name: 'hooks', key: 'teams' } } }),
          rule('team-a', 'pd', {
            pagerduty: {
              url: `${base}/pd`,
              routingKeySecretRef: { name: 'hooks', key: 'pd' },
              severity: 'critical',
            },
          }),
          rule('team-a', 'og', {
            opsgenie: { url: base, apiKeySecretRef: { name: 'hooks', key: 'og' }, priority: 'P2' },
          }),
          rule('team-a', 'am', { alertmanager: { url: `${base}/am/` } }),
        ],
      }),
      log,
      baseDelayMs: 5,
    });
    n.notify(ev());
    await n.drain();
    const by = (p: string): Hit => hits.find((h) => h.path === p) as Hit;
    const teams = JSON.parse(by('/teams').body) as Record<string, unknown>;
    expect(teams).toMatchObject({
      '@type': 'MessageCard',
      themeColor: 'E01E5A',
      title: 'SyncFailed: web on prod-eu',
    });
    expect(JSON.stringify(teams)).toContain('"name":"Project","value":"proj-a"');
    const pd = JSON.parse(by('/pd').body) as {
      routing_key: string;
      event_action: string;
      dedup_key: string;
      payload: Record<string, string>;
    };
    expect(pd).toMatchObject({ routing_key: 'pd-routing-key', event_action: 'trigger' });
    expect(pd.payload).toMatchObject({
      severity: 'critical',
      source: 'prod-eu',
      component: 'team-a/web',
      group: 'proj-a',
      class: 'SyncFailed',
    });
    expect(pd.dedup_key).toMatch(/^[0-9a-f]{32}$/);
    const og = by('/v2/alerts');
    expect(og.headers.authorization).toBe('GenieKey og-key');
    expect(JSON.parse(og.body)).toMatchObject({
      message: 'SyncFailed: team-a/web on prod-eu',
      priority: 'P2',
      tags: ['SyncFailed', 'proj-a', 'prod-eu'],
    });
    const am = JSON.parse(by('/am/api/v2/alerts').body) as [{ labels: Record<string, string> }];
    expect(am[0].labels).toEqual({
      alertname: 'GitfleetSyncFailed',
      trigger: 'SyncFailed',
      kind: 'Application',
      namespace: 'team-a',
      app: 'web',
      severity: 'warning',
      project: 'proj-a',
      dest_cluster: 'prod-eu',
    });
  });

  it('routes per Project: a team sees only its namespace; a hub rule naming a Project sees only that one', async () => {
    hits.length = 0;
    const n = new Notifier({
      client: fakeClient({
        'team-a': [rule('team-a', 'a', { webhook: { url: `${base}/a` } })],
        'team-b': [rule('team-b', 'b', { webhook: { url: `${base}/b` } })],
        'gitfleet-system': [
          rule('gitfleet-system', 'ops', { webhook: { url: `${base}/ops` } }, { projects: ['proj-b'] }),
        ],
      }),
      log,
      baseDelayMs: 5,
    });
    n.notify(ev({ namespace: 'team-a' }));
    n.notify(ev({ namespace: 'team-b' }));
    await n.drain();
    expect(
      hits.map((h) => `${h.path} ${(JSON.parse(h.body) as { namespace: string }).namespace}`).sort(),
    ).toEqual(['/a team-a', '/b team-b', '/ops team-b']);
  });

  it('does not retry a refusal, and names the Secret key that is missing', async () => {
    hits.length = 0;
    const warnings: string[] = [];
    const n = new Notifier({
      client: fakeClient({
        'team-a': [rule('team-a', 'nokey', { slack: { urlSecretRef: { name: 'hooks', key: 'slack' } } })],
      }),
      log: pino({ level: 'warn' }, { write: (s: string) => warnings.push(s) }),
      baseDelayMs: 5,
    });
    n.notify(ev());
    await n.drain();
    expect(hits).toHaveLength(0);
    expect(warnings.join('')).toContain(
      'NotificationRule team-a/nokey: Secret team-a/hooks has no key slack',
    );
  });

  it('sets commit statuses through the Git host port', async () => {
    const calls: unknown[] = [];
    const host = {
      provider: 'gitea',
      setCommitStatus: (...a: unknown[]) => (calls.push(a), Promise.resolve()),
    } as unknown as GitHost;
    let cfgToken = '';
    const n = new Notifier({
      client: fakeClient({
        'team-a': [
          rule('team-a', 'cs', {
            commitStatus: {
              provider: 'gitea',
              api: 'https://git.example.com',
              tokenSecretRef: { name: 'hooks', key: 'token' },
            },
          }),
        ],
      }),
      log,
      gitHost: (cfg) => ((cfgToken = cfg.token ?? ''), host),
    });
    n.notify(ev({ trigger: 'SyncSucceeded' }));
    await n.drain();
    expect(cfgToken).toBe('tok');
    expect(calls).toEqual([
      [
        { owner: 'org', repo: 'web' },
        'a'.repeat(40),
        expect.objectContaining({ state: 'success', context: 'gitfleet/prod-eu/web' }),
      ],
    ]);
    expect(repoRefOf('git@gitlab.example.com:group/sub/app.git')).toEqual({
      owner: 'group/sub',
      repo: 'app',
    });
    expect(commitStateOf('SyncRunning')).toBe('pending');
  });
});

describe('Notifier rule lookup', () => {
  it('reads rules from the watch cache when it can answer, and lists when it cannot', async () => {
    hits.length = 0;
    const lists: string[] = [];
    const client = fakeClient({
      'team-a': [rule('team-a', 'listed', { webhook: { url: `${base}/listed` } })],
    });
    const request = client.request.bind(client);
    (client as unknown as { request: typeof request }).request = ((o: { path: string }) => {
      lists.push(o.path);
      return request(o as never);
    }) as typeof request;
    let synced = false;
    const cache = {
      rulesFor: (ns: string) =>
        synced
          ? [
              rule('team-a', 'cached', { webhook: { url: `${base}/cached` } }),
              rule('gitfleet-system', 'hub-wide', { webhook: { url: `${base}/hub-wide` } }),
            ].filter((r) => r.metadata.namespace === ns || r.metadata.namespace === 'gitfleet-system')
          : undefined,
    };
    const n = new Notifier({ client, log, baseDelayMs: 5, rules: cache });
    n.notify(ev({ revision: 'b'.repeat(40) }));
    await n.drain();
    expect(hits.map((h) => h.path)).toEqual(['/listed']);
    expect(lists.length).toBeGreaterThan(0);
    hits.length = 0;
    lists.length = 0;
    synced = true;
    n.notify(ev({ revision: 'c'.repeat(40) }));
    await n.drain();
    expect(hits.map((h) => h.path).sort()).toEqual(['/cached', '/hub-wide']);
    expect(lists).toEqual([]);
  });
});
