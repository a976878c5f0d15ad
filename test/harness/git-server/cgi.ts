import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Runs `git http-backend` as a CGI program for one request: the request body is piped to it, and
 * its output (CGI headers, a blank line, then the body) is turned into the HTTP response.
 */
export function runHttpBackend(
  req: IncomingMessage,
  res: ServerResponse,
  opts: { gitExecPath: string; projectRoot: string; pathInfo: string; query: string; remoteUser: string },
): void {
  const cgi = spawn(`${opts.gitExecPath}/git-http-backend`, [], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: opts.projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: opts.projectRoot,
      PATH_INFO: opts.pathInfo,
      QUERY_STRING: opts.query,
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: String(req.headers['content-type'] ?? ''),
      CONTENT_LENGTH: String(req.headers['content-length'] ?? ''),
      HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
      HTTP_GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      // receive-pack (push) is only enabled for an authenticated REMOTE_USER.
      REMOTE_USER: opts.remoteUser,
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  req.pipe(cgi.stdin);
  cgi.stdin.on('error', () => undefined);
  let stderr = '';
  cgi.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 8192) stderr += d.toString('utf8');
  });

  let head = Buffer.alloc(0);
  let headersDone = false;
  cgi.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    const endLf = head.indexOf('\n\n');
    const cut = end >= 0 ? end : endLf;
    if (cut < 0) return;
    const sepLen = end >= 0 ? 4 : 2;
    const lines = head.subarray(0, cut).toString('latin1').split(/\r?\n/);
    let status = 200;
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
      else res.setHeader(name, value);
    }
    res.statusCode = status;
    headersDone = true;
    const rest = head.subarray(cut + sepLen);
    if (rest.length) res.write(rest);
  });
  cgi.on('close', (code) => {
    if (!headersDone) {
      res.statusCode = 500;
      res.end(`git http-backend failed (exit ${code}): ${stderr}`);
      return;
    }
    res.end();
  });
}
