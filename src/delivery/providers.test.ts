import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { prometheus } from './providers.js';

describe('analysis addresses', () => {
  it('refuses the cloud metadata range before connecting, naming the address', async () => {
    await expect(prometheus('http://169.254.169.254', 'up', 1)).rejects.toThrow(
      /analysis address http:\/\/169\.254\.169\.254.*169\.254\.0\.0\/16/,
    );
  });

  it('refuses to follow a redirect (it could lead anywhere, a denied range included)', async () => {
    const answer = JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [0, '1'] } });
    const target = createServer((_req, res) => res.end(answer));
    const bouncer = createServer((req, res) => {
      const { port } = target.address() as { port: number };
      res.writeHead(302, { location: `http://127.0.0.1:${port}${req.url ?? '/'}` }).end();
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => bouncer.listen(0, '127.0.0.1', r));
    const at = (s: typeof target): string => `http://127.0.0.1:${(s.address() as { port: number }).port}`;
    try {
      // The target itself answers (so the refusal below is the redirect's, not the target's).
      await expect(prometheus(at(target), 'up', 2)).resolves.toBe(1);
      await expect(prometheus(at(bouncer), 'up', 2)).rejects.toThrow();
    } finally {
      bouncer.close();
      target.close();
    }
  });
});
