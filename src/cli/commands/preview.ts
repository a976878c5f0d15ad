import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';

import { FLEET_NAMESPACE } from '../../api/cluster.js';
import { ClusterResolver } from '../../controllers/clusters.js';
import { GitSources } from '../../engine/source/index.js';
import { previewText } from '../../preview/format.js';
import { previewChange } from '../../preview/preview.js';
import { clientFrom } from '../connect.js';
import { UsageError } from '../output.js';

const run = promisify(execFile);

const USAGE =
  'usage: gitfleet preview --base REV --head REV [--repo URL] [--kubeconfig FILE] [--context CTX] [-n NAMESPACE] [--json] [--cache-dir DIR]';

/**
 * `gitfleet preview --base A --head B`: what merging B into A changes on every cluster of the
 * fleet — the Applications and ApplicationSet-generated Applications whose inputs change, their
 * objects created/changed/deleted with dry-run diffs (Secret values masked), policy findings and
 * roll-out steps. Reads the management cluster; changes nothing. Exit 1 when an enforced policy
 * would refuse the change.
 */
export async function previewCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      base: { type: 'string' },
      head: { type: 'string' },
      repo: { type: 'string' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      json: { type: 'boolean' },
      'cache-dir': { type: 'string' },
    },
    allowPositionals: false,
  });
  if (!values.base || !values.head) throw new UsageError(USAGE);
  const repoURL = values.repo ?? (await originUrl());
  const client = await clientFrom(values);
  try {
    const sources = new GitSources({
      cacheDir: values['cache-dir'] ?? join(homedir(), '.cache', 'gitfleet', 'preview'),
    });
    const report = await previewChange(
      {
        client,
        sources,
        clusters: new ClusterResolver(client, FLEET_NAMESPACE),
        ...(values.namespace ? { namespace: values.namespace } : {}),
      },
      { repoURL, base: values.base, head: values.head },
    );
    console.log(values.json ? JSON.stringify(report, null, 2) : previewText(report));
    return report.blocked ? 1 : 0;
  } finally {
    client.close();
  }
}

/** The current checkout's `origin`, when --repo is not given. */
async function originUrl(): Promise<string> {
  try {
    const { stdout } = await run('git', ['config', '--get', 'remote.origin.url'], { timeout: 10_000 });
    const url = stdout.trim();
    if (url) return url;
  } catch {
    // fall through to the usage error
  }
  throw new UsageError(`--repo is required outside a Git checkout with an origin remote\n${USAGE}`);
}
