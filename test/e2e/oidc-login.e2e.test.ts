import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { parsePolicyCsv, RbacAuthorizer } from '../../src/governance/rbac.js';
import { BrowserLogin, CSRF_HEADER, SESSION_COOKIE } from '../../src/hub/auth/index.js';
import { startHubServer } from '../../src/hub/server.js';
import { defaultUiDir } from '../../src/hub/static.js';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { createNamespace, testFleet, uniqueName, type ClusterHandle } from '../harness/context.js';
import { startGitea, type Gitea } from '../harness/gitea.js';
import { freePort } from '../harness/ports.js';
import { waitFor } from '../harness/wait.js';

/**
 * Browser sign-in end to end: a real Gitea is the OIDC issuer (its own login page and consent
 * form, RS256 ID tokens, PKCE), Chromium signs in through it at the hub, and the session the hub
 * opens sees only what RBAC grants the user's Gitea organisation.
 */
const CHROMIUM = '/usr/bin/chromium';
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
const ADMIN_TOKEN = 'oidc-e2e-admin';

let hub: ClusterHandle;
let gitea: Gitea;
let server: Awaited<ReturnType<typeof startHubServer>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;
let ns: string;
const dir = mkdtempSync(join(tmpdir(), 'gitfleet-oidc-'));
const user = { name: 'alice', email: 'alice@example.com', password: randomBytes(12).toString('hex') };
const teamA = uniqueName('team-a');
const appA = uniqueName('shop');
const appB = uniqueName('bank');
/** What the browser sent to /auth/callback: replayed below. */
let callback: { url: string; cookie: string } | undefined;
/** The session cookie's value once signed in. */
let session = '';
let csrf = '';

