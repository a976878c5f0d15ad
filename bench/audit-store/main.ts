// The embedded audit store's cost to the hub: RSS and start-up time, SQLite (the default) against
// PGlite (the store before it), on a first start (creating the database) and a restart (opening
// it), then insert and query times over --entries records.
//
//   npx tsx bench/audit-store/main.ts [--entries 2000] [--stores sqlite,pglite] [--rounds 3]
//
// Each measurement runs in a fresh Node process (this file with --child), so one store's memory
// never counts against the other. RSS figures are taken after a forced GC and are the process's
// resident set minus what it held before the store's module was loaded.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AuditRecord, AuditStore } from '../../src/governance/audit/index.js';

type Store = 'sqlite' | 'pglite';
interface Sample {
  store: Store;
  phase: 'create' | 'reopen';
  loadMs: number;
  /** CPU time of load + open: what the store costs the start-up on an unloaded machine. */
  startCpuMs: number;
  openMs: number;
  rssMiB: number;
  rssAnonMiB: number;
  rssFileMiB: number;
  rssAfterWritesMiB: number;
  insertMsPerEntry: number;
  queryAppMs: number;
  queryCommitMs: number;
}

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '2000' },
    stores: { type: 'string', default: 'sqlite,pglite' },
    rounds: { type: 'string', default: '3' },
    child: { type: 'string' },
    dir: { type: 'string' },
    phase: { type: 'string' },
  },
});
const entries = Number(values.entries);
const mib = (b: number): number => b / 2 ** 20;
const rss = (): number => {
  global.gc?.();
  return process.memoryUsage().rss;
};
/** Anonymous (private, the real cost) and file-backed (shared library text, evictable) resident KiB. */
const rssSplit = (): { anon: number; file: number } => {
  global.gc?.();
  const s = readFileSync('/proc/self/status', 'utf8');
  const kib = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0) * 1024;
  return { anon: kib('RssAnon'), file: kib('RssFile') };
};

const record = (i: number): AuditRecord => ({
  operation: 'auto-sync',
  trigger: 'automated',
  appNamespace: 'apps',
  app: `svc-${i % 100}`,
  project: 'default',
  cluster: `c${i % 4}`,
  namespace: 'dest',
  revision: (i * 2654435761).toString(16).padStart(8, '0').repeat(5).slice(0, 40),
  repoURL: 'http://git.local/fleet.git',
  result: 'Succeeded',
  message: 'applied 10 objects',
  startedAt: new Date(Date.UTC(2026, 0, 1) + i * 1000),
  durationMs: 120,
  objects: [{ kind: 'ConfigMap', namespace: 'dest', name: `cm-${i}`, action: 'configured' }],
  unchanged: 9,
});

async function child(store: Store, dir: string, phase: Sample['phase']): Promise<Sample> {
  // gitfleet's own modules first: they are the hub's whether or not it keeps an audit trail. What
  // is timed and weighed from here on is the store: its driver's module and the database.
  const { openAuditStore } = await import('../../src/governance/audit/open.js');
  const { SqlAuditStore } = await import('../../src/governance/audit/sql-store.js');
  const before = rss();
  const split0 = rssSplit();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let open: (d: string) => Promise<AuditStore>;
  if (store === 'sqlite') {
    await import('../../src/governance/audit/sqlite-store.js');
    open = (d) => openAuditStore(d);
  } else {
    const { openPgliteDriver } = await import('../../src/governance/audit/pglite-driver.js');
    open = async (d) => SqlAuditStore.open(await openPgliteDriver(d));
  }
  const t1 = performance.now();
  const s = await open(dir);
  const t2 = performance.now();
  const cpu = process.cpuUsage(c0);
  const opened = rss();
  const split1 = rssSplit();
  // Writes as the controller makes them: a few reconciles finishing together.
  const w0 = performance.now();
  for (let i = 0; i < entries; i += 4) await Promise.all([0, 1, 2, 3].map((k) => s.record(record(i + k))));
  const w1 = performance.now();
  const timed = async (f: () => Promise<unknown>): Promise<number> => {
    await f();
    const q0 = performance.now();
    for (let k = 0; k < 20; k++) await f();
    return (performance.now() - q0) / 20;
  };
  const queryAppMs = await timed(() =>
    s.query({ app: 'apps/svc-7', cluster: 'c3', since: new Date(Date.UTC(2026, 0, 1)) }),
  );
  const queryCommitMs = await timed(() => s.query({ commit: record(77).revision.slice(0, 7) }));
  const after = rss();
  await s.close();
  return {
    store,
    phase,
    loadMs: t1 - t0,
    startCpuMs: (cpu.user + cpu.system) / 1000,
    openMs: t2 - t1,
    rssMiB: mib(opened - before),
    rssAnonMiB: mib(split1.anon - split0.anon),
    rssFileMiB: mib(split1.file - split0.file),
    rssAfterWritesMiB: mib(after - before),
    insertMsPerEntry: (w1 - w0) / entries,
    queryAppMs,
    queryCommitMs,
  };
}

