// Child process for the harness clean-up tests: starts a one-cluster fleet, prints the PIDs it
// owns as one JSON line, then either stops it (`stop`) or waits to be signalled or killed (`wait`).
import { startFleet } from './fleet.js';

const mode = process.argv[2] ?? 'wait';
const fleet = await startFleet({ clusters: ['cleanup'], nodesPerCluster: 1 });
const pids = fleet.info().pids;
if (mode === 'stop') {
  await fleet.stop();
  console.log(JSON.stringify({ pids }));
  process.exit(0);
}
console.log(JSON.stringify({ pids }));
setInterval(() => undefined, 1 << 30);
