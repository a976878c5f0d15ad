import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { lingerOnClose, type LingerOptions } from './linger.js';

const MiB = 1024 * 1024;
let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** A server that answers 413 with Connection: close part-way through a body, reading no more. */
async function refusing(opts?: LingerOptions): Promise<number> {
  server = createServer((req, res) => {
    // Reads 4 MiB, as the hub reads up to a body's limit, then stops reading and answers.
    let seen = 0;
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen < 4 * MiB) return;
      req.off('data', onData);
      req.pause();
      if (opts) lingerOnClose(req, opts);
      res.writeHead(413, { Connection: 'close', 'Content-Type': 'text/plain' }).end('too large');
    };
    req.on('data', onData);
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** Sends up to `total` bytes in `chunk`-sized writes until answered; resolves with what it saw. */
function send(
  port: number,
  total: number,
  chunk: number,
  gapMs = 0,
): Promise<{ status?: number; error?: string; closedAfterMs?: number }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/' });
    const data = Buffer.alloc(chunk, 0x61);
    let sent = 0;
    let status: number | undefined;
    let answeredAt = 0;
    const write = (): void => {
      while (sent < total && !req.destroyed) {
        sent += data.length;
        if (!req.write(data)) return void req.once('drain', write);
        if (gapMs) return void setTimeout(write, gapMs);
      }
    };
    req.on('response', (res) => {
      status = res.statusCode;
      answeredAt = performance.now();
      res.resume();
    });
    req.on('error', (e) =>
      resolve({
        ...(status ? { status } : { error: (e as NodeJS.ErrnoException).code ?? e.message }),
        closedAfterMs: performance.now() - answeredAt,
      }),
    );
    req.on('close', () => resolve({ ...(status ? { status } : { error: 'closed' }) }));
    write();
  });
}

describe('lingerOnClose', () => {
  it('lets a client still sending a large body read the 413, every time', async () => {
    const port = await refusing({ maxMs: 1000, maxBytes: 64 * MiB });
    const results = [];
    for (let i = 0; i < 15; i++) results.push(await send(port, 200 * MiB, MiB));
    expect(results.map((r) => r.status ?? r.error)).toEqual(Array(15).fill(413));
  });

  it('closes a client that keeps sending (ignoring the FIN) once maxMs has passed', async () => {
    const port = await refusing({ maxMs: 300, maxBytes: 64 * MiB });
    // 64 KiB every 20 ms (3 MiB/s): neither bound but time ends it.
    const r = await stubborn(port, 64 * 1024, 20);
    expect(r.answer).toMatch(/^HTTP\/1\.1 413/);
    expect(r.openMs).toBeGreaterThanOrEqual(250);
    expect(r.openMs).toBeLessThan(30_000);
  }, 60_000);

  it('closes a client that keeps sending (ignoring the FIN) once maxBytes were discarded', async () => {
    const port = await refusing({ maxMs: 60_000, maxBytes: 2 * MiB });
    const r = await stubborn(port, 256 * 1024, 5);
    expect(r.answer).toMatch(/^HTTP\/1\.1 413/);
    // Well before maxMs: the byte bound ended it.
    expect(r.openMs).toBeLessThan(30_000);
  }, 60_000);
});

/**
 * A raw client that keeps sending a chunked body whatever it reads (the FIN included), until the
 * server closes the connection; says what it read and how long the connection lived after it.
 */
function stubborn(port: number, chunk: number, gapMs: number): Promise<{ answer: string; openMs: number }> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let answer = '';
    let answeredAt = 0;
    const data = Buffer.alloc(chunk, 0x61);
    const frame = Buffer.concat([Buffer.from(`${chunk.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
    sock.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const timer = setInterval(() => {
      if (!sock.destroyed) sock.write(frame, () => undefined);
    }, gapMs);
    sock.on('data', (d: Buffer) => {
      if (!answer) answeredAt = performance.now();
      answer += d.toString('latin1');
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearInterval(timer);
      resolve({ answer, openMs: performance.now() - answeredAt });
    });
  });
}
