import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Logger } from 'pino';
import { fail } from '../http-errors.js';
import type { HubEnv } from '../principal.js';
import type { BrowserLogin } from './login.js';
import { CSRF_COOKIE, CSRF_HEADER, LOGIN_COOKIE, LoginError, SESSION_COOKIE } from './login.js';

/**
 * /auth: the browser's sign-in with the OIDC issuer and sign-out. The API itself stays at /api/v1,
 * which accepts the session cookie these routes set (see BrowserLogin.authenticate).
 */
export function authRoutes(login: BrowserLogin, log: Logger): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  const cookie = (
    c: Context,
    name: string,
    value: string,
    maxAge: number,
    httpOnly: boolean,
    path: string,
  ): void => setCookie(c, name, value, { path, httpOnly, secure: login.secure, sameSite: 'Lax', maxAge });
  app.use('*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  // What the UI needs to offer "Sign in": that the hub has an issuer configured.
  app.get('/info', (c) => c.json({ oidc: true, csrfHeader: CSRF_HEADER }));
  app.get('/login', async (c) => {
    let started;
    try {
      started = await login.start(c.req.query('return'));
    } catch (e) {
      log.warn({ err: e instanceof Error ? e.message : String(e) }, 'OIDC sign-in could not start');
      fail(502, `the identity provider cannot be reached: ${e instanceof Error ? e.message : String(e)}`);
    }
    // Lax is what lets the issuer's redirect back to /auth/callback carry it.
    cookie(c, LOGIN_COOKIE, started.attempt, 600, true, '/auth');
    return c.redirect(started.location, 302);
  });
  app.get('/callback', async (c) => {
    const q = c.req.query();
    const attempt = getCookie(c, LOGIN_COOKIE);
    try {
      const done = await login.finish(
        {
          ...(q.code ? { code: q.code } : {}),
          ...(q.state ? { state: q.state } : {}),
          ...(q.error ? { error: q.error } : {}),
        },
        attempt,
      );
      cookie(c, LOGIN_COOKIE, '', 0, true, '/auth');
      cookie(c, SESSION_COOKIE, done.session, login.sessionTtlSeconds, true, '/');
      cookie(c, CSRF_COOKIE, done.csrf, login.sessionTtlSeconds, false, '/');
      log.info({ user: done.user.name, groups: done.user.groups.length }, 'signed in with OIDC');
      return c.redirect(done.returnTo, 302);
    } catch (e) {
      if (!(e instanceof LoginError)) throw e;
      // A failed attempt is over either way: the next one starts clean.
      cookie(c, LOGIN_COOKIE, '', 0, true, '/auth');
      log.warn({ reason: e.message }, 'OIDC sign-in refused');
      fail(e.status, e.message);
    }
  });
  app.post('/logout', (c) => {
    const out = login.signOut(c);
    if (out && 'csrfRefused' in out) fail(403, `signing out needs the ${CSRF_HEADER} header of the session`);
    cookie(c, SESSION_COOKIE, '', 0, true, '/');
    cookie(c, CSRF_COOKIE, '', 0, false, '/');
    if (out) log.info({ user: out.name }, 'signed out');
    return c.json({ signedOut: Boolean(out) });
  });
  return app;
}
