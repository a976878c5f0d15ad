import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../src/api/application.js';
import { FLEET_NAMESPACE } from '../../src/api/cluster.js';
import type { KubeObject } from '../../src/kube/index.js';
import type { ClusterHandle } from '../harness/context.js';
import { startTenant, type Tenant } from '../harness/tenant.js';
import { toolPath } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

// SOPS-encrypted Secrets in Git (issue 17) through the real sops (built from its Go module), age
// keys made by Debian's age-keygen, the real Git server, controller and apiserver. The plaintext
// must reach the destination cluster and nothing else.

const PLAINTEXT = 'tr0ub4dor-and-3-horses-e2e';
let tenant: Tenant;
let hub: ClusterHandle;
const logLines: string[] = [];
let sops: string;

/** An age identity and its recipient, from age-keygen (no file written). */
function ageKey(): { identity: string; recipient: string } {
  const out = execFileSync('age-keygen', [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const identity = out.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1')) ?? '';
  const recipient = /public key: (age1\w+)/.exec(out)?.[1] ?? '';
  return { identity, recipient };
}

/** `yaml` encrypted for `recipient` by sops, data fields only (metadata stays readable). */
function encrypt(yaml: string, recipient: string): string {
  return execFileSync(
    sops,
    [
      'encrypt',
      '--age',
      recipient,
      '--encrypted-regex',
      '^(data|stringData)$',
      '--input-type',
      'yaml',
      '--output-type',
      'yaml',
      '--filename-override',
      'secret.yaml',
    ],
    {
      input: yaml,
      encoding: 'utf8',
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent' },
    },
  );
}

async function keySecret(name: string, identity: string): Promise<void> {
  await hub.admin.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: tenant.ns },
    stringData: { 'identity.agekey': `# test key\n${identity}\n` },
  } as KubeObject);
}

const SECRET = `apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
stringData:
  password: ${PLAINTEXT}
`;
const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings }\ndata: { a: "1" }\n';

beforeAll(async () => {
  sops = toolPath('sops');
  process.env.GITFLEET_SOPS = sops;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  tenant = await startTenant('secrets', { log: pino({ level: 'debug' }, sink) });
  ({ hub } = tenant);
});

afterAll(() => {
  tenant?.stop();
});

