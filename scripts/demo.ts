// `make demo`: a local fleet on this machine. Starts the clusters and the Git server of the test
// harness, pushes a sample repository, prints how to reach everything, and stays up until Ctrl-C,
// when every process is stopped by its PID.
import { parseArgs } from 'node:util';
import { startFleet, type Fleet } from '../test/harness/fleet.js';
import { killAllNow } from '../test/harness/process.js';

const { values } = parseArgs({ options: { clusters: { type: 'string', default: '2' } } });
const count = Number(values.clusters);
if (!Number.isInteger(count) || count < 1 || count > 16) {
  console.error(`--clusters must be an integer from 1 to 16, got ${values.clusters}`);
  process.exit(2);
}

const running: { fleet?: Fleet } = {};
let stopping = false;
const shutdown = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  if (running.fleet) await running.fleet.stop();
  else killAllNow(); // interrupted while starting: nothing to wait for
  console.log('all processes stopped');
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());

const t0 = Date.now();
console.log(`starting a local fleet of ${count} cluster(s) and a Git server…`);
const fleet = await startFleet({
  signalHooks: false,
  clusters: Array.from({ length: count }, (_, i) => `demo-${i + 1}`),
});
running.fleet = fleet;
const repo = await fleet.git.createRepo('fleet-config');
await fleet.git.commit(
  'fleet-config',
  {
    'apps/hello/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
spec:
  replicas: 2
  selector: { matchLabels: { app: hello } }
  template:
    metadata: { labels: { app: hello } }
    spec:
      containers:
        - name: hello
          image: nginx:1.27
`,
  },
  { message: 'hello app' },
);

console.log(`\nfleet up in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
for (const c of fleet.clusters)
  console.log(`  cluster ${c.name.padEnd(8)} ${c.server}  KUBECONFIG=${c.kubeconfig}`);
console.log(
  `\n  git server  ${fleet.git.info.url}  (user ${fleet.git.info.admin.username}, password ${fleet.git.info.admin.password})`,
);
console.log(`  sample repo ${repo}`);
console.log(`  logs        ${fleet.runDir}/logs\n`);
console.log('press Ctrl-C to stop and clean up');

setInterval(() => undefined, 1 << 30);
