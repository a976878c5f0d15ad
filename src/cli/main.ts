#!/usr/bin/env node
// The `gitfleet` command.
import { GitfleetError } from '../core/errors.js';
import { agentCommand } from './commands/agent.js';
import { appHubCommand } from './commands/app-hub.js';
import { fleetCommand } from './commands/fleet.js';
import { loginCommand } from './commands/login.js';
import { wantsHub } from './hub.js';
import { appCommand } from './commands/app.js';
import { auditCommand } from './commands/audit.js';
import { clusterCommand } from './commands/cluster.js';
import { controllerCommand } from './commands/controller.js';
import { diffCommand } from './commands/diff.js';
import { installCommand } from './commands/install.js';
import { renderCommand } from './commands/render.js';
import { projectCommand } from './commands/project.js';
import { rolloutCommand } from './commands/rollout.js';
import { UsageError } from './output.js';

const HELP = `gitfleet — GitOps for Kubernetes fleets

usage: gitfleet <command> [flags]

commands:
  login       check a hub token and remember it (then commands go through the hub API)
  fleet       status [--watch]: clusters × applications with sync, health, revision, drift
  app         create|get|list|diff|sync|refresh|history|rollback|delete Applications (--hub URL: via the hub)
  cluster     add|list|get|label|remove managed clusters
  rollout     status|pause|resume|approve the progressive roll-out of an ApplicationSet
  project     list|get|windows Projects: what teams may deploy, where, when and as whom
  audit       who synced what, where and when (the hub's audit trail)
  render      render a local directory (plain YAML, Kustomize, Helm) offline
  diff        render a local directory and diff it against a cluster (server-side dry-run)
  controller  run the hub: controllers, API, agent endpoints, webhook, metrics
  agent       drive the cluster it runs in from the hub's assignments, and report to the hub
  install     apply gitfleet's CRDs to a cluster
  version     print the version`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'app':
      // Through the hub when asked (--hub, or a login and no kubeconfig), else Kubernetes directly.
      return wantsHub(rest) &&
        ['list', 'get', 'sync', 'refresh', 'history', 'rollback'].includes(rest[0] ?? '')
        ? appHubCommand(rest)
        : appCommand(rest);
    case 'fleet':
      return fleetCommand(rest);
    case 'login':
      return loginCommand(rest);
    case 'cluster':
      return clusterCommand(rest);
    case 'audit':
      return auditCommand(rest);
    case 'render':
      return renderCommand(rest);
    case 'project':
      return projectCommand(rest);
    case 'rollout':
      return rolloutCommand(rest);
    case 'diff':
      return diffCommand(rest);
    case 'controller':
      return controllerCommand(rest);
    case 'agent':
      return agentCommand(rest);
    case 'install':
      return installCommand(rest);
    case 'version':
      console.log('gitfleet 0.1.0');
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP);
      return 0;
    default:
      throw new UsageError(`unknown command "${cmd}"\n\n${HELP}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      console.error(e.message);
      process.exit(2);
    }
    console.error(`error: ${e instanceof GitfleetError || e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
