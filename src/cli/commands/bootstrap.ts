import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { TOKEN_SECRET_LABEL } from '../../api/agent.js';
import { FLEET_NAMESPACE } from '../../api/cluster.js';
import { stampOwner } from '../../engine/plan/ownership.js';
import type { GitCredentials } from '../../engine/source/git-exec.js';
import type { KubeClient } from '../../kube/client.js';
import { ensureNamespace } from '../../kube/namespace.js';
import type { KubeObject } from '../../kube/types.js';
import { commitTree } from '../bootstrap/git-commit.js';
import { clientFrom } from '../connect.js';
import { deployDir } from './install.js';

/** The Application (in the hub namespace) that installs gitfleet from Git: its objects' owner. */
export const SELF_APP = 'gitfleet';
/** Secret in the hub namespace holding the repository's credentials for the hub's reads. */
export const BOOTSTRAP_GIT_SECRET = 'gitfleet-bootstrap-git';
const RELEASE = 'gitfleet';

const USAGE = `usage: gitfleet bootstrap --repo URL --path DIR [--branch main] [--values FILE]
       [--agents-hub-url URL] [--kubeconfig FILE] [--context NAME]
Git credentials: $GITFLEET_GIT_USERNAME (default git) and $GITFLEET_GIT_PASSWORD (a token), or
--git-password-file FILE; never on the command line.`;

/** A repository path: relative, `/`-separated plain names, no `..`. */
function checkPath(path: string): string {
  const p = path.replace(/\/+$/, '');
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(p) || p.split('/').some((s) => s === '..' || s === '.'))
    throw new Error(
      `--path "${path}": a relative directory of plain names (letters, digits, . _ -), no "..", "." or leading "/"`,
    );
  return p;
}

function checkRepo(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--repo "${url}": not a URL (http:// or https://)`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new Error(`--repo: only http(s) repositories are bootstrapped, not ${u.protocol}`);
  // The URL is written into the Application in Git: credentials must never be part of it.
  if (u.username || u.password)
    throw new Error(
      '--repo must not carry credentials: pass them in $GITFLEET_GIT_PASSWORD or --git-password-file',
    );
  return url;
}

function checkBranch(b: string): string {
  if (!/^[A-Za-z0-9._/-]+$/.test(b) || b.startsWith('-') || b.includes('..') || b.endsWith('/'))
    throw new Error(`--branch "${b}": not a valid branch name`);
  return b;
}

/** The values committed next to the chart: the user's, plus where gitfleet manages itself from. */
export function bootstrapValues(opts: {
  user: Record<string, unknown>;
  repoURL: string;
  branch: string;
  path: string;
  withSecret: boolean;
  agentsHubUrl?: string;
}): Record<string, unknown> {
  const userSelf = (opts.user.selfManagement ?? {}) as Record<string, unknown>;
  const userAgents = (userSelf.agents ?? {}) as Record<string, unknown>;
  return {
    ...opts.user,
    selfManagement: {
      ...userSelf,
      repoURL: opts.repoURL,
      targetRevision: opts.branch,
      path: `${opts.path}/gitfleet`,
      // Relative to the chart directory: <path>/values.yaml, this file.
      valueFiles: ['../values.yaml'],
      ...(opts.withSecret ? { secretName: BOOTSTRAP_GIT_SECRET } : {}),
      ...(opts.agentsHubUrl
        ? {
            agents: {
              ...userAgents,
              enabled: true,
              hubUrl: opts.agentsHubUrl,
              valueFiles: ['../values-agent.yaml'],
            },
          }
        : {}),
    },
  };
}

function helmTemplate(chart: string, valuesFile: string): Promise<KubeObject[]> {
  const helm = process.env.GITFLEET_HELM ?? 'helm';
  const home = mkdtempSync(join(tmpdir(), 'gitfleet-helm-'));
  return new Promise<KubeObject[]>((resolve, reject) => {
    execFile(
      helm,
      ['template', RELEASE, chart, '--namespace', FLEET_NAMESPACE, '--include-crds', '-f', valuesFile],
      {
        timeout: 60_000,
        maxBuffer: 32 * 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: home,
          HELM_CACHE_HOME: home,
          HELM_CONFIG_HOME: home,
          HELM_DATA_HOME: home,
        },
      },
      (err, stdout, stderr) => {
        rmSync(home, { recursive: true, force: true });
        if (err)
          return reject(
            new Error(
              (err as { code?: unknown }).code === 'ENOENT'
                ? `helm not found (${helm}): install it or set GITFLEET_HELM (scripts/build-tools.sh helm)`
                : `helm template of the gitfleet chart failed: ${stderr.trim()}`,
            ),
          );
        resolve(
          parseAllDocuments(stdout)
            .map((d) => d.toJS() as KubeObject | null)
            .filter((o): o is KubeObject => o !== null && typeof o.kind === 'string'),
        );
      },
    );
  });
}

