/** Browser sign-in (OIDC authorization code + PKCE) and cookie sessions for the hub API. */
export { BrowserLogin, CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, type BrowserLoginOptions } from './login.js';
export { authRoutes } from './routes.js';
export { sessionKeyFrom } from './key.js';