const call = (path: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${base}${path}`, { redirect: 'manual', ...init });
const withCookie = (cookie: string, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string> | undefined), Cookie: cookie },
});

beforeAll(async () => {
  const ui = defaultUiDir();
  if (!ui || !existsSync(join(ui, 'index.html'))) throw new Error('the web UI is not built: run `make ui`');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  mkdirSync(SHOTS, { recursive: true });
  const fleet = await testFleet();
  hub = fleet.clusters[0] as ClusterHandle;
  const [, g] = await Promise.all([
    installCrds(hub.admin),
    startGitea(join(dir, 'gitea'), join(fleet.info.runDir, 'logs'), { oidcProvider: true }),
  ]);
  gitea = g;
  ns = await createNamespace(hub.admin, 'oidc');
  // The user, in an organisation: Gitea's ID token lists it in `groups`.
  await gitea.api('POST', '/admin/users', {
    username: user.name,
    email: user.email,
    password: user.password,
    must_change_password: false,
  });
  await gitea.api('POST', '/orgs', { username: teamA });
  const teams = await gitea.api<{ id: number; name: string }[]>('GET', `/orgs/${teamA}/teams`);
  const owners = teams.find((t) => t.name === 'Owners');
  if (!owners) throw new Error(`no Owners team in ${teamA}`);
  await gitea.api('PUT', `/teams/${owners.id}/members/${user.name}`);

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const oauthApp = await gitea.api<{ client_id: string; client_secret: string }>(
    'POST',
    '/user/applications/oauth2',
    { name: 'gitfleet-hub', redirect_uris: [`${base}/auth/callback`], confidential_client: true },
  );
  // Alice's organisation may read its project's Applications; nothing else is granted.
  const policy = parsePolicyCsv(
    `p, role:team-a-dev, applications, get, ${teamA}/*, allow\ng, group:${teamA}, role:team-a-dev\n`,
  );
  expect(policy.errors).toEqual([]);
  const login = new BrowserLogin({
    issuer: gitea.url,
    clientId: oauthApp.client_id,
    clientSecret: oauthApp.client_secret,
    redirectUrl: `${base}/auth/callback`,
    key: randomBytes(32),
  });
  server = await startHubServer({
    port,
    webhookSecrets: {},
    onPush: () => [],
    api: {
      client: new KubeClient(await loadConnection({ file: hub.kubeconfig })),
      tokens: [ADMIN_TOKEN],
      authorizer: new RbacAuthorizer({ rules: policy.rules, bindings: policy.bindings }),
      login,
    },
    log: pino({ level: 'warn' }),
  });
  for (const [name, project] of [
    [appA, teamA],
    [appB, 'team-b'],
  ] as const)
    await hub.admin.create({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name, namespace: ns },
      spec: {
        project,
        source: { repoURL: 'https://git.example.com/none.git' },
        destination: { namespace: ns },
      },
    } as KubeObject);
  // The admin sees both: the hub's cache holds them before any session asks.
  await waitFor(
    'both Applications listed',
    async () => {
      const r = await call('/api/v1/applications', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      const names = ((await r.json()) as { items: { name: string }[] }).items.map((a) => a.name);
      return names.includes(appA) && names.includes(appB);
    },
    { timeoutMs: 60_000 },
  );

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1300, height: 850 } });
  page = await context.newPage();
  page.on('request', (req) => {
    if (req.url().startsWith(`${base}/auth/callback`))
      void req.allHeaders().then((h) => (callback = { url: req.url(), cookie: h.cookie ?? '' }));
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await gitea?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('browser sign-in with OIDC (Gitea as the issuer)', () => {
  it('refuses the API without a session and a callback whose state is not the browser’s', async () => {
    expect((await call('/api/v1/applications')).status).toBe(401);
    expect(await (await call('/auth/info')).json()).toMatchObject({ oidc: true });
    const start = await call('/auth/login?return=/rollouts');
    expect(start.status).toBe(302);
    const to = new URL(start.headers.get('location') ?? '');
    expect(`${to.origin}/`).toBe(`${gitea.url}/`);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/u);
    expect(to.searchParams.get('nonce')).toBeTruthy();
    const setCookie = start.headers.getSetCookie().find((c) => c.startsWith('gitfleet_login='));
    expect(setCookie).toMatch(/HttpOnly/iu);
    expect(setCookie).toMatch(/SameSite=Lax/iu);
    const attempt = (setCookie ?? '').split(';')[0] ?? '';
    const wrong = await call('/auth/callback?code=whatever&state=not-the-state', withCookie(attempt));
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toMatch(/state does not match/u);
    expect(wrong.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    // The right state without the browser's attempt cookie (a link someone else started) neither.
    const state = to.searchParams.get('state') ?? '';
    const foreign = await call(`/auth/callback?code=whatever&state=${state}`);
    expect(foreign.status).toBe(400);
  });

  it('signs in through Gitea in Chromium and the session sees only its project', async () => {
    await page.goto(`${base}/`);
    await page.getByTestId('oidc-signin').click();
    await page.waitForURL((u) => u.toString().startsWith(gitea.url), { timeout: 60_000 });
    await page.fill('#user_name', user.name);
    await page.fill('#password', user.password);
    await page.locator('form button.primary, form button[type=submit]').first().click();
    // First sign-in to this application: Gitea asks the user to grant it.
    const grant = page.locator('#authorize-app, button[name=granted][value=true]').first();
    const whoami = page.getByTestId('whoami');
    await Promise.race([
      grant.waitFor({ timeout: 60_000 }).then(() => grant.click()),
      whoami.waitFor({ timeout: 60_000 }),
    ]);
    await expect.poll(() => whoami.textContent().catch(() => ''), { timeout: 60_000 }).toBe(user.email);
    await page.screenshot({ path: join(SHOTS, 'oidc-signed-in.png') });
    await expect.poll(() => page.getByTestId('sign-out').isVisible(), { timeout: 30_000 }).toBe(true);

    const cookies = await context.cookies(base);
    const sessionCookie = cookies.find((c) => c.name === SESSION_COOKIE);
    expect(sessionCookie?.httpOnly).toBe(true);
    expect(sessionCookie?.sameSite).toBe('Lax');
    session = sessionCookie?.value ?? '';
    csrf = cookies.find((c) => c.name === 'gitfleet_csrf')?.value ?? '';
    expect(session).not.toBe('');
    // No token in the page's storage or address: the identity is the HttpOnly cookie.
    const storage = await page.evaluate('JSON.stringify({ ...sessionStorage, ...localStorage })');
    expect(storage).not.toMatch(/eyJ/u);
    expect(page.url()).not.toMatch(/code=|token/u);

    // What the page's own requests see: the project RBAC grants, not the other team's.
    const listed = await page.evaluate(async () => {
      const r = await fetch('/api/v1/applications');
      return ((await r.json()) as { items: { name: string }[] }).items.map((a) => a.name);
    });
    expect(listed).toContain(appA);
    expect(listed).not.toContain(appB);
    const me = (await (await call('/api/v1/whoami', withCookie(`${SESSION_COOKIE}=${session}`))).json()) as {
      name: string;
      groups: string[];
    };
    expect(me.name).toBe(user.email);
    expect(me.groups).toContain(teamA);
  });

  it('refuses a replayed callback, a tampered cookie and a change without the CSRF header', async () => {
    expect(callback).toBeDefined();
    const replay = await call(callback?.url.slice(base.length) ?? '', withCookie(callback?.cookie ?? ''));
    expect(replay.status).toBe(400);
    expect(replay.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(false);

    const mid = Math.floor(session.length / 2);
    const flipped = `${session.slice(0, mid)}${session[mid] === 'A' ? 'B' : 'A'}${session.slice(mid + 1)}`;
    expect((await call('/api/v1/whoami', withCookie(`${SESSION_COOKIE}=${flipped}`))).status).toBe(401);

    const sync = `/api/v1/applications/${ns}/${appA}/sync`;
    const post = (headers: Record<string, string>): Promise<Response> =>
      call(
        sync,
        withCookie(`${SESSION_COOKIE}=${session}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...headers },
          body: '{}',
        }),
      );
    const noCsrf = await post({});
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { error: string }).error).toMatch(/X-Gitfleet-CSRF/u);
    // With the header the request is authenticated, and RBAC decides: alice may only read.
    const withCsrf = await post({ [CSRF_HEADER]: csrf });
    expect(withCsrf.status).toBe(403);
    expect(((await withCsrf.json()) as { error: string }).error).toMatch(/may not sync/u);
  });

  it('signs out: the page offers Sign in again and the old cookie is refused', async () => {
    await page.getByTestId('sign-out').click();
    await page.getByTestId('oidc-signin').waitFor({ timeout: 60_000 });
    await waitFor(
      'the signed-out session refused',
      async () => (await call('/api/v1/whoami', withCookie(`${SESSION_COOKIE}=${session}`))).status === 401,
      { timeoutMs: 60_000 },
    );
    // The browser drops the cookie when it reads the logout answer, which may come just after
    // the hub has forgotten the session.
    await waitFor(
      'the browser dropped the session cookie',
      async () => !(await context.cookies(base)).some((c) => c.name === SESSION_COOKIE && c.value !== ''),
      { timeoutMs: 60_000 },
    );
    const after = await page.evaluate(async () => (await fetch('/api/v1/whoami')).status);
    expect(after).toBe(401);
  });
});
