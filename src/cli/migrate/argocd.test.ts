import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/types.js';
import { convertArgoCd } from './argocd.js';

const OPTS = { argoNamespace: 'argocd', namespace: 'gitfleet-system' };
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const argo = (kind: string, name: string, spec: Record<string, unknown>, namespace = 'argocd'): KubeObject =>
  ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind,
    metadata: {
      name,
      namespace,
      uid: 'u',
      resourceVersion: '7',
      finalizers: ['resources-finalizer.argocd.argoproj.io'],
    },
    spec,
    status: { sync: { status: 'Synced' } },
  }) as KubeObject;
const secret = (
  name: string,
  type: string,
  data: Record<string, string>,
  labels: Record<string, string> = {},
): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': type, ...labels } },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  }) as KubeObject;

describe('convertArgoCd', () => {
  it("carries Applications, ApplicationSets and AppProjects with gitfleet's apiVersion and namespaces, without Argo's state", () => {
    const app = argo('Application', 'shop', {
      project: 'team',
      source: { repoURL: 'https://git.example/shop.git', path: 'app', kustomize: { namePrefix: 'p-' } },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'shop' },
    });
    const elsewhere = argo(
      'Application',
      'other',
      { project: 'team', source: { repoURL: 'x', path: 'a' } },
      'team-a',
    );
    const set = argo('ApplicationSet', 'shops', {
      generators: [{ list: { elements: [] } }],
      template: { metadata: { name: '{{name}}', namespace: 'argocd' }, spec: {} },
    });
    const proj = argo('AppProject', 'team', {
      sourceRepos: ['*'],
      destinations: [{ server: '*', namespace: '*' }],
    });
    const out = convertArgoCd([app, elsewhere, set, proj], OPTS);
    expect(out.notCarried).toEqual([]);
    const [a, b, s, p] = out.objects;
    expect(a).toEqual({
      apiVersion: 'gitfleet.dev/v1alpha1',
      kind: 'Application',
      metadata: {
        name: 'shop',
        namespace: 'gitfleet-system',
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
      spec: app.spec,
    });
    // Apps in any namespace stay in theirs.
    expect(b?.metadata.namespace).toBe('team-a');
    expect(
      (s as unknown as { spec: { template: { metadata: { namespace: string } } } }).spec.template.metadata
        .namespace,
    ).toBe('gitfleet-system');
    expect(p).toMatchObject({ kind: 'Project', metadata: { name: 'team', namespace: 'gitfleet-system' } });
  });

  it('lists an Application with a field gitfleet refuses, naming the field, and does not carry it', () => {
    const app = argo('Application', 'cmp', {
      project: 'p',
      source: { repoURL: 'x', path: 'a', plugin: { name: 'foo' } },
    });
    const out = convertArgoCd([app], OPTS);
    expect(out.objects).toEqual([]);
    expect(out.notCarried).toEqual([
      { what: 'Application argocd/cmp', reason: expect.stringContaining('spec.source.plugin') },
    ]);
  });

  it('admits the target namespace in imported Projects when it is not the hub namespace', () => {
    const out = convertArgoCd([argo('AppProject', 'p', { sourceNamespaces: ['x'] })], {
      ...OPTS,
      namespace: 'apps',
    });
    expect(
      (out.objects[0] as unknown as { spec: { sourceNamespaces: string[] } }).spec.sourceNamespaces,
    ).toEqual(['x', 'apps']);
  });

  it('turns a cluster Secret into a Cluster connection with its labels; lists what it cannot carry, never a value', () => {
    const ok = secret(
      'c1',
      'cluster',
      {
        name: 'prod-eu',
        server: 'https://prod.example:6443',
        config: JSON.stringify({ bearerToken: 'SECRET-TOKEN', tlsClientConfig: { caData: b64('CA PEM') } }),
        shard: '1',
      },
      { env: 'prod' },
    );
    const exec = secret('c2', 'cluster', {
      name: 'eks',
      server: 'https://eks.example',
      config: JSON.stringify({ execProviderConfig: { command: 'aws' } }),
    });
    const insecure = secret('c3', 'cluster', {
      name: 'lab',
      server: 'https://lab.example',
      config: JSON.stringify({ bearerToken: 'SECRET-TOKEN', tlsClientConfig: { insecure: true } }),
    });
    const inCluster = secret('c4', 'cluster', {
      name: 'in-cluster',
      server: 'https://kubernetes.default.svc',
    });
    const out = convertArgoCd([ok, exec, insecure, inCluster], OPTS);
    expect(out.clusters).toEqual([
      {
        name: 'prod-eu',
        labels: { env: 'prod' },
        from: 'Secret argocd/c1',
        connection: {
          server: 'https://prod.example:6443',
          ca: 'CA PEM',
          cert: undefined,
          key: undefined,
          headers: { Authorization: 'Bearer SECRET-TOKEN' },
          rejectUnauthorized: true,
        },
      },
    ]);
    const reasons = out.notCarried.map((n) => `${n.what}: ${n.reason}`);
    expect(reasons).toEqual([
      expect.stringMatching(/^Secret argocd\/c1 key "shard": /),
      expect.stringMatching(/^Secret argocd\/c2: config.execProviderConfig/),
      expect.stringMatching(/^Secret argocd\/c3: config.tlsClientConfig.insecure/),
      expect.stringMatching(/^Secret argocd\/c4: .*implicit in-cluster/),
    ]);
    expect(JSON.stringify(out.notCarried) + JSON.stringify(out.objects)).not.toContain('SECRET-TOKEN');
  });

  it('carries repository and repo-creds Secrets to the hub namespace; refuses helm ones and Argo keys gitfleet does not implement', () => {
    const repo = secret('r1', 'repository', {
      url: 'https://git.example/shop.git',
      username: 'u',
      password: 'SECRET-PW',
    });
    const tmpl = secret('r2', 'repo-creds', {
      url: 'git@git.example:org',
      sshPrivateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n',
    });
    const helm = secret('r3', 'repository', { url: 'https://charts.example', type: 'helm' });
    const app = secret('r4', 'repository', {
      url: 'https://github.com/o/r',
      githubAppID: '1',
      password: 'SECRET-PW',
    });
    const out = convertArgoCd([repo, tmpl, helm, app], OPTS);
    expect(out.secrets.map((s) => `${s.metadata.namespace}/${s.metadata.name}`)).toEqual([
      'gitfleet-system/r1',
      'gitfleet-system/r2',
    ]);
    expect(out.notCarried.map((n) => n.what)).toEqual(['Secret argocd/r3', 'Secret argocd/r4']);
    expect(out.notCarried[1]?.reason).toContain('githubAppID');
    expect(JSON.stringify(out.notCarried) + JSON.stringify(out.objects)).not.toContain('SECRET-PW');
  });

  it('carries the SSH known hosts and lists objects it does not import', () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-ssh-known-hosts-cm', namespace: 'argocd' },
      data: { ssh_known_hosts: 'git.example ssh-ed25519 AAAA' },
    } as KubeObject;
    const other = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cm', namespace: 'argocd' },
    } as KubeObject;
    const out = convertArgoCd([cm, other], OPTS);
    expect(out.objects).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'gitfleet-ssh-known-hosts', namespace: 'gitfleet-system' },
        data: { ssh_known_hosts: 'git.example ssh-ed25519 AAAA' },
      },
    ]);
    expect(out.notCarried).toEqual([{ what: 'v1 ConfigMap argocd/argocd-cm', reason: expect.any(String) }]);
  });
});
