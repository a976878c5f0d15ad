import type { IncomingMessage } from 'node:http';

/** How long, and how much, a connection refused mid-body is read (and discarded) before closing. */
export interface LingerOptions {
  /** Longest the hub keeps reading after its answer. Default 1 s (Apache's lingering close: 2 s). */
  maxMs: number;
  /** Most bytes it discards; past them the connection is closed at once. Default 64 MiB. */
  maxBytes: number;
}

export const defaultLingerOptions = (): LingerOptions => ({ maxMs: 1000, maxBytes: 64 * 1024 * 1024 });

/**
 * Makes the close that follows an answer to an unread body (a 413) a lingering close, as nginx and
 * Apache do. Closing a socket whose receive buffer still holds the client's unread body makes the
 * kernel send a reset instead of a FIN, and a reset that reaches a client still sending before it
 * has read the answer discards the answer: the client sees ECONNRESET/EPIPE, not the 413. So when
 * Node's HTTP server closes this connection after the answer (`destroySoon`), the hub instead
 * half-closes (the answer and a FIN go out), reads and discards what the client still sends, and
 * closes for good when the client ends, after `maxMs`, or past `maxBytes`, whichever comes first.
 * Memory stays flat: discarded chunks are not kept. A request whose body was read to its end
 * closes as before.
 */
export function lingerOnClose(incoming: IncomingMessage, opts: LingerOptions = defaultLingerOptions()): void {
  // Gone already (the client hung up): nothing to linger on.
  const socket = incoming.socket as IncomingMessage['socket'] | null;
  if (!socket || socket.destroyed) return;
  const closeNow = socket.destroySoon.bind(socket);
  let lingering = false;
  socket.destroySoon = (): void => {
    // Called again (the client's FIN reaches Node's server), or nothing left unread: close now.
    if (lingering || incoming.complete || socket.destroyed) return closeNow();
    lingering = true;
    let seen = 0;
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
    };
    const timer = setTimeout(done, opts.maxMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.once('error', done);
    socket.end();
    // The body's reader (the request stream the route gave up on) is dropped so that what arrives
    // now is counted and let go, not queued.
    incoming.removeAllListeners('data');
    incoming.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > opts.maxBytes) done();
    });
    incoming.once('end', done);
    incoming.once('error', done);
    incoming.resume();
  };
}
