import { describe, expect, it } from 'vitest';
import type { Project, ProjectPolicy } from '../../api/project.js';
import type { KubeObject } from '../../kube/types.js';
import { evaluatePolicies } from './evaluate.js';
import { imageTag } from './image.js';

const project = (policies: ProjectPolicy[]): Project => ({
  apiVersion: 'gitfleet.dev/v1alpha1',
  kind: 'Project',
  metadata: { name: 'team-a' },
  spec: { policies },
});
const deployment = (pod: Record<string, unknown>, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'team-a', labels },
  spec: { template: { spec: pod } },
});
const run = (policy: ProjectPolicy, o: KubeObject): { field: string; message: string }[] =>
  evaluatePolicies(project([policy]), [{ object: o, ref: `${o.kind}/team-a/${o.metadata.name}` }]).map(
    ({ field, message }) => ({ field, message }),
  );
const good = {
  containers: [
    {
      name: 'app',
      image: 'nginx:1.27',
      resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
    },
  ],
};

describe('built-in policies', () => {
  it('requireResources names each missing request and limit, init containers included', () => {
    const o = deployment({
      initContainers: [{ name: 'init', image: 'busybox:1', resources: { requests: { cpu: '1m' } } }],
      containers: [{ name: 'app', image: 'nginx:1.27' }],
    });
    expect(run({ name: 'res', rule: 'requireResources' }, o)).toEqual([
      {
        field: 'spec.template.spec.initContainers[0].resources.requests.memory',
        message: 'container "init" has no memory request',
      },
      {
        field: 'spec.template.spec.initContainers[0].resources.limits.memory',
        message: 'container "init" has no memory limit',
      },
      {
        field: 'spec.template.spec.containers[0].resources.requests.cpu',
        message: 'container "app" has no cpu request',
      },
      {
        field: 'spec.template.spec.containers[0].resources.requests.memory',
        message: 'container "app" has no memory request',
      },
      {
        field: 'spec.template.spec.containers[0].resources.limits.memory',
        message: 'container "app" has no memory limit',
      },
    ]);
    expect(run({ name: 'res', rule: 'requireResources' }, deployment(good))).toEqual([]);
    expect(
      run({ name: 'res', rule: 'requireResources', parameters: { limits: ['cpu'] } }, deployment(good)),
    ).toEqual([
      {
        field: 'spec.template.spec.containers[0].resources.limits.cpu',
        message: 'container "app" has no cpu limit',
      },
    ]);
  });

  it('disallowLatestTag refuses untagged and :latest images, not registry ports or digests', () => {
    const o: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly' },
      spec: {
        jobTemplate: {
          spec: {
            template: {
              spec: {
                containers: [
                  { name: 'a', image: 'registry:5000/team/app' },
                  { name: 'b', image: 'nginx:latest' },
                  { name: 'c', image: 'registry:5000/team/app:2.1' },
                  { name: 'd', image: 'nginx@sha256:abc' },
                ],
              },
            },
          },
        },
      },
    };
    expect(run({ name: 'tags', rule: 'disallowLatestTag' }, o)).toEqual([
      {
        field: 'spec.jobTemplate.spec.template.spec.containers[0].image',
        message: 'container "a" image "registry:5000/team/app" has no tag; pin a version or digest',
      },
      {
        field: 'spec.jobTemplate.spec.template.spec.containers[1].image',
        message: 'container "b" image "nginx:latest" uses the :latest tag; pin a version or digest',
      },
    ]);
    expect(imageTag('localhost:5000/app')).toBeUndefined();
    expect(imageTag('app:v1')).toBe('v1');
  });

  it('disallowPrivileged finds privileged containers; disallowHostNamespaces host namespaces', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        hostNetwork: true,
        hostPID: false,
        hostIPC: true,
        containers: [{ name: 'x', image: 'a:1', securityContext: { privileged: true } }],
      },
    };
    expect(run({ name: 'priv', rule: 'disallowPrivileged' }, pod)).toEqual([
      { field: 'spec.containers[0].securityContext.privileged', message: 'container "x" is privileged' },
    ]);
    expect(run({ name: 'host', rule: 'disallowHostNamespaces' }, pod)).toEqual([
      { field: 'spec.hostNetwork', message: "pod shares the host's namespace (hostNetwork: true)" },
      { field: 'spec.hostIPC', message: "pod shares the host's namespace (hostIPC: true)" },
    ]);
    expect(run({ name: 'host', rule: 'disallowHostNamespaces' }, deployment(good))).toEqual([]);
  });

  it('requireLabels names each missing label; objects without pods are checked too', () => {
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', labels: { team: 'a' } },
    };
    const policy = { name: 'labels', rule: 'requireLabels', parameters: { labels: ['team', 'cost-center'] } };
    expect(run(policy, cm)).toEqual([
      { field: 'metadata.labels.cost-center', message: 'required label "cost-center" is missing' },
    ]);
  });
});

describe('policy evaluation', () => {
  it('runs CEL rules on objects of the selected kinds, naming the field', () => {
    const policy: ProjectPolicy = {
      name: 'max-replicas',
      rule: '!has(object.spec.replicas) || object.spec.replicas <= 3',
      kinds: ['Deployment', 'StatefulSet'],
      field: 'spec.replicas',
      message: 'at most 3 replicas',
      mode: 'warn',
    };
    const big = { ...deployment(good), spec: { replicas: 5, template: { spec: good } } };
    const results = evaluatePolicies(project([policy]), [
      { object: big, ref: 'Deployment/team-a/web' },
      {
        object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { replicas: 9 } },
        ref: 'Service/team-a/s',
      },
    ]);
    expect(results).toEqual([
      {
        policy: 'max-replicas',
        object: 'Deployment/team-a/web',
        field: 'spec.replicas',
        message: 'at most 3 replicas',
        mode: 'warn',
      },
    ]);
  });

  it('reports a CEL rule that cannot be evaluated on an object as a finding, without values', () => {
    const policy = { name: 'team', rule: 'object.metadata.labels.team == "a"' };
    const [r] = evaluatePolicies(project([policy]), [
      { object: deployment(good), ref: 'Deployment/team-a/web' },
    ]);
    expect(r).toMatchObject({ field: '(object)', mode: 'enforce' });
    expect(r?.message).toMatch(/^rule could not be evaluated: No such key: team/);
  });

  it('refuses malformed policies naming the project and field', () => {
    const subjects = [{ object: deployment(good), ref: 'x' }];
    expect(() => evaluatePolicies(project([{ name: 'x', rule: 'requireLabel' }]), subjects)).toThrow(
      'Project team-a: spec.policies[0].rule: unknown built-in rule "requireLabel"',
    );
    expect(() => evaluatePolicies(project([{ name: 'x', rule: 'object.(' }]), subjects)).toThrow(
      /spec\.policies\[0\]\.rule: Expected IDENTIFIER/,
    );
    expect(() => evaluatePolicies(project([{ name: 'x', rule: 'requireLabels' }]), subjects)).toThrow(
      'spec.policies[0].parameters: parameters.labels must be a list of strings',
    );
    expect(() =>
      evaluatePolicies(
        project([
          { name: 'x', rule: 'disallowPrivileged' },
          { name: 'x', rule: 'disallowPrivileged' },
        ]),
        subjects,
      ),
    ).toThrow('spec.policies[1].name: "x" is used twice');
  });
});
