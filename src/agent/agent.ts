import http from 'node:http';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import { FLEET_NAMESPACE } from '../api/cluster.js';
import { ApplicationController } from '../controllers/application/controller.js';
import { ClusterResolver } from '../controllers/clusters.js';
import { DeliveryController } from '../controllers/delivery/controller.js';
import { claimDriver } from '../controllers/lease/driver.js';
import { releaseLease } from '../controllers/lease/lease.js';
import { DRIVER_LEASE } from '../controllers/lease/driver.js';
import { ControllerMetrics } from '../controllers/metrics.js';
import { HubClient } from '../core/hub-client.js';
import { gitfleetVersion } from '../core/version-skew.js';
import type { RenderOptions } from '../engine/render/index.js';
import type { GitSources } from '../engine/source/index.js';
import type { KubeClient } from '../kube/client.js';
import { AssignmentSync } from './assignments.js';
import { StatusReporter } from './reporter.js';

/**
 * The agent's version is its build's (package.json, as the hub's and the CLI's): the version the
 * hub records on the Cluster and judges the skew by must change when the agent's image does.
 */
export const AGENT_VERSION = gitfleetVersion();

export interface AgentOptions {
  hubUrl: string;
  token: string;
  /** PEM CA of the hub's TLS certificate, when it is not publicly trusted. */
  hubCa?: string;
  /** The name this cluster has on the hub (its Cluster object). */
  cluster: string;
  /** Client of the cluster the agent runs in and drives. */
  client: KubeClient;
  sources: GitSources;
  renderOptions?: RenderOptions;
  pollIntervalMs?: number;
  concurrency?: number;
  /** Serve /metrics and /healthz here when set (0 = any free port). */
  metricsPort?: number;
  log: Logger;
}

export interface RunningAgent {
  metricsPort?: number;
  stop(): Promise<void>;
}

/**
 * The agent: claims its cluster (one driver per cluster), keeps the hub's assignments stored in
 * it, reconciles every Application in it with the same controller the hub runs, and reports to
 * the hub. Nothing here needs the hub to be up except delivering reports and new assignments.
 */
export async function startAgent(o: AgentOptions): Promise<RunningAgent> {
  const identity = `agent/${o.cluster}`;
  await claimDriver(o.client, o.cluster, identity);
  const renew = setInterval(() => {
    claimDriver(o.client, o.cluster, identity).catch((e: unknown) =>
      o.log.error({ err: e instanceof Error ? e.message : String(e) }, 'renewing the driver Lease failed'),
    );
  }, 20_000);
  renew.unref();

  const metrics = new ControllerMetrics();
  const connected = new Gauge({
    name: 'gitfleet_agent_hub_connected',
    help: 'Whether the last exchange with the hub succeeded (1) or failed (0).',
    registers: [metrics.registry],
  });
  const hub = new HubClient({
    url: o.hubUrl,
    token: o.token,
    userAgent: AGENT_VERSION,
    ...(o.hubCa ? { ca: o.hubCa } : {}),
  });
  const onConnected = (up: boolean): void => connected.set(up ? 1 : 0);
  const controller = new ApplicationController({
    client: o.client,
    // Assignments keep the hub's destination name (Projects match on it): it means this cluster.
    clusters: new ClusterResolver(o.client, FLEET_NAMESPACE, { self: o.cluster }),
    sources: o.sources,
    metrics,
    log: o.log.child({ component: 'controller' }),
    ...(o.renderOptions ? { renderOptions: o.renderOptions } : {}),
    ...(o.pollIntervalMs ? { pollIntervalMs: o.pollIntervalMs } : {}),
    ...(o.concurrency ? { concurrency: o.concurrency } : {}),
  });
  const assignments = new AssignmentSync({
    hub,
    client: o.client,
    cluster: o.cluster,
    log: o.log.child({ component: 'assignments' }),
    onConnected,
  });
  const reporter = new StatusReporter({
    hub,
    client: o.client,
    cluster: o.cluster,
    agentVersion: AGENT_VERSION,
    log: o.log.child({ component: 'reporter' }),
    onConnected,
  });
  new Gauge({
    name: 'gitfleet_agent_reports_buffered',
    help: 'Status reports and events waiting for the hub.',
    registers: [metrics.registry],
    collect() {
      this.set(reporter.buffered);
    },
  });
  new Gauge({
    name: 'gitfleet_agent_assignments',
    help: 'Applications the hub assigned to this cluster, as last stored.',
    registers: [metrics.registry],
    collect() {
      this.set(assignments.count);
    },
  });
  // Canaries and blue/green of this cluster: the state lives in their status here, so a roll-out
  // goes on (and rolls back) while the hub is away; the Application reports their health.
  const delivery = new DeliveryController({
    client: o.client,
    cluster: o.cluster,
    log: o.log.child({ component: 'delivery' }),
  });
  controller.start();
  delivery.start();
  assignments.start();
  reporter.start();

  let server: http.Server | undefined;
  let metricsPort: number | undefined;
  if (o.metricsPort !== undefined) {
    const srv = http.createServer((req, res) => {
      if (req.url === '/healthz') return void res.end('ok');
      if (req.url !== '/metrics') {
        res.statusCode = 404;
        return void res.end();
      }
      metrics.registry.metrics().then(
        (text) => {
          res.setHeader('content-type', metrics.registry.contentType);
          res.end(text);
        },
        () => {
          res.statusCode = 500;
          res.end();
        },
      );
    });
    server = srv;
    metricsPort = await new Promise<number>((resolve) =>
      srv.listen(o.metricsPort, '127.0.0.1', () => {
        const a = srv.address();
        resolve(typeof a === 'object' && a ? a.port : 0);
      }),
    );
  }
  o.log.info({ cluster: o.cluster, hub: o.hubUrl, metricsPort }, 'gitfleet agent started');
  return {
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    stop: async () => {
      clearInterval(renew);
      assignments.stop();
      reporter.stop();
      controller.stop();
      delivery.stop();
      hub.close();
      server?.close();
      await releaseLease(o.client, DRIVER_LEASE, identity).catch(() => undefined);
    },
  };
}
