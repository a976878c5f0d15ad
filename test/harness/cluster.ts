import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient, loadConnection, type KubeObject } from '../../src/kube/index.js';
import { writeKubeconfig } from './kubeconfig.js';
import { issueClientCert, type Pki } from './pki.js';
import { freePort } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { kwokStages, toolPath } from './tools.js';
import { FatalWaitError, waitFor } from './wait.js';

/** One test cluster: a kube-apiserver on the shared etcd, with its controllers and fake nodes. */
export interface TestCluster {
  name: string;
  server: string;
  /** Admin kubeconfig (client certificate in group system:masters). */
  kubeconfig: string;
  /** A client with admin rights, for test setup and assertions. */
  admin: KubeClient;
  processes: ManagedProcess[];
  stop(): Promise<void>;
}

export interface ClusterOptions {
  name: string;
  runDir: string;
  etcdUrl: string;
  /** Unique per run so that runs sharing an etcd (never the case today) stay apart. */
  runId: string;
  pki: Pki;
  /** Fake kwok nodes to register; default 2. */
  nodes?: number;
}

/**
 * Starts kube-apiserver (client-certificate and ServiceAccount-token authentication, RBAC
 * authorization), kube-controller-manager, kube-scheduler and kwok, registers fake nodes, and waits
 * until the nodes are Ready and the controller manager has created the `default` ServiceAccount.
 */
export async function startCluster(opts: ClusterOptions): Promise<TestCluster> {
  const dir = join(opts.runDir, 'clusters', opts.name);
  const logDir = join(opts.runDir, 'logs', opts.name);
  mkdirSync(dir, { recursive: true });
  const processes: ManagedProcess[] = [];
  const stop = async (): Promise<void> => {
    admin?.close();
    // Dependents first (together), the API server last. Test data is disposable, so the grace
    // period is short: kube-apiserver otherwise spends seconds draining watches.
    const [apiserver, ...dependents] = processes;
    await Promise.all(dependents.map((p) => p.stop(2000)));
    await apiserver?.stop(2000);
  };
  let admin: KubeClient | undefined;
  try {
    const port = await freePort();
    const server = `https://127.0.0.1:${port}`;
    const caPem = readFileSync(opts.pki.caCert, 'utf8');
    const kubeconfig = join(dir, 'admin.kubeconfig');
    writeKubeconfig(kubeconfig, {
      name: opts.name,
      server,
      caPem,
      user: issueClientCert(opts.pki, 'gitfleet-test-admin', ['system:masters']),
    });
    const apiserver = startProcess({
      name: 'kube-apiserver',
      command: toolPath('kube-apiserver'),
      args: [
        `--etcd-servers=${opts.etcdUrl}`,
        `--etcd-prefix=/gitfleet-test/${opts.runId}/${opts.name}/registry`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${port}`,
        `--tls-cert-file=${opts.pki.serverCert}`,
        `--tls-private-key-file=${opts.pki.serverKey}`,
        `--client-ca-file=${opts.pki.caCert}`,
        '--authorization-mode=RBAC',
        '--anonymous-auth=false',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${opts.pki.saPub}`,
        `--service-account-signing-key-file=${opts.pki.saKey}`,
        '--allow-privileged=true',
        // The loopback address is not a valid endpoint for the `kubernetes` Service.
        '--endpoint-reconciler-type=none',
        '--enable-priority-and-fairness=false',
        '--profiling=false',
        '--v=1',
      ],
      logDir,
    });
    processes.push(apiserver);
    admin = new KubeClient(await loadConnection({ file: kubeconfig }));
    const client = admin;
    await waitFor(
      `${opts.name}: kube-apiserver /readyz`,
      async () => {
        if (!apiserver.running) throw new FatalWaitError(`kube-apiserver exited:\n${apiserver.tail()}`);
        return (await client.request<string>({ method: 'GET', path: '/readyz', timeoutMs: 2000 })) === 'ok';
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );

    const common = [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
    ];
    processes.push(
      startProcess({
        name: 'kube-controller-manager',
        command: toolPath('kube-controller-manager'),
        args: [
          ...common,
          `--secure-port=${await freePort()}`,
          `--service-account-private-key-file=${opts.pki.saKey}`,
          `--root-ca-file=${opts.pki.caCert}`,
          '--use-service-account-credentials=false',
          ...kcmRateLimits(),
          '--controllers=*',
          '--v=1',
        ],
        logDir,
      }),
      startProcess({
        name: 'kube-scheduler',
        command: toolPath('kube-scheduler'),
        args: [...common, `--secure-port=${await freePort()}`, '--v=1'],
        logDir,
      }),
      startProcess({
        name: 'kwok',
        command: toolPath('kwok'),
        args: [
          `--kubeconfig=${kubeconfig}`,
          '--manage-all-nodes=true',
          `--server-address=127.0.0.1:${await freePort()}`,
          '--cidr=10.244.0.0/16',
          '--node-ip=127.0.0.1',
          ...kwokStages().map((f) => `--config=${f}`),
        ],
        logDir,
      }),
    );

    const nodeNames = Array.from({ length: opts.nodes ?? 2 }, (_, i) => `kwok-${opts.name}-${i}`);
    for (const n of nodeNames) await client.create(fakeNode(n));
    await waitFor(
      `${opts.name}: fake nodes Ready and the default ServiceAccount`,
      async () => {
        for (const p of processes)
          if (!p.running) throw new FatalWaitError(`${opts.name}: ${p.name} exited:\n${p.tail()}`);
        const nodes = await client.list('v1', 'Node');
        const ready = nodes.items.filter((n) => conditionTrue(n, 'Ready')).length;
        if (ready < nodeNames.length) return false;
        return (
          (await client.getOrUndefined({
            apiVersion: 'v1',
            kind: 'ServiceAccount',
            namespace: 'default',
            name: 'default',
          })) !== undefined
        );
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    return { name: opts.name, server, kubeconfig, admin: client, processes, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * kube-controller-manager's client rate limits: its defaults (20 requests/s, bursts of 30, per
 * controller), as kubeadm and kind run it, unless GITFLEET_BENCH_KCM_QPS asks for another rate (an
 * experiment of the benchmarks, never a default: the deployment controller at 20 requests/s rolls
 * out about three new Deployments a second, which bounds every tool's cold sync; a figure measured
 * with it says so).
 */
function kcmRateLimits(): string[] {
  const raw = process.env.GITFLEET_BENCH_KCM_QPS;
  if (raw === undefined || raw === '') return [];
  const qps = Number(raw);
  if (!Number.isInteger(qps) || qps < 1)
    throw new Error(`GITFLEET_BENCH_KCM_QPS=${raw}: expected a positive integer`);
  return [`--kube-api-qps=${qps}`, `--kube-api-burst=${Math.round(qps * 1.5)}`];
}

function fakeNode(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
    },
  };
}

/** Whether `status.conditions` holds `type` with status "True". */
export function conditionTrue(obj: KubeObject, type: string): boolean {
  const status = obj.status as { conditions?: { type: string; status: string }[] } | undefined;
  return status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}
