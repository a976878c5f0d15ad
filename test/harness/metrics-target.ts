// A metrics endpoint whose counters the test sets: what a real service would expose (requests by
// status code, per app), for a real Prometheus to scrape and gitfleet's analyses to query.
import { createServer, type Server } from 'node:http';

export interface MetricsTarget {
  /** host:port, for Prometheus' static_configs. */
  address: string;
  /** Sets the counters of `app`: successes and errors so far (counters only grow in real life; tests may reset). */
  set(app: string, success: number, errors: number): void;
  stop(): Promise<void>;
}

export async function startMetricsTarget(): Promise<MetricsTarget> {
  const counts = new Map<string, { success: number; errors: number }>();
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const lines = ['# TYPE demo_requests_total counter'];
    for (const [app, c] of counts) {
      lines.push(`demo_requests_total{app="${app}",code="200"} ${c.success}`);
      lines.push(`demo_requests_total{app="${app}",code="500"} ${c.errors}`);
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    address: `127.0.0.1:${port}`,
    set: (app, success, errors) => counts.set(app, { success, errors }),
    stop: () => new Promise((r) => server.close(() => r())),
  };
}
