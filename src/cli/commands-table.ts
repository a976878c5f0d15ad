// The table of `gitfleet` commands: what `help` prints, what main dispatches to (each module loaded
// on use) and what shell completion offers. One list, so the three cannot disagree.

export interface CliCommand {
  name: string;
  summary: string;
  /** Sub-commands offered by completion (the first word after the command). */
  verbs?: string[];
  run(argv: string[]): Promise<number>;
}

const APP_HUB_VERBS = ['list', 'get', 'sync', 'refresh', 'history', 'rollback'];

export const COMMANDS: CliCommand[] = [
  {
    name: 'login',
    summary: 'check a hub token and remember it (then commands go through the hub API)',
    run: async (a) => (await import('./commands/login.js')).loginCommand(a),
  },
  {
    name: 'fleet',
    summary: 'status [--watch]: clusters × applications with sync, health, revision, drift',
    verbs: ['status'],
    run: async (a) => (await import('./commands/fleet.js')).fleetCommand(a),
  },
  {
    name: 'app',
    summary:
      'create|get|list|diff|sync|refresh|history|rollback|delete Applications (--hub URL: via the hub)',
    verbs: ['create', 'get', 'list', 'diff', 'sync', 'refresh', 'history', 'rollback', 'delete'],
    run: async (a) => {
      // Through the hub when asked (--hub, or a login and no kubeconfig), else Kubernetes directly.
      const { wantsHub } = await import('./hub.js');
      return wantsHub(a) && APP_HUB_VERBS.includes(a[0] ?? '')
        ? (await import('./commands/app-hub.js')).appHubCommand(a)
        : (await import('./commands/app.js')).appCommand(a);
    },
  },
  {
    name: 'cluster',
    summary: 'add|list|get|label|remove managed clusters',
    verbs: ['add', 'list', 'get', 'label', 'remove'],
    run: async (a) => (await import('./commands/cluster.js')).clusterCommand(a),
  },
  {
    name: 'preview',
    summary: '--base A --head B [--repo URL]: which apps on which clusters a change touches, with diffs',
    run: async (a) => (await import('./commands/preview.js')).previewCommand(a),
  },
  {
    name: 'rollout',
    summary: 'status|pause|resume|approve the progressive roll-out of an ApplicationSet',
    verbs: ['status', 'pause', 'resume', 'approve'],
    run: async (a) => (await import('./commands/rollout.js')).rolloutCommand(a),
  },
  {
    name: 'promote',
    summary: 'approve PIPELINE STAGE [--revision REV]: approve a promotion as yourself (hub API)',
    verbs: ['approve'],
    run: async (a) => (await import('./commands/promote.js')).promoteCommand(a),
  },
  {
    name: 'canary',
    summary: 'status|promote|abort a canary or blue/green roll-out of a Deployment (Canary resource)',
    verbs: ['status', 'promote', 'abort'],
    run: async (a) => (await import('./commands/canary.js')).canaryCommand(a),
  },
  {
    name: 'project',
    summary: 'list|get|windows Projects: what teams may deploy, where, when and as whom',
    verbs: ['list', 'get', 'windows'],
    run: async (a) => (await import('./commands/project.js')).projectCommand(a),
  },
  {
    name: 'audit',
    summary: "who synced what, where and when (the hub's audit trail)",
    run: async (a) => (await import('./commands/audit.js')).auditCommand(a),
  },
  {
    name: 'render',
    summary: 'render a local directory (plain YAML, Kustomize, Helm) offline',
    run: async (a) => (await import('./commands/render.js')).renderCommand(a),
  },
  {
    name: 'diff',
    summary: 'render a local directory and diff it against a cluster (server-side dry-run)',
    run: async (a) => (await import('./commands/diff.js')).diffCommand(a),
  },
  {
    name: 'secret',
    summary: 'encrypt|decrypt --check SOPS files for Git (age recipients from flags or .sops.yaml)',
    verbs: ['encrypt', 'decrypt'],
    run: async (a) => (await import('./commands/secret.js')).secretCommand(a),
  },
  {
    name: 'controller',
    summary: 'run the hub: controllers, API, agent endpoints, webhook, metrics',
    run: async (a) => (await import('./commands/controller.js')).controllerCommand(a),
  },
  {
    name: 'agent',
    summary: "drive the cluster it runs in from the hub's assignments, and report to the hub",
    run: async (a) => (await import('./commands/agent.js')).agentCommand(a),
  },
  {
    name: 'install',
    summary: "apply gitfleet's CRDs to a cluster",
    run: async (a) => (await import('./commands/install.js')).installCommand(a),
  },
  {
    name: 'bootstrap',
    summary: 'install the hub from a Git repository it then manages itself from (as flux bootstrap)',
    run: async (a) => (await import('./commands/bootstrap.js')).bootstrapCommand(a),
  },
  {
    name: 'export',
    summary: 'write every gitfleet object of a hub to a directory (backup; Secrets as references)',
    run: async (a) => (await import('./commands/export.js')).exportCommand(a),
  },
  {
    name: 'import',
    summary: 'restore an export into a hub (adopting the fleet as it is), or: import argocd ...',
    verbs: ['argocd'],
    run: async (a) => (await import('./commands/import.js')).importCommand(a),
  },
  {
    name: 'version',
    summary: "print the CLI's version, and the hub's and agents' when a cluster is reachable",
    run: async (a) => (await import('./commands/version.js')).versionCommand(a),
  },
  {
    name: 'completion',
    summary: 'bash|zsh: print a shell completion script (source <(gitfleet completion bash))',
    verbs: ['bash', 'zsh'],
    run: async (a) => (await import('./completion.js')).completionCommand(a),
  },
];

export const HELP = `gitfleet — GitOps for Kubernetes fleets

usage: gitfleet <command> [flags]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(11)} ${c.summary}`).join('\n')}`;
