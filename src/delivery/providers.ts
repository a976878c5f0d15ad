/**
 * Measurement providers: Prometheus (an instant query), web (a JSON endpoint and the path of the
 * value in its answer) and Kubernetes Job (success = the Job succeeded). Each returns the value the
 * conditions see as `result`, or throws (an Error measurement). Queries and URLs carry the
 * analysis's arguments, never credentials: nothing here reads a Secret.
 */
import { DEFAULT_DENIED_NETWORKS, parseDeniedNetworks, screenHost } from '../engine/source/network.js';
import type { AnalysisMetric } from '../api/delivery.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';
import { substitute } from './args.js';
import type { BoundMetric } from './analysis.js';

export type MeasureOutcome =
  { kind: 'value'; value: unknown; query?: string } | { kind: 'pending'; job: string; query?: string };

export interface MeasureDeps {
  /** Client of the cluster the Job provider creates its Jobs in. */
  kube?: KubeClient;
  /** Namespace of the Jobs. */
  namespace: string;
  /** Name for a new Job (unique per measurement). */
  jobName: string;
  /** The Job of a measurement in flight, to be read instead of creating one. */
  pendingJob?: string;
  /** Labels put on Jobs (who owns them). */
  jobLabels?: Record<string, string>;
}

const MAX_ANSWER_BYTES = 1024 * 1024;

export async function measure(bound: BoundMetric, deps: MeasureDeps): Promise<MeasureOutcome> {
  const p = bound.metric.provider;
  const where = `metric ${bound.key}`;
  if (p.prometheus) {
    const query = substitute(p.prometheus.query, bound.args, `${where}.provider.prometheus.query`);
    return {
      kind: 'value',
      value: await prometheus(p.prometheus.address, query, p.prometheus.timeoutSeconds),
      query,
    };
  }
  if (p.web) {
    const url = substitute(p.web.url, bound.args, `${where}.provider.web.url`);
    const body =
      p.web.body === undefined ? undefined : substitute(p.web.body, bound.args, `${where}.provider.web.body`);
    const answer = await getJson(url, {
      method: p.web.method ?? 'GET',
      headers: p.web.headers ?? [],
      body,
      timeoutSeconds: p.web.timeoutSeconds,
    });
    return { kind: 'value', value: jsonPath(answer, p.web.jsonPath), query: url };
  }
  if (p.job) return job(bound.metric, deps, where);
  throw new Error(`${where}: provider needs one of prometheus, web or job`);
}

const DENIED = parseDeniedNetworks(DEFAULT_DENIED_NETWORKS);

/**
 * Templates are written by tenants (they come from Git) and their queries run from the hub or the
 * agent: an address in a denied range (the cloud metadata endpoint that hands out node credentials,
 * link-local) is refused before connecting, as repository URLs are; redirects are refused too, so
 * an allowed host cannot bounce the request there.
 */
async function screenAnalysisUrl(url: string): Promise<void> {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    throw new Error(`analysis address ${url} is not a URL`);
  }
  try {
    await screenHost(url, host, DENIED);
  } catch (e) {
    throw new Error(`analysis address ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function bounded(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  if (text.length > MAX_ANSWER_BYTES)
    throw new Error(`${what}: answer larger than ${MAX_ANSWER_BYTES} bytes`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${what}: HTTP ${res.status}, answer is not JSON`);
  }
}

/** Instant query: a vector is a list of numbers (as in Argo Rollouts: `result[0]`), a scalar a number. */
export async function prometheus(address: string, query: string, timeoutSeconds = 10): Promise<unknown> {
  const url = `${address.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`;
  await screenAnalysisUrl(url);
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(timeoutSeconds * 1000) });
  const body = (await bounded(res, `prometheus ${address}`)) as {
    status?: string;
    error?: string;
    data?: { resultType?: string; result?: unknown };
  };
  if (!res.ok || body.status !== 'success')
    throw new Error(`prometheus ${address}: HTTP ${res.status}: ${body.error ?? 'query failed'}`);
  const data = body.data ?? {};
  if (data.resultType === 'scalar') return Number((data.result as [number, string])[1]);
  if (data.resultType === 'vector')
    return (data.result as { value: [number, string] }[]).map((s) => Number(s.value[1]));
  throw new Error(`prometheus ${address}: result type ${String(data.resultType)} is not a vector or scalar`);
}

async function getJson(
  url: string,
  o: {
    method: string;
    headers: { key: string; value: string }[];
    body: string | undefined;
    timeoutSeconds: number | undefined;
  },
): Promise<unknown> {
  if (!/^https?:\/\//.test(url)) throw new Error(`web provider: ${url} is not an http(s) URL`);
  await screenAnalysisUrl(url);
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const h of o.headers) headers[h.key] = h.value;
  if (o.body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(url, {
    method: o.method,
    headers,
    ...(o.body !== undefined ? { body: o.body } : {}),
    redirect: 'error',
    signal: AbortSignal.timeout((o.timeoutSeconds ?? 10) * 1000),
  });
  const answer = await bounded(res, `web ${url}`);
  if (!res.ok) throw new Error(`web ${url}: HTTP ${res.status}`);
  return answer;
}

/** A small JSONPath: `$.a.b[0].c` or `a.b[0].c`; a missing step is an error naming it. */
export function jsonPath(doc: unknown, path: string | undefined): unknown {
  if (!path || path === '$') return doc;
  const steps = path.replace(/^\$\.?/, '').match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let cur: unknown = doc;
  for (const s of steps) {
    const idx = /^\[(\d+)\]$/.exec(s);
    if (idx && Array.isArray(cur)) cur = cur[Number(idx[1])];
    else if (!idx && cur !== null && typeof cur === 'object') cur = (cur as Record<string, unknown>)[s];
    else cur = undefined;
    if (cur === undefined) throw new Error(`jsonPath ${path}: nothing at ${s}`);
  }
  return cur;
}

interface JobStatus {
  succeeded?: number;
  failed?: number;
  conditions?: { type: string; status: string; message?: string }[];
}

async function job(metric: AnalysisMetric, deps: MeasureDeps, where: string): Promise<MeasureOutcome> {
  const kube = deps.kube;
  if (!kube) throw new Error(`${where}: the job provider needs a cluster`);
  const spec = metric.provider.job as NonNullable<AnalysisMetric['provider']['job']>;
  const name = deps.pendingJob ?? deps.jobName;
  const ref = { apiVersion: 'batch/v1', kind: 'Job', namespace: deps.namespace, name };
  let live = await kube.getOrUndefined<KubeObject & { status?: JobStatus }>(ref);
  if (!live) {
    if (deps.pendingJob) throw new Error(`${where}: Job ${deps.namespace}/${name} is gone`);
    live = await kube.create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: deps.namespace,
        labels: { ...spec.metadata?.labels, ...deps.jobLabels },
        ...(spec.metadata?.annotations ? { annotations: spec.metadata.annotations } : {}),
      },
      spec: spec.spec,
    } as KubeObject);
  }
  const st = live.status ?? {};
  const cond = (t: string) => st.conditions?.find((c) => c.type === t && c.status === 'True');
  if (cond('Complete') || (st.succeeded ?? 0) > 0)
    return { kind: 'value', value: true, query: `Job ${name}` };
  if (cond('Failed')) return { kind: 'value', value: false, query: `Job ${name}` };
  return { kind: 'pending', job: name, query: `Job ${name}` };
}
