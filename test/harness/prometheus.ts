import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { systemTool } from './tools.js';
import { FatalWaitError, waitFor } from './wait.js';

/** A real Prometheus (Debian's package) scraping the given targets every second. */
export interface Prometheus {
  url: string;
  process: ManagedProcess;
  /** Instant query; one entry per series. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  /** The scrape targets' health ("up", "down", "unknown") and last scrape error. */
  targetsUp(): Promise<{ health: string; lastError: string }[]>;
  stop(): Promise<void>;
}

export async function startPrometheus(
  dir: string,
  logDir: string,
  targets: string[],
  opts: {
    /** Rule files to load (alerting and recording rules), evaluated every second. */
    ruleFiles?: string[];
    /** Sent as `Authorization: Bearer` on scrapes (the hub's --metrics-token-file). */
    bearerToken?: string;
  } = {},
): Promise<Prometheus> {
  const bin = systemTool('prometheus');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    JSON.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      ...(opts.ruleFiles ? { rule_files: opts.ruleFiles } : {}),
      scrape_configs: [
        {
          job_name: 'gitfleet',
          static_configs: [{ targets }],
          ...(opts.bearerToken ? { authorization: { type: 'Bearer', credentials: opts.bearerToken } } : {}),
        },
      ],
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = startProcess({
    name: 'prometheus',
    command: bin,
    args: [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    logDir,
  });
  await waitFor(
    'prometheus /-/ready',
    async () => {
      if (!proc.running) throw new FatalWaitError(`prometheus exited:\n${proc.tail()}`);
      return (await fetch(`${url}/-/ready`)).ok;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  return {
    url,
    process: proc,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as {
        data?: { result?: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (!res.ok) throw new Error(`prometheus query ${expr}: HTTP ${res.status}: ${JSON.stringify(body)}`);
      return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async targetsUp() {
      const res = await fetch(`${url}/api/v1/targets`);
      const body = (await res.json()) as {
        data?: { activeTargets?: { health: string; lastError: string }[] };
      };
      return (body.data?.activeTargets ?? []).map((t) => ({ health: t.health, lastError: t.lastError }));
    },
    stop: () => proc.stop(),
  };
}
