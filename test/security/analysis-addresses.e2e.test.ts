import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisMetric } from '../../src/api/delivery.js';
import { measure } from '../../src/delivery/providers.js';

// Attack: an AnalysisTemplate comes from a tenant's Git and its queries run from the hub (or the
// agent), so its address — written directly, through an argument, or behind a redirect — must not
// reach the cloud metadata endpoint that hands out node credentials. Real HTTP servers stand in
// for an allowed Prometheus/web endpoint and for a bouncing one.

const deps = { namespace: 'n', jobName: 'j' };
const web = (url: string, args: Record<string, string> = {}): Parameters<typeof measure>[0] => ({
  key: 'tpl/m',
  metric: { name: 'm', provider: { web: { url, jsonPath: '$.v' } } } as AnalysisMetric,
  args,
});
const listen = (s: Server): Promise<string> =>
  new Promise((r) =>
    s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as { port: number }).port}`)),
  );

let target: Server;
let bouncer: Server;
let targetUrl: string;
let bouncerUrl: string;
beforeAll(async () => {
  target = createServer((_req, res) => res.end(JSON.stringify({ v: 1 })));
  targetUrl = await listen(target);
  bouncer = createServer((req, res) =>
    res.writeHead(302, { location: `${targetUrl}${req.url ?? '/'}` }).end(),
  );
  bouncerUrl = await listen(bouncer);
});
afterAll(() => {
  target.close();
  bouncer.close();
});

describe('analysis addresses from tenants', () => {
  it('an allowed endpoint is measured (the refusals below are the screen, not a broken client)', async () => {
    await expect(measure(web(`${targetUrl}/x`), deps)).resolves.toMatchObject({ value: 1 });
  });

  it('the metadata range is refused before connecting, written directly or through an argument', async () => {
    await expect(measure(web('http://169.254.169.254/latest/meta-data/'), deps)).rejects.toThrow(
      /169\.254\.0\.0\/16/,
    );
    await expect(
      measure(web('http://{{args.host}}/latest/meta-data/', { host: '169.254.169.254' }), deps),
    ).rejects.toThrow(/169\.254\.0\.0\/16/);
    await expect(
      measure(
        {
          key: 'tpl/p',
          metric: { name: 'p', provider: { prometheus: { address: 'http://[fe80::1]', query: 'up' } } },
          args: {},
        },
        deps,
      ),
    ).rejects.toThrow(/fe80::\/10/);
  });

  it('a redirect is not followed, even from an allowed host', async () => {
    await expect(measure(web(`${bouncerUrl}/x`), deps)).rejects.toThrow();
  });
});
