import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { SYNC_REQUESTED_BY_ANNOTATION } from '../../src/api/application.js';
import { startHubServer } from '../../src/hub/server.js';
import { defaultUiDir } from '../../src/hub/static.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { createNamespace, testFleet, uniqueName, type ClusterHandle } from '../harness/context.js';
import { startControllers, type TestControllers } from '../harness/controllers.js';

const TOKEN = 'ui-e2e-token';
const CHROMIUM = '/usr/bin/chromium';
/** What this machine's Chromium needs headless as root with no outside network (see the env notes). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SHOTS = resolve('.gitfleet-run/screenshots');

let hub: ClusterHandle;
let ns: string;
let destNs: string;
let client: KubeClient;
let controllers: TestControllers;
let server: Awaited<ReturnType<typeof startHubServer>>;
let browser: Browser;
let page: Page;
let repo: string;
const app = uniqueName('shop');
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-ui-'));

const deployment = JSON.stringify({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
    },
  },
});
const configMap = (colour: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  colour: ${colour}\n`;

const cell = (): string => `[data-testid="cell-${ns}-${app}"]`;
const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const getApp = (): Promise<Application> =>
  hub.admin.get<Application>({ apiVersion: API_VERSION, kind: 'Application', namespace: ns, name: app });

beforeAll(async () => {
  // A missing build or browser is a setup error with its fix, not a mystery timeout later.
  const ui = defaultUiDir();
  if (!ui || !existsSync(join(ui, 'index.html'))) throw new Error('the web UI is not built: run `make ui`');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  mkdirSync(SHOTS, { recursive: true });

  const fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  await installCrds(hub.admin);
  ns = await createNamespace(hub.admin, 'ui');
  destNs = await createNamespace(hub.admin, 'ui-dest');
  client = new KubeClient(await loadConnection({ file: hub.kubeconfig }));
  controllers = await startControllers({
    kubeconfig: hub.kubeconfig,
    namespace: ns,
    cacheDir: join(dir, 'sources'),
    apps: true,
  });
  server = await startHubServer({
    port: 0,
    webhookSecrets: {},
    onPush: () => [],
    api: { client, tokens: [TOKEN] },
    log: pino({ level: 'warn' }),
  });
  repo = uniqueName('ui');
  await fleet.git.createRepo(repo);
  await fleet.git.commit(repo, { 'web.json': deployment, 'settings.yaml': configMap('blue') });
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: ns },
    stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
  });
  // Automated without selfHeal: pushes sync by themselves, hand edits stay until someone syncs.
  await hub.admin.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name: app, namespace: ns },
    spec: {
      source: { repoURL: fleet.git.repoUrl(repo), secretRef: { name: 'creds' } },
      destination: { namespace: destNs },
      syncPolicy: { automated: { prune: true } },
    },
  } as KubeObject);

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  // Chromium reports what the hub's Content-Security-Policy blocked on the console.
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (load|execute|apply|connect|frame)/iu.test(m.text()))
      cspViolations.push(m.text());
  });
});

afterAll(async () => {
  await browser?.close();
  controllers?.stop();
  await server?.close();
  client?.close();
  rmSync(dir, { recursive: true, force: true });
});

const url = (path = '/'): string => `http://127.0.0.1:${server.port}${path}`;

async function signIn(token: string): Promise<void> {
  await page.goto(url());
  await page.fill('#token', token);
  await page.click('button[type=submit]');
}

/** Signs in and waits for the fleet page; a refusal fails with the UI's own words. */
async function signInOk(token: string): Promise<void> {
  await signIn(token);
  await page.locator('[data-testid="login-error"], input[aria-label="name filter"]').first().waitFor();
  const error = page.locator('[data-testid="login-error"]');
  if (await error.count()) throw new Error(`sign-in refused: ${await error.textContent()}`);
}

const cspViolations: string[] = [];

