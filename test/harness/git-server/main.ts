// The test Git server: smart HTTP over `git http-backend`, behind Basic authentication.
//   node --import tsx test/harness/git-server/main.ts --root DIR --users FILE --port N
// Anonymous requests get 401; users with access `none` get 403; `read` users cannot push.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { runHttpBackend } from './cgi.js';
import { Users } from './users.js';

const { values } = parseArgs({
  options: { root: { type: 'string' }, users: { type: 'string' }, port: { type: 'string' } },
});
if (!values.root || !values.users || !values.port) {
  console.error('usage: main.ts --root DIR --users FILE --port N');
  process.exit(2);
}
const root = values.root;
const users = new Users(values.users);
const gitExecPath = execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim();

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/healthz') {
    res.end('ok');
    return;
  }
  const who = users.authenticate(req.headers.authorization);
  if (!who) {
    res
      .writeHead(401, { 'WWW-Authenticate': 'Basic realm="gitfleet-test"' })
      .end('authentication required\n');
    return;
  }
  const isPush =
    url.pathname.endsWith('/git-receive-pack') || url.searchParams.get('service') === 'git-receive-pack';
  if (who.access === 'none' || (isPush && who.access !== 'write')) {
    res.writeHead(403).end(`user ${who.user} may not ${isPush ? 'push to' : 'read'} this repository\n`);
    return;
  }
  if (url.pathname.includes('..')) {
    res.writeHead(400).end('bad path\n');
    return;
  }
  runHttpBackend(req, res, {
    gitExecPath,
    projectRoot: root,
    pathInfo: decodeURIComponent(url.pathname),
    query: url.search.slice(1),
    remoteUser: who.user,
  });
});
server.listen(Number(values.port), '127.0.0.1', () => console.log(`git server listening on ${values.port}`));
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => server.close(() => process.exit(0)));