async function waitEstablished(client: KubeClient, names: string[]): Promise<void> {
  for (const name of names) {
    for (let i = 0; ; i++) {
      const crd = await client.get({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name,
      });
      const conds =
        (crd.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
      if (conds.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (i > 300) throw new Error(`CustomResourceDefinition ${name} not Established after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  client.invalidateDiscovery();
}

/**
 * Applies the rendered chart as the self-managing Application would: field manager `gitfleet`,
 * every object stamped as owned by gitfleet-system/gitfleet, so the Application's first sync adopts
 * them in place (same UIDs) instead of refusing them as unmanaged. CRDs first, then the rest.
 */
async function applyInstall(client: KubeClient, objects: KubeObject[]): Promise<string[]> {
  const owner = `${FLEET_NAMESPACE}/${SELF_APP}`;
  const isCrd = (o: KubeObject): boolean => o.kind === 'CustomResourceDefinition';
  const applied: string[] = [];
  const apply = async (o: KubeObject): Promise<void> => {
    await client.apply(stampOwner(o, owner), { fieldManager: 'gitfleet', force: true });
    applied.push(
      `${o.kind.toLowerCase()} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`,
    );
  };
  for (const o of objects.filter(isCrd)) await apply(o);
  await waitEstablished(
    client,
    objects.filter(isCrd).map((o) => o.metadata.name),
  );
  // Projects before the Applications that name them; the Application last: it starts the takeover.
  const rank = (o: KubeObject): number => (o.kind === 'Application' ? 2 : o.kind === 'Project' ? 1 : 0);
  for (const o of objects.filter((x) => !isCrd(x)).sort((a, b) => rank(a) - rank(b))) await apply(o);
  return applied;
}

function credentials(values: { 'git-password-file'?: string }): GitCredentials | undefined {
  const password = values['git-password-file']
    ? readFileSync(values['git-password-file'], 'utf8').trim()
    : process.env.GITFLEET_GIT_PASSWORD;
  if (!password) return undefined;
  return { username: process.env.GITFLEET_GIT_USERNAME || 'git', password };
}

/**
 * `gitfleet bootstrap` (as `flux bootstrap`): commits gitfleet's chart and values to the repository
 * at --path, installs the hub from exactly that (CRDs, RBAC, Deployment, …), and creates the
 * Application `gitfleet-system/gitfleet` that keeps installing it from Git; with --agents-hub-url
 * an ApplicationSet installs and upgrades agents on the Clusters labelled
 * gitfleet.dev/agent-install=true. Re-running with the same inputs commits nothing.
 */
export async function bootstrapCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      repo: { type: 'string' },
      path: { type: 'string' },
      branch: { type: 'string', default: 'main' },
      values: { type: 'string' },
      'agents-hub-url': { type: 'string' },
      'git-password-file': { type: 'string' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
    },
  });
  if (!values.repo || !values.path) {
    console.error(USAGE);
    return 2;
  }
  const repoURL = checkRepo(values.repo);
  const path = checkPath(values.path);
  const branch = checkBranch(values.branch);
  let user: Record<string, unknown> = {};
  if (values.values) {
    if (!existsSync(values.values)) throw new Error(`--values ${values.values}: no such file`);
    const parsed = parse(readFileSync(values.values, 'utf8')) as unknown;
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed)))
      throw new Error(`--values ${values.values}: a YAML map of chart values expected`);
    user = (parsed ?? {}) as Record<string, unknown>;
  }
  const creds = credentials(values);
  const agentsHubUrl = values['agents-hub-url'];
  const merged = bootstrapValues({
    user,
    repoURL,
    branch,
    path,
    withSecret: creds !== undefined,
    ...(agentsHubUrl ? { agentsHubUrl } : {}),
  });
  const header =
    '# gitfleet hub values, written by `gitfleet bootstrap`; edit and push: the hub upgrades itself.\n';
  // YAML 1.1 quoting: Helm reads values as YAML 1.1, where a bare off/yes/no is a boolean.
  const valuesText = header + stringify(merged, { version: '1.1' });
  const agentValuesText =
    '# Values for the agents the gitfleet-agents ApplicationSet installs (mode, cluster and hubUrl are set per cluster).\n{}\n';
  const chart = join(deployDir(), 'chart', 'gitfleet');

  // Render first: bad values fail here, before anything is committed or applied.
  const work = mkdtempSync(join(tmpdir(), 'gitfleet-bootstrap-values-'));
  let objects: KubeObject[];
  try {
    writeFileSync(join(work, 'values.yaml'), valuesText);
    objects = await helmTemplate(chart, join(work, 'values.yaml'));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const commit = await commitTree({
    repoURL,
    branch,
    path,
    dirs: { gitfleet: chart },
    files: { 'values.yaml': valuesText, ...(agentsHubUrl ? { 'values-agent.yaml': agentValuesText } : {}) },
    message: `gitfleet bootstrap: install gitfleet from ${path}`,
    ...(creds ? { creds } : {}),
  });
  console.log(
    commit.changed
      ? `committed ${commit.sha.slice(0, 12)} to ${branch}: ${path}/gitfleet, ${path}/values.yaml`
      : `${branch} already holds this installation at ${commit.sha.slice(0, 12)}: nothing committed`,
  );

  const client = await clientFrom(values);
  try {
    await ensureNamespace(client, FLEET_NAMESPACE);
    if (creds)
      // Repository credentials for the hub's reads (a read-only token is enough); never printed.
      await client.apply(
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name: BOOTSTRAP_GIT_SECRET,
            namespace: FLEET_NAMESPACE,
            labels: { [TOKEN_SECRET_LABEL]: 'repository' },
          },
          stringData: { username: creds.username ?? 'git', password: creds.password ?? '' },
        } as KubeObject,
        { fieldManager: 'gitfleet-bootstrap', force: true },
      );
    for (const line of await applyInstall(client, objects)) console.log(`${line} applied`);
  } finally {
    client.close();
  }
  console.log(
    `Application ${FLEET_NAMESPACE}/${SELF_APP} now installs gitfleet from ${repoURL} ${branch}:${path}`,
  );
  return 0;
}
