// CLI start-up benchmark: how long one `gitfleet app list` takes, compiled (dist/, what `npm i -g`
// and the image run) and through tsx (how the repository ran it before), against a local hub both
// ways the CLI talks to one: the management cluster's API (--kubeconfig) and the hub's HTTP API
// (--hub). `node -e 0` is the floor: Node's own start-up on this machine at this moment.
//   npx tsx bench/cli/main.ts [--runs 15] [--apps 50]
// Compiles the working tree into $TMPDIR/gitfleet-bench-cli first. Prints figures and, last, `RESULT {json}`.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API_VERSION } from '../../src/api/application.js';
import { installCrds } from '../../src/cli/commands/install.js';
import { startFleet } from '../../test/harness/fleet.js';
import { freePort } from '../../test/harness/ports.js';
import { startProcess } from '../../test/harness/process.js';
import { repoRoot } from '../../test/harness/tools.js';
import { FatalWaitError, waitFor } from '../../test/harness/wait.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '15' }, apps: { type: 'string', default: '50' } },
});
const runs = Number(values.runs);
const apps = Number(values.apps);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

// The working tree compiled apart from dist/ (others may be using it). tsc emits even when files
// elsewhere in the tree do not type-check; what is timed is the CLI's start and one list.
const outDir = join(tmpdir(), 'gitfleet-bench-cli', 'dist');
console.log(`compiling into ${outDir}…`);
spawnSync(
  process.execPath,
  [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir],
  {
    cwd: repoRoot,
    stdio: 'ignore',
  },
);
// Beside its package.json, as installed: the CLI finds its version and deploy/ by walking up.
copyFileSync(join(repoRoot, 'package.json'), join(outDir, '..', 'package.json'));
if (!existsSync(join(outDir, '..', 'node_modules')))
  symlinkSync(join(repoRoot, 'node_modules'), join(outDir, '..', 'node_modules'));
const compiled = join(outDir, 'src/cli/main.js');
const srcMain = join(repoRoot, 'src/cli/main.ts');

const fleet = await startFleet({ clusters: ['cli'] });
const workDir = mkdtempSync(join(tmpdir(), 'gitfleet-bench-cli-'));
try {
  const c = fleet.clusters[0];
  if (!c) throw new Error('no cluster');
  const client = c.admin;
  await installCrds(client);
  const ns = 'bench-cli';
  await client.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { fieldManager: 'bench' },
  );
  for (let i = 0; i < apps; i++)
    await client.apply(
      {
        apiVersion: API_VERSION,
        kind: 'Application',
        metadata: { name: `app-${i}`, namespace: ns },
        spec: {
          source: { repoURL: 'https://git.example/none.git', path: '.' },
          destination: { name: 'in-cluster', namespace: ns },
        },
      },
      { fieldManager: 'bench' },
    );
  // A hub (compiled) serving the API, so `--hub` is measured against a real one.
  const port = await freePort();
  const token = 'bench-cli-token-0123456789abcdef';
  const hub = startProcess({
    name: 'hub',
    command: process.execPath,
    args: [
      compiled,
      'controller',
      '--kubeconfig',
      c.kubeconfig,
      '--namespace',
      ns,
      '--webhook-port',
      String(port),
      '--cache-dir',
      join(workDir, 'sources'),
      '--audit-store',
      'off',
    ],
    cwd: repoRoot,
    logDir: workDir,
    env: { GITFLEET_API_TOKENS: token, GITFLEET_LOG_LEVEL: 'warn' },
  });
  const hubUrl = `http://127.0.0.1:${port}`;
  // The hub is measured when it starts; a tree whose hub does not start still gets the kube figures.
  let hubUp = true;
  try {
    await waitFor(
      'the hub API',
      async () => {
        if (!hub.running) throw new FatalWaitError(`the hub exited:\n${hub.tail()}`);
        return (await fetch(`${hubUrl}/healthz`)).ok;
      },
      { timeoutMs: 60_000 },
    );
  } catch (e) {
    hubUp = false;
    console.log(
      `hub did not start, --hub not measured: ${e instanceof Error ? e.message.slice(0, 300) : String(e)}`,
    );
  }

  const time = (args: string[], env: Record<string, string> = {}): number[] => {
    const out: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args, {
        cwd: repoRoot,
        encoding: 'utf8',
        env: { ...process.env, GITFLEET_CONFIG: join(workDir, 'none.json'), ...env },
      });
      out.push(performance.now() - t0);
      if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    }
    return out;
  };
  const listKube = ['app', 'list', '--kubeconfig', c.kubeconfig, '-n', ns];
  const listHub = ['app', 'list', '--hub', hubUrl, '--token', token, '-n', ns];
  const rows: [string, number[]][] = [
    ['node -e 0 (floor)', time(['-e', '0'])],
    ['compiled: version --client', time([compiled, 'version', '--client'])],
    ['compiled: app list --kubeconfig', time([compiled, ...listKube])],
    ...(hubUp ? ([['compiled: app list --hub', time([compiled, ...listHub])]] as [string, number[]][]) : []),
    ['tsx: app list --kubeconfig', time(['--import', 'tsx', srcMain, ...listKube])],
    ...(hubUp
      ? ([['tsx: app list --hub', time(['--import', 'tsx', srcMain, ...listHub])]] as [string, number[]][])
      : []),
  ];
  console.log(`\nmedian wall time of ${runs} runs, ${apps} Applications listed:`);
  const result: Record<string, number> = {};
  for (const [name, xs] of rows) {
    result[name] = Math.round(median(xs));
    console.log(
      `  ${name.padEnd(34)} ${String(result[name]).padStart(6)} ms   (min ${Math.round(Math.min(...xs))})`,
    );
  }
  const floor = result['node -e 0 (floor)'] ?? 0;
  console.log(
    `\ncompiled app list over the floor: kube ${(result['compiled: app list --kubeconfig'] ?? 0) - floor} ms, hub ${(result['compiled: app list --hub'] ?? 0) - floor} ms`,
  );
  await hub.stop();
  console.log(`RESULT ${JSON.stringify({ runs, apps, medianMs: result })}`);
} finally {
  await fleet.stop();
  rmSync(workDir, { recursive: true, force: true });
}
