// A real OCI registry for tests: CNCF distribution (built from Go modules by
// scripts/build-tools.sh), with htpasswd basic auth and TLS from the run's test CA. Charts are
// pushed with the real `helm push`; plain-manifest artifacts with a small push client below,
// which speaks the distribution API as `oras push` does (one tar+gzip layer, an empty config).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Pki } from './pki.js';
import { freePort } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { toolPath } from './tools.js';
import { FatalWaitError, waitFor } from './wait.js';

const run = promisify(execFile);

export interface Registry {
  /** `127.0.0.1:<port>` */
  host: string;
  username: string;
  password: string;
  caPem: string;
  caFile: string;
  /** `helm push` a packaged chart to oci://<host>/<path>; returns the manifest digest. */
  pushChart(chartTgz: string, path: string): Promise<string>;
  /** Pushes `files` as one tar+gzip layer (Flux's media type) to <repository>:<tag>; returns the manifest digest. */
  pushArtifact(repository: string, tag: string, files: Record<string, string>): Promise<string>;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export async function startRegistry(pki: Pki, dir: string, logDir: string): Promise<Registry> {
  const bin = toolPath('registry');
  mkdirSync(dir, { recursive: true });
  const username = 'oci';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const htpasswd = join(dir, 'htpasswd');
  const hashed = await new Promise<string>((resolve, reject) => {
    const child = execFile('htpasswd', ['-niB', username], (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
    child.stdin?.end(`${password}\n`);
  }).catch((e: unknown) => {
    throw new Error("htpasswd is missing: install it with 'apt-get install -y apache2-utils'", { cause: e });
  });
  writeFileSync(htpasswd, hashed);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: {level: warn}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
      `http: {addr: "${host}", secret: "${password}-secret", tls: {certificate: "${pki.serverCert}", key: "${pki.serverKey}"}}`,
      `auth: {htpasswd: {realm: gitfleet-test, path: "${htpasswd}"}}`,
      '',
    ].join('\n'),
  );
  const proc = startProcess({
    name: `registry-${port}`,
    command: bin,
    args: ['serve', config],
    env: { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    logDir,
  });
  const caPem = readFileSync(pki.caCert, 'utf8');
  const auth = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const call = (
    method: string,
    url: string,
    body?: Buffer,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const r = request(
        new URL(url, `https://${host}`),
        {
          method,
          ca: caPem,
          headers: { authorization: auth, ...headers, ...(body ? { 'content-length': body.length } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        },
      );
      r.on('error', reject);
      r.end(body);
    });
  await waitFor(
    'registry /v2/',
    async () => {
      if (!proc.running) throw new FatalWaitError(`registry exited:\n${proc.tail()}`);
      return (await call('GET', '/v2/')).status === 200;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const upload = async (repository: string, blob: Buffer): Promise<string> => {
    const digest = digestOf(blob);
    const start = await call('POST', `/v2/${repository}/blobs/uploads/`);
    if (start.status !== 202) throw new Error(`registry: upload start answered ${start.status}`);
    const loc = new URL(String(start.headers.location), `https://${host}`);
    loc.searchParams.set('digest', digest);
    const put = await call('PUT', loc.toString(), blob, { 'content-type': 'application/octet-stream' });
    if (put.status !== 201)
      throw new Error(`registry: blob upload answered ${put.status}: ${put.body.toString()}`);
    return digest;
  };
  const helmEnv = (home: string): NodeJS.ProcessEnv => ({
    ...process.env,
    HOME: home,
    HELM_REGISTRY_CONFIG: join(home, 'registry.json'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  });
  return {
    host,
    username,
    password,
    caPem,
    caFile: pki.caCert,
    process: proc,
    async pushChart(chartTgz, path) {
      const helm = toolPath('helm');
      const home = mkdtempSync(join(tmpdir(), 'gitfleet-helm-push-'));
      try {
        await new Promise<void>((resolve, reject) => {
          const child = execFile(
            helm,
            ['registry', 'login', host, '--username', username, '--password-stdin', '--ca-file', pki.caCert],
            { env: helmEnv(home), timeout: 60_000 },
            (err) => (err ? reject(err) : resolve()),
          );
          child.stdin?.end(password);
        });
        const out = await run(helm, ['push', chartTgz, `oci://${host}/${path}`, '--ca-file', pki.caCert], {
          env: helmEnv(home),
          timeout: 60_000,
        });
        const m = /Digest: (sha256:[a-f0-9]{64})/u.exec(out.stdout + out.stderr);
        if (!m?.[1]) throw new Error(`helm push printed no digest: ${out.stdout}${out.stderr}`);
        return m[1];
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
    async pushArtifact(repository, tag, files) {
      const work = mkdtempSync(join(tmpdir(), 'gitfleet-artifact-'));
      try {
        for (const [name, text] of Object.entries(files)) {
          mkdirSync(join(work, 'tree', name, '..'), { recursive: true });
          writeFileSync(join(work, 'tree', name), text);
        }
        await run('tar', ['-czf', join(work, 'layer.tgz'), '-C', join(work, 'tree'), '.'], {
          timeout: 30_000,
        });
        const layer = readFileSync(join(work, 'layer.tgz'));
        const config = Buffer.from('{}');
        const layerDigest = await upload(repository, layer);
        const configDigest = await upload(repository, config);
        const manifest = Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            config: {
              mediaType: 'application/vnd.cncf.flux.config.v1+json',
              digest: configDigest,
              size: config.length,
            },
            layers: [
              {
                mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip',
                digest: layerDigest,
                size: layer.length,
              },
            ],
          }),
        );
        const res = await call('PUT', `/v2/${repository}/manifests/${tag}`, manifest, {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
        });
        if (res.status !== 201)
          throw new Error(`registry: manifest put answered ${res.status}: ${res.body.toString()}`);
        return digestOf(manifest);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
    async stop() {
      await proc.stop();
    },
  };
}
