import type { RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { GitfleetError } from '../core/errors.js';

/** What a client needs to talk to one API server, resolved from a kubeconfig. */
export interface ClusterConnection {
  server: string;
  ca?: Buffer | string | undefined;
  cert?: Buffer | string | undefined;
  key?: Buffer | string | undefined;
  /** Extra request headers; carries `Authorization: Bearer …` for token users. */
  headers: Record<string, string>;
  rejectUnauthorized: boolean;
}

/**
 * Resolves a kubeconfig (file path or YAML text) into a connection. Files referenced by the
 * kubeconfig are read now; exec and auth-provider users are resolved once here, by client-node.
 */
export async function loadConnection(
  source: { file: string } | { yaml: string },
  opts: { context?: string } = {},
): Promise<ClusterConnection> {
  const kc = new KubeConfig();
  const where = 'file' in source ? source.file : 'inline kubeconfig';
  try {
    if ('file' in source) kc.loadFromFile(source.file);
    else kc.loadFromString(source.yaml);
    if (opts.context) kc.setCurrentContext(opts.context);
  } catch (e) {
    throw new GitfleetError('kubeconfig.Invalid', `${where}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new GitfleetError('kubeconfig.Invalid', `${where}: current context names no cluster`);
  const https: RequestOptions = {};
  await kc.applyToHTTPSOptions(https);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(https.headers ?? {})) if (typeof v === 'string') headers[k] = v;
  return {
    server: cluster.server.replace(/\/+$/, ''),
    ca: https.ca as Buffer | string | undefined,
    cert: https.cert as Buffer | string | undefined,
    key: https.key as Buffer | string | undefined,
    headers,
    rejectUnauthorized: !cluster.skipTLSVerify,
  };
}