describe('web UI in Chromium', () => {
  it('is served for its own routes, and leaves the API and missing assets alone', async () => {
    for (const path of ['/', `/apps/${ns}/${app}`, '/rollouts']) {
      const res = await fetch(url(path));
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain('text/html');
      expect(await res.text(), path).toContain('<div id="root">');
    }
    const api = await fetch(url('/api/v1/no-such-route'), { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/json');
    expect((await fetch(url('/assets/no-such-file.js'))).status).toBe(404);
    expect((await fetch(url('/../../package.json'))).status).not.toBe(500);
    expect(await (await fetch(url('/healthz'))).text()).toBe('ok');
  });

  it('shows an error for a wrong token and keeps the login screen', async () => {
    await signIn('not-the-token');
    const error = page.locator('[data-testid="login-error"]');
    await error.waitFor({ timeout: 10_000 });
    expect(await error.textContent()).toContain('refused');
    expect(await page.locator('[data-testid="matrix"]').count()).toBe(0);
    await shot('01-login-refused');
  });

  it('shows a pushed change turning Synced in the matrix, without a reload', async () => {
    await signInOk(TOKEN);
    await page.locator('[data-testid="whoami"]', { hasText: 'admin' }).waitFor({ timeout: 10_000 });
    // The fleet is shared by every e2e file: narrow the matrix to this test's row.
    await page.fill('input[aria-label="name filter"]', app);
    await page.locator(`${cell()}[data-sync="Synced"]`).waitFor({ timeout: 60_000 });
    const fleet = await testFleet();
    const sha = await fleet.git.commit(repo, { 'settings.yaml': configMap('green') });
    // The page is never reloaded: the cell changes through the event stream.
    await page.locator(`${cell()}[data-sync="Synced"][data-revision="${sha}"]`).waitFor({ timeout: 60_000 });
    expect(await page.locator(cell()).getAttribute('data-drift')).toBe('false');
    await shot('02-matrix-synced');
  });

  it('shows a hand edit turning OutOfSync, marked as drift', async () => {
    await hub.admin.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${destNs}/configmaps/settings`,
      body: { data: { colour: 'hand-edited' } },
      contentType: 'application/merge-patch+json',
    });
    await page.locator(`${cell()}[data-sync="OutOfSync"]`).waitFor({ timeout: 60_000 });
    await page.locator(`${cell()}[data-drift="true"]`).waitFor({ timeout: 15_000 });
    await shot('03-matrix-drift');
  });

  it('heals the drift with the sync button after a confirmation', async () => {
    await page.click(cell());
    await page.waitForURL(`**/apps/${ns}/${app}`);
    await page.locator('[data-testid="resource-tree"] .tree-node').first().waitFor({ timeout: 20_000 });
    expect(await page.locator('pre.diff').first().textContent()).toContain('hand-edited');
    await shot('04-app-out-of-sync');
    await page.click('[data-testid="sync-button"]');
    await page.locator('dialog.confirm').waitFor();
    await shot('05-confirm-sync');
    await page.click('[data-testid="confirm"]');
    await page
      .locator('[data-testid="app-sync"] .badge', { hasText: /^Synced$/ })
      .waitFor({ timeout: 120_000 });
    expect((await getApp()).metadata.annotations?.[SYNC_REQUESTED_BY_ANNOTATION]).toBe('admin');
    const cm = await hub.admin.get<KubeObject & { data: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: destNs,
      name: 'settings',
    });
    expect(cm.data.colour).toBe('green');
    // The tree is the live one: Deployment → ReplicaSet → Pod.
    await page
      .locator('[data-testid="resource-tree"] li li li .tree-node', { hasText: 'Pod' })
      .first()
      .waitFor({ timeout: 30_000 });
    await shot('06-app-synced');
    // A reload keeps the page: the hub serves index.html for it and the token survives in the tab.
    await page.reload();
    await page
      .locator('[data-testid="app-sync"] .badge', { hasText: /^Synced$/ })
      .waitFor({ timeout: 20_000 });
    await page.click('a.brand');
    await page.fill('input[aria-label="name filter"]', app);
    await page.locator(`${cell()}[data-sync="Synced"][data-drift="false"]`).waitFor({ timeout: 30_000 });
    // Its waits add up to more than the default test timeout on a loaded machine.
  }, 300_000);

  it('ran under the hub’s security headers with nothing blocked', async () => {
    const res = await fetch(url('/'));
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    // Every test above drove the UI: a style, script or connection the policy refused would be here.
    expect(cspViolations).toEqual([]);
  });

  it('shows a banner when the hub stops answering', async () => {
    expect(await page.locator('[data-testid="unreachable-banner"]').count()).toBe(0);
    await server.close();
    await page.locator('[data-testid="unreachable-banner"]').waitFor({ timeout: 30_000 });
    await shot('07-hub-unreachable');
  });
});
