import { describe, expect, it } from 'vitest';
import {
  CASCADE_FINALIZER,
  destinationClusterName,
  IN_CLUSTER_SERVER,
  isAutomated,
  isCascadeFinalizer,
  normalizeServerUrl,
} from './application.js';

describe('normalizeServerUrl', () => {
  it('compares scheme, host and port, whatever the case, default port or trailing slash', () => {
    const n = 'https://api.example.com:443';
    for (const u of ['https://api.example.com', 'HTTPS://API.Example.com/', 'https://api.example.com:443//'])
      expect(normalizeServerUrl(u)).toBe(n);
    expect(normalizeServerUrl('http://10.0.0.1')).toBe('http://10.0.0.1:80');
    expect(normalizeServerUrl(' https://127.0.0.1:6443/ ')).toBe('https://127.0.0.1:6443');
    expect(normalizeServerUrl(IN_CLUSTER_SERVER)).toBe('https://kubernetes.default.svc:443');
  });

  it('keeps what tells clusters apart: port, scheme and a proxy path', () => {
    expect(normalizeServerUrl('https://h:6443')).not.toBe(normalizeServerUrl('https://h:6444'));
    expect(normalizeServerUrl('http://h')).not.toBe(normalizeServerUrl('https://h'));
    expect(normalizeServerUrl('https://rancher/k8s/clusters/c-1')).toBe(
      'https://rancher:443/k8s/clusters/c-1',
    );
    expect(normalizeServerUrl('https://rancher/k8s/clusters/c-1')).not.toBe(
      normalizeServerUrl('https://rancher/k8s/clusters/c-2'),
    );
  });

  it('refuses what is not an http(s) API URL, so it can match no Cluster', () => {
    for (const u of ['', 'kubernetes.default.svc', 'ftp://h', 'https://user:pw@h', 'not a url'])
      expect(normalizeServerUrl(u)).toBeUndefined();
  });
});

describe('isAutomated (Argo CD 2.14 semantics)', () => {
  it('is automated with automated present, unless enabled is false', () => {
    expect(isAutomated(undefined)).toBe(false);
    expect(isAutomated({})).toBe(false);
    expect(isAutomated({ automated: {} })).toBe(true);
    expect(isAutomated({ automated: { enabled: true, prune: true } })).toBe(true);
    expect(isAutomated({ automated: { enabled: false, prune: true, selfHeal: true } })).toBe(false);
  });
});

describe('cascade finalizers', () => {
  it("treats Argo CD's finalizer and its variants as gitfleet's, and nothing else", () => {
    for (const f of [
      CASCADE_FINALIZER,
      'resources-finalizer.argocd.argoproj.io',
      'resources-finalizer.argocd.argoproj.io/background',
      'resources-finalizer.argocd.argoproj.io/foreground',
    ])
      expect(isCascadeFinalizer(f)).toBe(true);
    for (const f of ['resources-finalizer.argocd.argoproj.io/other', 'foregroundDeletion', 'example.com/x'])
      expect(isCascadeFinalizer(f)).toBe(false);
  });
});

describe('destinationClusterName (views and planning)', () => {
  const clusters = [
    { metadata: { name: 'c2' }, spec: { server: 'https://127.0.0.1:7443' } },
    { metadata: { name: 'a' }, spec: { server: 'https://10.0.0.1' } },
    { metadata: { name: 'b' }, spec: { server: 'https://10.0.0.1:443/' } },
  ];
  it('names the one Cluster at the URL, in-cluster for the local URL, and never in-cluster by default', () => {
    expect(destinationClusterName({ name: 'x' }, clusters)).toBe('x');
    expect(destinationClusterName({}, clusters)).toBe('in-cluster');
    expect(destinationClusterName({ server: '' }, clusters)).toBe('');
    expect(destinationClusterName({ server: 'https://127.0.0.1:7443/' }, clusters)).toBe('c2');
    expect(destinationClusterName({ server: 'https://kubernetes.default.svc' }, clusters)).toBe('in-cluster');
    // Unknown or ambiguous: the URL itself, which matches no Cluster name or labels.
    expect(destinationClusterName({ server: 'https://9.9.9.9' }, clusters)).toBe('https://9.9.9.9');
    expect(destinationClusterName({ server: 'https://10.0.0.1' }, clusters)).toBe('https://10.0.0.1');
  });
});
