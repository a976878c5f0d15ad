// The canary panel of the web UI in Chromium (playwright-core), against a real hub API, a real
// Application syncing a Deployment, a Canary and an AnalysisTemplate from Git, and the delivery
// controller: the panel shows the step, weight and the analysis verdict with its value, and its
// promote and abort buttons (each confirmed) drive the canary through the hub's canary routes.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import type { Canary } from '../../src/api/delivery.js';
import { startHubServer } from '../../src/hub/server.js';
import { defaultUiDir } from '../../src/hub/static.js';
import { KubeClient, loadConnection } from '../../src/kube/index.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { waitFor } from '../harness/wait.js';

const TOKEN = 'ui-canary-token';
const CHROMIUM = '/usr/bin/chromium';
/** What this machine's Chromium needs headless as root with no outside network (as ui.e2e). */
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

let tenant: Tenant;
let client: KubeClient;
let server: Awaited<ReturnType<typeof startHubServer>>;
let browser: Browser;
let page: Page;
let metrics: Server;
let metricsUrl = '';

beforeAll(async () => {
  const ui = defaultUiDir();
  if (!ui || !existsSync(join(ui, 'index.html'))) throw new Error('the web UI is not built: run `make ui`');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  mkdirSync(SHOTS, { recursive: true });
  metrics = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ errorRate: 0.02 }));
  });
  await new Promise<void>((r) => metrics.listen(0, '127.0.0.1', () => r()));
  const addr = metrics.address();
  metricsUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/rate`;
  tenant = await startTenant('ui-canary');
  client = new KubeClient(await loadConnection({ file: tenant.hub.kubeconfig }));
  server = await startHubServer({
    port: 0,
    webhookSecrets: {},
    onPush: () => [],
    api: { client, tokens: [TOKEN] },
    log: pino({ level: 'warn' }),
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  tenant?.stop();
  await server?.close();
  client?.close();
  await new Promise((r) => metrics?.close(r));
});

const deployment = (image: string): string => `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: web, image: "${image}" }]
`;

const files = (image: string): Record<string, string> => ({
  'app/deploy.yaml': deployment(image),
  'app/canary.yaml': `apiVersion: gitfleet.dev/v1alpha1
kind: Canary
metadata: { name: web }
spec:
  targetRef: { name: web }
  replicas: 2
  strategy:
    canary:
      steps:
        - setWeight: 25
        - analysis: { templates: [{ templateName: error-rate }] }
        - pause: {}
        - setWeight: 75
        - pause: {}
`,
  'app/analysis.yaml': `apiVersion: gitfleet.dev/v1alpha1
kind: AnalysisTemplate
metadata: { name: error-rate }
spec:
  metrics:
    - name: error-rate
      successCondition: "result < 0.05"
      provider:
        web: { url: "${metricsUrl}", jsonPath: "$.errorRate" }
`,
});

const panel = (): string => '[data-testid="canary-web"]';

/** Clicks a panel button and confirms it in the dialog. */
async function confirmed(button: string, label: string): Promise<void> {
  await page.click(`[data-testid="${button}"]`);
  await page.locator('dialog.confirm').getByRole('button', { name: label }).click();
  await page.locator('[data-testid="canary-message"]', { hasText: 'requested' }).waitFor({ timeout: 30_000 });
}

describe('canary panel in Chromium', () => {
  it('shows step, weight and analysis verdicts, and promotes and aborts through the hub', async () => {
    const app = await tenant.createApp(files('web:v1'), { path: 'app' });
    const ns = app.destNs;
    const getCanary = (): Promise<Canary> =>
      tenant.hub.admin.get<Canary>({ apiVersion: API_VERSION, kind: 'Canary', namespace: ns, name: 'web' });
    await waitFor('canary initialized', async () => (await getCanary()).status?.phase === 'Initialized', {
      timeoutMs: 120_000,
    });

    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.fill('#token', TOKEN);
    await page.click('button[type=submit]');
    await page.locator('[data-testid="whoami"]').waitFor({ timeout: 30_000 });
    await page.goto(`http://127.0.0.1:${server.port}/apps/${tenant.ns}/${app.name}`);
    await page.locator(`${panel()}[data-phase="Initialized"]`).waitFor({ timeout: 60_000 });
    // Nothing in flight: nothing to abort, nothing to promote.
    expect(await page.locator('[data-testid="canary-abort-web"]').isDisabled()).toBe(true);
    expect(await page.locator('[data-testid="canary-promote-web"]').isDisabled()).toBe(true);

    // v2: 25% → analysis (0.02 < 0.05) → paused, shown without a reload.
    await tenant.fleet.git.commit(app.repo, { 'app/deploy.yaml': deployment('web:v2') });
    await page
      .locator(`${panel()}[data-phase="Paused"][data-step="2"][data-weight="25"]`)
      .waitFor({ timeout: 120_000 });
    const row = page.locator('[data-testid="canary-analysis-web"] tr[data-verdict="Successful"]');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toContain('0.02 (Successful)');
    expect(await row.textContent()).toContain('error-rate/error-rate');
    await page.screenshot({ path: join(SHOTS, 'canary-01-paused.png'), fullPage: true });

    // Promote: the hub writes the request, the controller moves to 75% and pauses again.
    await confirmed('canary-promote-web', 'Promote');
    await page
      .locator(`${panel()}[data-phase="Paused"][data-step="4"][data-weight="75"]`)
      .waitFor({ timeout: 120_000 });
    await confirmed('canary-promote-web', 'Promote');
    await page.locator(`${panel()}[data-phase="Succeeded"]`).waitFor({ timeout: 120_000 });
    const promoted = await getCanary();
    expect(promoted.status?.promotions).toHaveLength(1);

    // v3 paused after its analysis, then aborted from the panel: stable stays.
    await tenant.fleet.git.commit(app.repo, { 'app/deploy.yaml': deployment('web:v3') });
    await page
      .locator(`${panel()}[data-phase="Paused"][data-step="2"][data-weight="25"]`)
      .waitFor({ timeout: 120_000 });
    await confirmed('canary-abort-web', 'Abort');
    await page.locator(`${panel()}[data-phase="Aborted"]`).waitFor({ timeout: 120_000 });
    await page.screenshot({ path: join(SHOTS, 'canary-02-aborted.png'), fullPage: true });
    const aborted = await getCanary();
    expect(aborted.status?.stableHash).toBe(promoted.status?.stableHash);
    expect(aborted.status?.stableSlot).toBe(promoted.status?.stableSlot);
  }, 600_000);
});