describe('SOPS decryption', () => {
  it('syncs an age-encrypted Secret with the right key, and the plaintext appears nowhere but the cluster', async () => {
    const key = ageKey();
    await keySecret('sops-age', key.identity);
    const encrypted = encrypt(SECRET, key.recipient);
    expect(encrypted).not.toContain(PLAINTEXT);
    const a = await tenant.createApp(
      { 'app/secret.enc.yaml': encrypted, 'app/cm.yaml': CM },
      { path: 'app' },
      { decryption: { provider: 'sops', secretRef: { name: 'sops-age' } } },
    );
    const secret = await waitFor(
      'the decrypted Secret applied',
      () =>
        hub.admin.getOrUndefined<KubeObject & { data?: Record<string, string> }>({
          apiVersion: 'v1',
          kind: 'Secret',
          namespace: a.destNs,
          name: 'db',
        }),
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(Buffer.from(secret.data?.password ?? '', 'base64').toString('utf8')).toBe(PLAINTEXT);
    expect(secret.metadata.annotations?.sops).toBeUndefined();
    const app = await waitFor(
      'app Synced',
      async () => {
        const x = await tenant.getApp(a.name);
        return x.status?.sync?.status === 'Synced' ? x : undefined;
      },
      { timeoutMs: 60_000 },
    );

    // Nowhere else: the Application (status, as the API serves it), events, the controller's log,
    // metrics, and every file under the source/render cache directories.
    const forms = [PLAINTEXT, Buffer.from(PLAINTEXT).toString('base64')];
    const noLeak = (where: string, text: string): void => {
      for (const f of forms) expect(text.includes(f), `${where} holds the plaintext`).toBe(false);
    };
    noLeak('Application', JSON.stringify(app));
    for (const ns of [tenant.ns, a.destNs]) {
      const events = await hub.admin.list('v1', 'Event', { namespace: ns });
      noLeak(`events of ${ns}`, JSON.stringify(events));
    }
    noLeak('controller log', logLines.join(''));
    noLeak('metrics', await tenant.controllers.hub.metrics.registry.metrics());
    for (const d of readdirSync(tmpdir()).filter((n) => n.startsWith('gitfleet-secrets-'))) {
      for (const file of walk(join(tmpdir(), d))) noLeak(file, readFileSync(file).toString('latin1'));
    }
  });

  it('a wrong key fails naming the file and the recipient it needed, and nothing is applied', async () => {
    const right = ageKey();
    const wrong = ageKey();
    await keySecret('sops-wrong', wrong.identity);
    const a = await tenant.createApp(
      { 'app/secret.enc.yaml': encrypt(SECRET, right.recipient), 'app/cm.yaml': CM },
      { path: 'app' },
      { decryption: { provider: 'sops', secretRef: { name: 'sops-wrong' } } },
    );
    const message = await waitFor(
      'a decryption error on the app',
      async () => {
        const app = await tenant.getApp(a.name);
        return app.status?.conditions?.map((c) => c.message).find((m) => m?.includes('secret.enc.yaml'));
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(message).toContain('app/secret.enc.yaml');
    expect(message).toContain(right.recipient);
    expect(message).toContain('Secret');
    const get = (kind: string, name: string) =>
      hub.admin.getOrUndefined({ apiVersion: 'v1', kind, namespace: a.destNs, name });
    expect(await get('ConfigMap', 'settings')).toBeUndefined();
    expect(await get('Secret', 'db')).toBeUndefined();
  });
});

describe('Kustomize secretGenerator from a SOPS-encrypted dotenv file', () => {
  it('applies the generated Secret with decrypted values, and none of the sops_ metadata', async () => {
    const key = ageKey();
    await keySecret('sops-dotenv', key.identity);
    const envFile = execFileSync(
      sops,
      [
        'encrypt',
        '--age',
        key.recipient,
        '--input-type',
        'dotenv',
        '--output-type',
        'dotenv',
        '--filename-override',
        'app.env',
      ],
      {
        input: `API_TOKEN=${PLAINTEXT}\nUSER=svc\n`,
        encoding: 'utf8',
        cwd: tmpdir(),
        env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent' },
      },
    );
    expect(envFile).not.toContain(PLAINTEXT);
    const a = await tenant.createApp(
      {
        'app/kustomization.yaml':
          'secretGenerator:\n  - name: app-env\n    envs: [app.enc.env]\n    options: { disableNameSuffixHash: true }\n',
        'app/app.enc.env': envFile,
      },
      { path: 'app' },
      { decryption: { provider: 'sops', secretRef: { name: 'sops-dotenv' } } },
    );
    const secret = await waitFor(
      'the generated Secret applied',
      () =>
        hub.admin.getOrUndefined<KubeObject & { data?: Record<string, string> }>({
          apiVersion: 'v1',
          kind: 'Secret',
          namespace: a.destNs,
          name: 'app-env',
        }),
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const data = Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    );
    expect(data).toEqual({ API_TOKEN: PLAINTEXT, USER: 'svc' });
    const app = await tenant.getApp(a.name);
    expect(JSON.stringify(app)).not.toContain(PLAINTEXT);
  });
});

describe('Project-level decryption', () => {
  it("an app without spec.decryption uses its Project's key Secret (in the Project's namespace); the app's own wins", async () => {
    const projectKey = ageKey();
    const wrong = ageKey();
    const keyName = `sops-proj-${tenant.ns}`.slice(0, 63);
    await hub.admin.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: keyName, namespace: FLEET_NAMESPACE },
      stringData: { 'team.agekey': `${projectKey.identity}\n` },
    } as KubeObject);
    await hub.admin.patch(
      { apiVersion: API_VERSION, kind: 'Project', namespace: FLEET_NAMESPACE, name: tenant.project },
      { spec: { decryption: { provider: 'sops', secretRef: { name: keyName } } } },
    );
    const a = await tenant.createApp(
      { 'app/secret.enc.yaml': encrypt(SECRET, projectKey.recipient) },
      { path: 'app' },
    );
    // The app's own decryption wins, even when the Project's key would have worked.
    await keySecret('sops-own-wrong', wrong.identity);
    const b = await tenant.createApp(
      { 'app/secret.enc.yaml': encrypt(SECRET, projectKey.recipient) },
      { path: 'app' },
      { decryption: { provider: 'sops', secretRef: { name: 'sops-own-wrong' } } },
    );
    const secret = await waitFor(
      "the Secret decrypted with the Project's key",
      () =>
        hub.admin.getOrUndefined<KubeObject & { data?: Record<string, string> }>({
          apiVersion: 'v1',
          kind: 'Secret',
          namespace: a.destNs,
          name: 'db',
        }),
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(Buffer.from(secret.data?.password ?? '', 'base64').toString('utf8')).toBe(PLAINTEXT);
    const message = await waitFor(
      'b fails with its own key Secret',
      async () =>
        (await tenant.getApp(b.name)).status?.conditions
          ?.map((c) => c.message)
          .find((m) => m?.includes('secret.enc.yaml')),
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(message).toContain(`Secret ${tenant.ns}/sops-own-wrong`);
    expect(
      await hub.admin.getOrUndefined({ apiVersion: 'v1', kind: 'Secret', namespace: b.destNs, name: 'db' }),
    ).toBeUndefined();
  });
});

function* walk(dir: string): Generator<string> {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) yield* walk(p);
    else if (st.isFile() && st.size < 8 * 1024 * 1024) yield p;
  }
}
