// Every notification target against a real receiver where one runs here (Mailpit for SMTP with
// STARTTLS and auth, Prometheus Alertmanager), and a recorded-contract HTTP server for the SaaS
// event APIs (Teams, PagerDuty, Opsgenie) and the signed webhook. Each receiver answers the
// first attempt with 503: the retry carries the same delivery ID, and each target ends with
// exactly one message for the event even though the controller reported it twice.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { SENT_ANNOTATION } from '../../src/controllers/notify/sent-memory.js';
import { Notifier } from '../../src/controllers/notify/notifier.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { startAlertmanager, type Alertmanager } from '../harness/alertmanager.js';
import { testFleet } from '../harness/context.js';
import { installExitHooks } from '../harness/process.js';
import { startSmtpServer, type SmtpServer } from '../harness/smtp.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { waitFor } from '../harness/wait.js';

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

const dir = mkdtempSync(join(tmpdir(), 'gitfleet-notify-targets-'));
const SIGNING_KEY = 'hmac-signing-key-for-test';
let tenant: Tenant;
let notifier: Notifier;
let client: KubeClient;
let smtp: SmtpServer;
let am: Alertmanager;
let contract: Server;
let base = '';
const hits: Hit[] = [];
const failedOnce = new Set<string>();
/** The Application of the first test, whose SyncSucceeded the restart test sends again. */
let firstApp = '';

beforeAll(async () => {
  installExitHooks();
  // The recorded-contract server: answers like the real APIs (202 for PagerDuty and Opsgenie,
  // 200 "1" for Teams), after refusing each path's first attempt.
  contract = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const path = req.url ?? '';
      const status = failedOnce.has(path) ? (path.startsWith('/teams') ? 200 : 202) : 503;
      failedOnce.add(path);
      hits.push({ path, headers: req.headers, body, status });
      res
        .writeHead(status, { 'Content-Type': 'application/json' })
        .end(status === 503 ? '' : '{"status":"success"}');
    });
  });
  await new Promise<void>((r) => contract.listen(0, '127.0.0.1', () => r()));
  const a = contract.address();
  base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;

  const fleet = await testFleet();
  const pki = fleet.info.pki;
  [smtp, am] = await Promise.all([
    startSmtpServer(join(dir, 'smtp'), dir, { cert: pki.serverCert, key: pki.serverKey }),
    startAlertmanager(join(dir, 'am'), dir),
  ]);
  client = new KubeClient(await loadConnection({ file: fleet.clusters[0]?.kubeconfig ?? '' }));
  notifier = new Notifier({
    client,
    log: pino({ level: 'warn' }),
    baseDelayMs: 200,
    uiBaseUrl: 'https://gitfleet.example.test',
  });
  tenant = await startTenant('notify-tg', { notifier });
  const ns = tenant.ns;
  await tenant.hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'targets', namespace: ns },
    stringData: {
      teams: `${base}/teams/webhook`,
      signing: SIGNING_KEY,
      pd: 'pd-routing-key-0123',
      og: 'og-api-key-4567',
      ca: readFileSync(pki.caCert, 'utf8'),
    },
  });
  await tenant.hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'smtp-auth', namespace: ns },
    stringData: { username: smtp.username, password: smtp.password },
  });
  const rule = (name: string, destination: Record<string, unknown>): KubeObject => ({
    apiVersion: API_VERSION,
    kind: 'NotificationRule',
    metadata: { name, namespace: ns },
    spec: { triggers: ['SyncSucceeded'], destination },
  });
  for (const r of [
    rule('teams', { teams: { urlSecretRef: { name: 'targets', key: 'teams' } } }),
    rule('pagerduty', {
      pagerduty: { url: `${base}/pd/v2/enqueue`, routingKeySecretRef: { name: 'targets', key: 'pd' } },
    }),
    rule('opsgenie', { opsgenie: { url: `${base}/og`, apiKeySecretRef: { name: 'targets', key: 'og' } } }),
    rule('webhook', {
      webhook: { url: `${base}/hook`, signingSecretRef: { name: 'targets', key: 'signing' } },
    }),
    rule('alertmanager', { alertmanager: { url: am.url, severity: 'info' } }),
    rule('email', {
      email: {
        host: 'localhost',
        port: smtp.port,
        security: 'starttls',
        from: 'gitfleet@example.test',
        to: ['team@example.test'],
        authSecretRef: { name: 'smtp-auth' },
        caSecretRef: { name: 'targets', key: 'ca' },
        subjectTemplate: '[{{project}}] {{trigger}} {{app}}',
      },
    }),
  ])
    await tenant.hub.admin.create(r);
}, 120_000);

afterAll(async () => {
  tenant?.stop();
  client?.close();
  await Promise.all([smtp?.stop(), am?.stop(), new Promise((r) => contract?.close(r))]);
  rmSync(dir, { recursive: true, force: true });
});

