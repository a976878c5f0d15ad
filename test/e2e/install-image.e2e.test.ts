import { execFile, execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, type Application } from '../../src/api/application.js';
import { FLEET_NAMESPACE, type Cluster } from '../../src/api/cluster.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { registerAgentCluster, registerCluster } from '../../src/controllers/cluster/register.js';
import { loadConnection } from '../../src/kube/index.js';
import { startCluster, type TestCluster } from '../harness/cluster.js';
import {
  createNamespace,
  testFleet,
  uniqueName,
  type ClusterHandle,
  type TestFleet,
} from '../harness/context.js';
import { freePort } from '../harness/ports.js';
import { startProcess, type ManagedProcess } from '../harness/process.js';
import { repoRoot } from '../harness/tools.js';
import { FatalWaitError, waitFor } from '../harness/wait.js';

/**
 * The container image of scripts/image/build.sh, built from this tree, unpacked from its OCI layout
 * and run without a container runtime: a private mount namespace (unshare) holds the rootfs
 * read-only with tmpfs on /tmp and the cache, and chroot runs the image's entrypoint as its user
 * (65532). As the hub it syncs an Application from the harness Git server to a cluster (through the
 * image's own git and tar); as an agent of that hub, on a cluster of its own, it heartbeats (the
 * hub records its version, heartbeat and AgentCompatible on the Cluster) and syncs its assignment.
 */
