import { readFileSync } from 'node:fs';
import type { HubKey } from '../../governance/hub-key.js';
import { parseDuration } from '../../controllers/application/status.js';
import { sessionKeyFrom } from './key.js';
import { BrowserLogin } from './login.js';

/**
 * Browser sign-in from the hub's environment (the chart sets these from its values):
 * GITFLEET_OIDC_ISSUER and GITFLEET_OIDC_CLIENT_ID (shared with bearer ID tokens),
 * GITFLEET_OIDC_REDIRECT_URL (this hub's /auth/callback), the client secret from
 * GITFLEET_OIDC_CLIENT_SECRET_FILE (a mounted Secret) or GITFLEET_OIDC_CLIENT_SECRET (an env var
 * from a Secret), and optionally GITFLEET_OIDC_SCOPES and GITFLEET_SESSION_TTL (`12h`).
 * Undefined when no redirect URL is set: the hub then takes ID tokens as bearer tokens only.
 * Throws naming the variable when the configuration is half there; never says the secret.
 */
export function browserLoginFromEnv(
  env: NodeJS.ProcessEnv,
  opts: { hubKey?: HubKey; tls?: boolean },
): BrowserLogin | undefined {
  const redirectUrl = env.GITFLEET_OIDC_REDIRECT_URL;
  if (!redirectUrl) return undefined;
  const issuer = env.GITFLEET_OIDC_ISSUER;
  const clientId = env.GITFLEET_OIDC_CLIENT_ID;
  if (!issuer || !clientId)
    throw new Error(
      'GITFLEET_OIDC_REDIRECT_URL is set but GITFLEET_OIDC_ISSUER or GITFLEET_OIDC_CLIENT_ID is not',
    );
  const file = env.GITFLEET_OIDC_CLIENT_SECRET_FILE;
  let clientSecret = env.GITFLEET_OIDC_CLIENT_SECRET ?? '';
  if (file) {
    try {
      clientSecret = readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new Error(
        `GITFLEET_OIDC_CLIENT_SECRET_FILE ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  if (!clientSecret)
    throw new Error(
      'browser sign-in needs the OIDC client secret: set GITFLEET_OIDC_CLIENT_SECRET_FILE (or GITFLEET_OIDC_CLIENT_SECRET)',
    );
  try {
    new URL(redirectUrl);
  } catch {
    throw new Error(`GITFLEET_OIDC_REDIRECT_URL ${JSON.stringify(redirectUrl)} is not a URL`);
  }
  const scopes = env.GITFLEET_OIDC_SCOPES?.split(/[\s,]+/u).filter(Boolean);
  if (scopes && !scopes.includes('openid')) throw new Error('GITFLEET_OIDC_SCOPES must include openid');
  const ttl = env.GITFLEET_SESSION_TTL ? parseDuration(env.GITFLEET_SESSION_TTL) / 1000 : undefined;
  if (ttl !== undefined && !(ttl >= 60))
    throw new Error(
      `GITFLEET_SESSION_TTL ${JSON.stringify(env.GITFLEET_SESSION_TTL)} must be a duration of at least 1m`,
    );
  return new BrowserLogin({
    issuer,
    clientId,
    clientSecret,
    redirectUrl,
    key: sessionKeyFrom(opts.hubKey),
    ...(scopes ? { scopes } : {}),
    ...(env.GITFLEET_OIDC_GROUPS_CLAIM ? { groupsClaim: env.GITFLEET_OIDC_GROUPS_CLAIM } : {}),
    ...(env.GITFLEET_OIDC_USERNAME_CLAIM ? { usernameClaim: env.GITFLEET_OIDC_USERNAME_CLAIM } : {}),
    ...(ttl !== undefined ? { sessionTtlSeconds: Math.floor(ttl) } : {}),
    ...(opts.tls ? { secureCookies: true } : {}),
  });
}
