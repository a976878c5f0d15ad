// The source stage of the engine: Git repositories in, commits and read-only files out.
//
// Algorithm
// 1. Identity. normalizeRepoUrl() turns every spelling of a repository URL (case of the host,
//    `.git`, trailing `/`, userinfo) into one key. A process keeps one bare mirror per key at
//    `<cacheDir>/mirrors/<first 16 hex of sha256(key)>.git`, shared by every Application.
// 2. Fetch. `git ls-remote --symref` (default branch, and a cheap credential check), then
//    `git fetch --prune` of `+refs/heads/*` and `+refs/tags/*` with the URL on the command line (no
//    remote in the config). The first fetch fills a temporary directory renamed into place, so a
//    mirror exists only once complete. Fetches are throttled per repository (fetchIntervalMs,
//    injected clock) unless forced (webhooks), and concurrent callers share one in-flight fetch.
//    Access: a mirror is shared, credentials are not. Before fetch() or resolve() serve a caller,
//    the server must have accepted that caller's credentials (or anonymous access) for the
//    repository within accessTtlMs: an `ls-remote` with them, remembered per (repository, HMAC of
//    the Authorization header); a refusal forgets earlier acceptance (revocation).
// 3. Resolve. One for-each-ref, then pure matching: default branch, ref name, branch, tag, commit
//    id, semver range over tags (semver.ts, no dependency). Only object ids and ref names taken
//    from the mirror reach git, always after --end-of-options. The listing is shared by every
//    resolve() of the repository until a fetch starts or ends (a mirror generation), so N apps
//    cost one for-each-ref and a moved branch is never answered from before the fetch.
// 4. Checkout. `git archive <sha> | tar -x` into a temporary directory, made read-only and renamed
//    to `<cacheDir>/checkouts/<sha>`: content-addressed, created once, shared. info/attributes
//    disables export-ignore/export-subst and EOL/filter conversions so files are exactly as
//    committed. The render stage (render/confine.ts) keeps reads inside it (`..`, absolute paths,
//    escaping symlinks). Checkouts are collected (checkout-gc.ts): those in use (leased for
//    checkoutLeaseMs after checkout(), or held by withCheckout()) stay, plus the checkoutsPerRepo
//    most recent per repository, within maxCheckoutBytes.
// 5. Tree hash. The object id of `<sha>:<path>`: the render cache key, unchanged by commits
//    elsewhere. Directories come from one `ls-tree -r -d` of the commit shared by every app (size
//    limited); the root, files and anything else from `rev-parse`. Facts about a commit never
//    change, so they are asked once (memo.ts); "not in the mirror" is never remembered.
// 6. Webhooks. parsePushWebhook() verifies GitHub/GitLab/Gitea signatures and returns the
//    repository URLs to force-fetch; it is pure, the hub owns the HTTP endpoint.
//
// Safety: git runs with argument arrays (no shell), a timeout (its whole process group is stopped),
// an output limit, the caller's AbortSignal, a clean environment (no prompts, no system/global
// config, private HOME, only the http(s) transports — or, for an SSH URL fetched with a key, only
// ssh, run by an argument-safe GIT_SSH_COMMAND with strict known_hosts — no hooks). Every caller-supplied value
// reaches argv after `--end-of-options`, and revisions starting with `-` are refused. Credentials
// travel as an `http.extraHeader` in GIT_CONFIG_* env variables, never in argv, URLs, files or
// messages; git's stderr is scrubbed before it is quoted. Before git connects, the host's addresses
// are checked against a deny-list (link-local metadata by default) and pinned (curloptResolve).
// Every connection-level failure is one message (no port scanning); the detail goes to the log.
export type { GitCredentials } from './git-exec.js';
export { maxSatisfying, satisfiesRange } from './semver.js';
export { defaultSourceOptions, GitSources, type Resolved, type SourceOptions } from './sources.js';
export { locateRepo, normalizeRepoUrl, type RepoLocation, type SshTarget } from './url.js';
export { DEFAULT_DENIED_NETWORKS } from './network.js';
export {
  parsePushWebhook,
  WebhookAuthError,
  WebhookIgnoredError,
  WebhookPayloadError,
  type PushEvent,
  type WebhookProvider,
  type WebhookSecrets,
} from './webhook.js';