if (values.child) {
  const r = await child(values.child as Store, values.dir as string, values.phase as Sample['phase']);
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const run = (store: Store, dir: string, phase: Sample['phase']): Sample => {
  const out = execFileSync(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      self,
      '--child',
      store,
      '--dir',
      dir,
      '--phase',
      phase,
      '--entries',
      String(entries),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 },
  );
  return JSON.parse(out.trim().split('\n').pop() as string) as Sample;
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

const samples: Sample[] = [];
for (let round = 0; round < Number(values.rounds); round++)
  for (const store of values.stores.split(',') as Store[]) {
    const dir = mkdtempSync(join(tmpdir(), `gitfleet-bench-audit-${store}-`));
    try {
      for (const phase of ['create', 'reopen'] as const) {
        const s = run(store, dir, phase);
        samples.push(s);
        console.log(
          `${store.padEnd(6)} ${phase.padEnd(6)} load ${s.loadMs.toFixed(0)} ms, open ${s.openMs.toFixed(0)} ms (CPU ${s.startCpuMs.toFixed(0)} ms), ` +
            `RSS +${s.rssMiB.toFixed(1)} MiB (anon ${s.rssAnonMiB.toFixed(1)}, file ${s.rssFileMiB.toFixed(1)}; +${s.rssAfterWritesMiB.toFixed(1)} after ${entries} writes), ` +
            `${s.insertMsPerEntry.toFixed(3)} ms/insert, query app ${s.queryAppMs.toFixed(2)} ms, commit ${s.queryCommitMs.toFixed(2)} ms`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

const summary: Record<string, Record<string, number>> = {};
for (const store of values.stores.split(',') as Store[])
  for (const phase of ['create', 'reopen'] as const) {
    const xs = samples.filter((s) => s.store === store && s.phase === phase);
    const m = (k: keyof Sample): number => Number(median(xs.map((s) => s[k] as number)).toFixed(3));
    summary[`${store}.${phase}`] = {
      startMs: m('loadMs') + m('openMs'),
      loadMs: m('loadMs'),
      startCpuMs: m('startCpuMs'),
      openMs: m('openMs'),
      rssMiB: m('rssMiB'),
      rssAnonMiB: m('rssAnonMiB'),
      rssFileMiB: m('rssFileMiB'),
      rssAfterWritesMiB: m('rssAfterWritesMiB'),
      insertMsPerEntry: m('insertMsPerEntry'),
      queryAppMs: m('queryAppMs'),
      queryCommitMs: m('queryCommitMs'),
    };
  }
console.log('\nmedians:');
for (const [k, v] of Object.entries(summary))
  console.log(
    `${k.padEnd(15)} start ${v.startMs?.toFixed(0)} ms (CPU ${v.startCpuMs?.toFixed(0)} ms), RSS +${v.rssMiB?.toFixed(1)} MiB (anon ${v.rssAnonMiB?.toFixed(1)}; +${v.rssAfterWritesMiB?.toFixed(1)} after writes)`,
  );
console.log(`RESULT ${JSON.stringify({ entries, rounds: Number(values.rounds), summary, samples })}`);
