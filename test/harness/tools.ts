import { accessSync, constants, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The pins of scripts/versions.env, the one place tool versions are recorded. */
export function toolVersions(): Record<string, string> {
  const text = readFileSync(join(repoRoot, 'scripts', 'versions.env'), 'utf8');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(\S+)/.exec(line);
    if (m?.[1] && m[2]) out[m[1]] = m[2];
  }
  return out;
}

const owners: Record<string, [tool: string, versionKey: string]> = {
  etcd: ['etcd', 'ETCD_VERSION'],
  'kube-apiserver': ['kubernetes', 'KUBERNETES_VERSION'],
  'kube-controller-manager': ['kubernetes', 'KUBERNETES_VERSION'],
  'kube-scheduler': ['kubernetes', 'KUBERNETES_VERSION'],
  kwok: ['kwok', 'KWOK_VERSION'],
  helm: ['helm', 'HELM_VERSION'],
  kustomize: ['kustomize', 'KUSTOMIZE_VERSION'],
  gitea: ['gitea', 'GITEA_VERSION'],
  sops: ['sops', 'SOPS_VERSION'],
  registry: ['distribution', 'DISTRIBUTION_VERSION'],
  mailpit: ['mailpit', 'MAILPIT_VERSION'],
};

/**
 * The path of a pinned third-party binary built by scripts/build-tools.sh. Fails loudly, naming
 * the command that builds it, when it is missing.
 */
export function toolPath(binary: keyof typeof owners | string): string {
  const owner = owners[binary];
  if (!owner) throw new Error(`unknown tool ${binary}`);
  const version = toolVersions()[owner[1]];
  const base = process.env.GITFLEET_TOOLS_DIR ?? join(homedir(), '.cache', 'gitfleet', 'tools');
  const path = join(base, `${owner[0]}-${version}`, 'bin', binary);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${binary} ${version} is not built (${path} missing): run scripts/build-tools.sh`);
  }
  return path;
}

/** The kwok stage files (node heartbeat, pod ready/complete/delete) shipped beside the kwok binary. */
export function kwokStages(): string[] {
  const dir = join(dirname(dirname(toolPath('kwok'))), 'stages');
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    throw new Error(`kwok stages missing in ${dir}: run scripts/build-tools.sh`);
  }
}

/** The path of a system binary (git, openssl), or an error naming the package that provides it. */
export function systemTool(
  binary: 'git' | 'openssl' | 'prometheus' | 'promtool' | 'prometheus-alertmanager',
  aptPackage: string = binary,
): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, binary);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  throw new Error(`${binary} is not on PATH: install it with 'apt-get install -y ${aptPackage}'`);
}

export { repoRoot };