describe('notification targets', () => {
  it('each target receives exactly one message per event, retries and repeats deduplicated', async () => {
    const { name, destNs } = await tenant.createApp(
      { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\ndata:\n  a: b\n' },
      {},
      { syncPolicy: { automated: { prune: true, selfHeal: true } } },
    );
    firstApp = name;
    const accepted = (prefix: string): Hit[] =>
      hits.filter((h) => h.path.startsWith(prefix) && h.status !== 503);
    await waitFor(
      'every target delivered',
      async () =>
        ['/teams', '/pd', '/og', '/hook'].every((p) => accepted(p).length > 0) &&
        (await am.alerts()).some((x) => x.labels.app === name) &&
        (await smtp.messages()).length > 0,
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    // The same event again: a hand edit healed by a second sync at the same revision.
    await tenant.hub.admin.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'watched', namespace: destNs },
        data: { a: 'edited' },
      },
      { fieldManager: 'kubectl-edit', force: true },
    );
    await waitFor(
      'drift healed',
      async () => {
        const cm = await tenant.hub.admin.get<KubeObject & { data: Record<string, string> }>({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: destNs,
          name: 'watched',
        });
        return cm.data.a === 'b';
      },
      { timeoutMs: 60_000 },
    );
    await notifier.drain();

    // HTTP targets: one 503, one accepted retry with the same delivery identity.
    for (const [prefix, idOf] of [
      ['/teams', (): string => 'n/a'],
      ['/pd', (h: Hit): string => (JSON.parse(h.body) as { dedup_key: string }).dedup_key],
      ['/og', (h: Hit): string => (JSON.parse(h.body) as { alias: string }).alias],
      ['/hook', (h: Hit): string => String(h.headers['x-gitfleet-delivery'])],
    ] as const) {
      const all = hits.filter((h) => h.path.startsWith(prefix));
      expect(
        all.map((h) => h.status),
        prefix,
      ).toEqual([503, prefix === '/teams' ? 200 : 202]);
      expect(new Set(all.map(idOf)).size, prefix).toBe(1);
    }

    const teams = JSON.parse(accepted('/teams')[0]?.body ?? '{}') as Record<string, unknown>;
    expect(teams).toMatchObject({ '@type': 'MessageCard', themeColor: '2EB886' });
    expect(JSON.stringify(teams)).toContain(`https://gitfleet.example.test/apps/${tenant.ns}/${name}`);
    expect(JSON.stringify(teams)).toContain(`"name":"Project","value":"${tenant.project}"`);

    const pd = JSON.parse(accepted('/pd')[0]?.body ?? '{}') as {
      routing_key: string;
      payload: Record<string, string>;
    };
    expect(pd.routing_key).toBe('pd-routing-key-0123');
    expect(pd.payload).toMatchObject({
      class: 'SyncSucceeded',
      group: tenant.project,
      component: `${tenant.ns}/${name}`,
    });

    const og = accepted('/og')[0] as Hit;
    expect(og.path).toBe('/og/v2/alerts');
    expect(og.headers.authorization).toBe('GenieKey og-api-key-4567');

    const hook = accepted('/hook')[0] as Hit;
    const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(hook.headers['x-gitfleet-signature']));
    expect(sig).not.toBeNull();
    expect(createHmac('sha256', SIGNING_KEY).update(`${sig?.[1]}.${hook.body}`).digest('hex')).toBe(sig?.[2]);
    expect(JSON.parse(hook.body)).toMatchObject({
      trigger: 'SyncSucceeded',
      app: name,
      project: tenant.project,
    });

    const alerts = (await am.alerts()).filter((x) => x.labels.app === name);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.labels).toMatchObject({
      alertname: 'GitfleetSyncSucceeded',
      namespace: tenant.ns,
      project: tenant.project,
      severity: 'info',
    });

    const mails = await smtp.messages();
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe(`[${tenant.project}] SyncSucceeded ${name}`);
    expect(mails[0]?.to).toEqual(['team@example.test']);
    expect(mails[0]?.text).toContain(`https://gitfleet.example.test/apps/${tenant.ns}/${name}`);

    // No credential reached any receiver's payload.
    const everything = JSON.stringify(hits) + JSON.stringify(mails) + JSON.stringify(alerts);
    expect(everything).not.toContain(smtp.password);
    expect(everything).not.toContain(SIGNING_KEY);
    expect(everything).not.toContain(tenant.fleet.info.git.admin.password);
  });

  it('a restarted hub does not send again what the rules record as sent', async () => {
    expect(firstApp).not.toBe('');
    // What the first test's deliveries left on a rule (after its drain, so recorded).
    const hook = await client.get<KubeObject>({
      apiVersion: API_VERSION,
      kind: 'NotificationRule',
      namespace: tenant.ns,
      name: 'webhook',
    });
    const recorded = JSON.parse(hook.metadata.annotations?.[SENT_ANNOTATION] ?? '{}') as Record<
      string,
      unknown
    >;
    expect(Object.keys(recorded)).toHaveLength(1);
    // Only hashes: no app name or message in the record.
    expect(JSON.stringify(recorded)).not.toContain(firstApp);
    const app = await client.get<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      namespace: tenant.ns,
      name: firstApp,
    });
    const before = hits.length;
    const mailsBefore = (await smtp.messages()).length;
    // A new Notifier has an empty memory, as after a restart: the same event is reported again.
    const restarted = new Notifier({ client, log: pino({ level: 'warn' }), baseDelayMs: 200 });
    restarted.notify({
      trigger: 'SyncSucceeded',
      namespace: tenant.ns,
      app: firstApp,
      labels: app.metadata.labels ?? {},
      message: 'sync succeeded',
      revision: app.status?.sync?.revision ?? '',
    });
    await restarted.drain();
    expect(hits.length).toBe(before);
    expect((await smtp.messages()).length).toBe(mailsBefore);
  });
});