const execFileAsync = promisify(execFile);
/** Runs a build step; a failure carries its output (tsc prints its errors on stdout). */
async function run(cmd: string, args: string[], opts: Parameters<typeof execFileAsync>[2]): Promise<void> {
  try {
    await execFileAsync(cmd, args, opts);
  } catch (e) {
    const out = e as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${out.stdout ?? ''}\n${out.stderr ?? ''}`, {
      cause: e,
    });
  }
}
const treeVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string })
  .version;
let fleet: TestFleet;
let mgmt: ClusterHandle;
let target: ClusterHandle;
/** The agent's own cluster: the shared fleet's are driven by other files' hubs (one owner each). */
let edge: TestCluster | undefined;
let ns: string;
let logDir: string;
let hub: ManagedProcess;
let hubPort: number;
let creds: {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  stringData: Record<string, string>;
};
let work: string;
let rootfs: string;
let config: { Entrypoint: string[]; User: string; Env: string[]; WorkingDir: string };
const procs: ManagedProcess[] = [];

interface OciIndex {
  manifests: { digest: string }[];
}
interface OciManifest {
  config: { digest: string };
  layers: { digest: string }[];
}
const blob = (oci: string, digest: string): string => join(oci, 'blobs', ...digest.split(':'));

/** The absolute path of a host tool (the image's PATH does not reach /usr/sbin). */
function hostTool(name: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path)
    throw new Error(`${name} is not on PATH: apt-get install -y util-linux coreutils mount`);
  return path;
}

/** Runs the image's entrypoint with `args`, as its user, on its read-only root filesystem. */
function runImage(name: string, args: string[], logDir: string): ManagedProcess {
  const mounts = [
    `mount --bind ${rootfs} ${rootfs}`,
    `mount -o remount,ro,bind ${rootfs}`,
    `mount -t tmpfs -o mode=1777 tmpfs ${rootfs}/tmp`,
    `mount -t tmpfs -o mode=1777 tmpfs ${rootfs}/var/cache/gitfleet`,
    `mount --rbind /dev ${rootfs}/dev`,
    `mount -t proc proc ${rootfs}/proc`,
  ].join(' && ');
  // The host's sh prepares the mounts, then exec's env (the image's environment only), chroot and
  // the image's node: one PID from unshare's child to the hub.
  const env = [...config.Env, 'GITFLEET_LOG_LEVEL=info'];
  const p = startProcess({
    name,
    command: 'unshare',
    args: [
      '--mount',
      '--pid',
      '--fork',
      '--kill-child',
      'sh',
      '-c',
      `${mounts} && cd / && exec ${hostTool('env')} -i ${env.join(' ')} ${hostTool('chroot')} --userspec=${config.User} ${rootfs} "$@"`,
      'sh',
      ...config.Entrypoint,
      ...args,
    ],
    cwd: '/',
    logDir,
  });
  procs.push(p);
  return p;
}

const alive = (p: ManagedProcess): void => {
  if (!p.running) throw new FatalWaitError(`${p.name} exited:\n${p.tail()}`);
};

beforeAll(async () => {
  fleet = await testFleet();
  mgmt = fleet.clusters[0] as ClusterHandle;
  target = fleet.clusters[1] as ClusterHandle;
  for (const tool of ['unshare', 'chroot', 'mount', 'env']) hostTool(tool);
  work = mkdtempSync(join(tmpdir(), 'gitfleet-image-test-'));
  // The agent's cluster comes up while the image is built.
  const edgeUp = startCluster({
    name: uniqueName('imgedge'),
    runDir: fleet.info.runDir,
    runId: fleet.info.runId,
    etcdUrl: fleet.info.etcdUrl,
    pki: fleet.info.pki,
    nodes: 1,
  }).then((c) => (edge = c));
  edgeUp.catch(() => undefined);
  // This tree, compiled apart from dist/ (other work may be using it), then the image from it.
  await run(
    process.execPath,
    [
      join(repoRoot, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      join(work, 'dist'),
    ],
    { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 },
  );
  await run(join(repoRoot, 'scripts/image/build.sh'), [join(work, 'out')], {
    cwd: repoRoot,
    env: { ...process.env, GITFLEET_DIST: join(work, 'dist'), GITFLEET_IMAGE_GZIP: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const oci = join(work, 'out', 'oci');
  const index = JSON.parse(readFileSync(join(oci, 'index.json'), 'utf8')) as OciIndex;
  const manifest = JSON.parse(
    readFileSync(blob(oci, index.manifests[0]?.digest ?? ''), 'utf8'),
  ) as OciManifest;
  config = (JSON.parse(readFileSync(blob(oci, manifest.config.digest), 'utf8')) as { config: typeof config })
    .config;
  rootfs = join(work, 'rootfs');
  mkdirSync(rootfs);
  for (const l of manifest.layers) execFileSync('tar', ['-xzf', blob(oci, l.digest), '-C', rootfs]);
  await installCrds(mgmt.admin);
  await edgeUp;
}, 600_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await edge?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the gitfleet image', () => {
  it('is non-root, has no shell, an exec-form entrypoint and an SBOM of its packages', () => {
    expect(config.User).toBe('65532:65532');
    expect(config.Entrypoint).toEqual(['/usr/bin/node', '/app/dist/src/cli/main.js']);
    for (const sh of ['bin/sh', 'bin/bash', 'usr/bin/sh', 'usr/bin/bash'])
      expect(existsSync(join(rootfs, sh)), sh).toBe(false);
    const sbom = JSON.parse(readFileSync(join(work, 'out', 'sbom.json'), 'utf8')) as {
      debian: { file: string; package: string; version: string }[];
      npm: { name: string; version: string }[];
    };
    expect(sbom.debian.find((d) => d.file === '/usr/bin/node')?.package).toBe('nodejs');
    expect(sbom.debian.find((d) => d.file === '/usr/bin/git')?.package).toBe('git');
    expect(sbom.debian.every((d) => d.package !== 'unknown' && d.version !== '')).toBe(true);
    expect(sbom.npm.map((n) => n.name)).toContain('yaml');
    expect(readFileSync(join(rootfs, 'app/sbom.json'), 'utf8')).toBe(
      readFileSync(join(work, 'out', 'sbom.json'), 'utf8'),
    );
  });

  it('runs as the hub (read-only root, user 65532) and syncs an Application from Git', async () => {
    ns = await createNamespace(mgmt.admin, 'img');

    logDir = join(fleet.info.runDir, 'logs', ns);
    mkdirSync(logDir, { recursive: true });
    const repo = uniqueName('img-repo');
    await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, {
      'hub/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-image-hub\ndata:\n  v: "1"\n',
    });
    creds = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: ns },
      stringData: { username: fleet.git.info.admin.username, password: fleet.git.info.admin.password },
    };
    await mgmt.admin.create(creds);
    const pushName = uniqueName('imgpush');
    await registerCluster(mgmt.admin, {
      name: pushName,
      connection: await loadConnection({ file: target.kubeconfig }),
    });
    // Files the processes read, inside the rootfs (it is read-only only inside their namespace).
    mkdirSync(join(rootfs, 'etc/gitfleet'), { recursive: true });
    copyFileSync(mgmt.kubeconfig, join(rootfs, 'etc/gitfleet/mgmt.kubeconfig'));
    execFileSync('chmod', ['-R', 'a+r', join(rootfs, 'etc/gitfleet')]);
    const port = await freePort();
    hubPort = port;
    hub = runImage(
      'image-hub',
      [
        'controller',
        '--kubeconfig',
        '/etc/gitfleet/mgmt.kubeconfig',
        '--namespace',
        ns,
        '--webhook-port',
        String(port),
        '--poll-interval',
        '2s',
        '--cache-dir',
        '/var/cache/gitfleet/sources',
        '--audit-store',
        'off',
        '--shard-group',
        uniqueName('img'),
        '--replica-id',
        'image-hub',
      ],
      logDir,
    );
    await waitFor(
      'the image hub /healthz',
      async () => (alive(hub), (await fetch(`http://127.0.0.1:${port}/healthz`)).ok),
      { timeoutMs: 60_000 },
    );
    // The image's hub syncs an Application from the harness Git server (through the image's own
    // git and git-remote-http) to the registered push cluster.
    await target.admin.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      { fieldManager: 'test' },
    );
    await mgmt.admin.create<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: 'from-image', namespace: ns },
      spec: {
        source: { repoURL: fleet.git.repoUrl(repo), path: 'hub', secretRef: { name: 'creds' } },
        destination: { name: pushName, namespace: ns },
        syncPolicy: { automated: { prune: true } },
      },
    });
    await waitFor(
      'the image hub to sync the Application from Git',
      async () => {
        alive(hub);
        const app = await mgmt.admin.get<Application>({
          apiVersion: API_VERSION,
          kind: 'Application',
          namespace: ns,
          name: 'from-image',
        });
        if (app.status?.sync?.status === 'Synced') return app;
        throw new Error(JSON.stringify({ sync: app.status?.sync, conditions: app.status?.conditions }));
      },
      { timeoutMs: 90_000 },
    );
    const cm = await target.admin.getOrUndefined({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      name: 'from-image-hub',
    });
    expect(cm?.metadata.annotations?.['gitfleet.dev/owner']).toBe(`${ns}/from-image`);
  });

  it('runs as an agent of that hub: heartbeats, is judged compatible, and syncs its assignment', async () => {
    const cluster = edge;
    if (!cluster) throw new Error('the agent cluster did not start');
    const edgeName = cluster.name;
    const { token } = await registerAgentCluster(mgmt.admin, { name: edgeName });
    writeFileSync(join(rootfs, 'etc/gitfleet/token'), token, { mode: 0o644 });
    copyFileSync(cluster.kubeconfig, join(rootfs, 'etc/gitfleet/edge.kubeconfig'));
    execFileSync('chmod', ['a+r', join(rootfs, 'etc/gitfleet/edge.kubeconfig')]);
    // Git credentials stay in the agent's cluster, in the app's namespace; assignments are stored
    // there as Applications.
    await installCrds(cluster.admin);
    await cluster.admin.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      { fieldManager: 'test' },
    );
    await cluster.admin.create(creds);
    const repo = uniqueName('img-agent-repo');
    await fleet.git.createRepo(repo);
    await fleet.git.commit(repo, {
      'edge/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-image-agent\ndata:\n  v: "1"\n',
    });
    await mgmt.admin.create<Application>({
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name: 'from-image-agent', namespace: ns },
      spec: {
        source: { repoURL: fleet.git.repoUrl(repo), path: 'edge', secretRef: { name: 'creds' } },
        destination: { name: edgeName, namespace: ns },
        syncPolicy: { automated: { prune: true } },
      },
    });
    const agent = runImage(
      'image-agent',
      [
        'agent',
        '--hub',
        `http://127.0.0.1:${hubPort}`,
        '--cluster',
        edgeName,
        '--token-file',
        '/etc/gitfleet/token',
        '--kubeconfig',
        '/etc/gitfleet/edge.kubeconfig',
        '--poll-interval',
        '2s',
        '--metrics-port',
        '0',
        '--cache-dir',
        '/var/cache/gitfleet/agent-sources',
      ],
      logDir,
    );
    const both = (): void => (alive(hub), alive(agent));
    // The hub records the agent's contact: reachable, its version, a heartbeat, AgentCompatible.
    const seen = await waitFor(
      'the hub to record the image agent on its Cluster',
      async () => {
        both();
        const c = await mgmt.admin.get<Cluster>({
          apiVersion: API_VERSION,
          kind: 'Cluster',
          namespace: FLEET_NAMESPACE,
          name: edgeName,
        });
        const compat = c.status?.conditions?.find((x) => x.type === 'AgentCompatible');
        if (c.status?.agentVersion && c.status.lastHeartbeat && compat?.status === 'True') return c;
        throw new Error(JSON.stringify(c.status ?? {}));
      },
      { timeoutMs: 120_000 },
    );
    expect(seen.status?.agentVersion).toBe(treeVersion);
    expect(seen.status?.reachable).toBe(true);
    expect(Number.isNaN(Date.parse(seen.status?.lastHeartbeat ?? ''))).toBe(false);
    // Its assignment is applied in its cluster and reported Synced to the hub.
    await waitFor(
      'the image agent to sync its assignment and report it',
      async () => {
        both();
        const app = await mgmt.admin.get<Application>({
          apiVersion: API_VERSION,
          kind: 'Application',
          namespace: ns,
          name: 'from-image-agent',
        });
        if (app.status?.sync?.status === 'Synced') return app;
        throw new Error(JSON.stringify({ sync: app.status?.sync, conditions: app.status?.conditions }));
      },
      { timeoutMs: 120_000 },
    );
    const cm = await cluster.admin.getOrUndefined({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      name: 'from-image-agent',
    });
    expect(cm?.metadata.annotations?.['gitfleet.dev/owner']).toBe(`${ns}/from-image-agent`);
    both();
  });
});
