// Argo CD's own documented manifests (test/fixtures/argo-docs: its docs' and applicationset
// examples' Applications, ApplicationSets and AppProjects, only the apiVersion changed) run through
// gitfleet's schema, field checks and ApplicationSet generation. Each one either produces what
// Argo CD produces (same Application names, same destinations) or is refused naming the field.

import { describe, expect, it } from 'vitest';
import { corpusDocs, runDoc, type GeneratedApp, type Outcome } from '../../test/fixtures/argo-docs/run.js';

const docs = corpusDocs();
const outcomes = new Map<string, Outcome>();
const outcomeOf = async (file: string): Promise<Outcome> => {
  const doc = docs.find((d) => d.file === file);
  if (!doc) throw new Error(`${file} is not in the corpus`);
  let o = outcomes.get(file);
  if (!o) {
    o = await runDoc(doc);
    outcomes.set(file, o);
  }
  return o;
};
const appsOf = async (file: string): Promise<string[]> => {
  const o = await outcomeOf(file);
  expect(o.refused, file).toEqual([]);
  expect(o.error, file).toBeUndefined();
  return (o.apps ?? []).map((a: GeneratedApp) => `${a.name} -> ${a.destination} ${a.namespace}`).sort();
};

const IN = 'https://kubernetes.default.svc';
const STAGING = 'https://staging.example.com:6443';
const PROD = 'https://production.example.com:6443';

describe("Argo CD's documented manifests", () => {
  it('the corpus is the one the README describes', () => {
    expect(docs.length).toBeGreaterThanOrEqual(220);
    for (const kind of ['Application', 'ApplicationSet', 'Project'])
      expect(docs.filter((d) => d.kind === kind).length, kind).toBeGreaterThan(15);
  });

  it('each one is honoured or refused naming the field: never an unnamed failure', async () => {
    const field = /^(Application \S+: )?(spec|operation)(\.[\w.-]+|\[\d+\]|\.?\S*)*( \([^)]*\))?: \S/;
    const generation = /^(generators\[\d+\]|spec\.|metadata\.|two parameter sets produce)/;
    for (const doc of docs) {
      const o = await runDoc(doc);
      for (const r of o.refused) expect(r, `${doc.file}: ${r}`).toMatch(field);
      if (o.error !== undefined) expect(o.error, doc.file).toMatch(generation);
    }
  });

  it('a fasttemplate example generates what its goTemplate twin generates', async () => {
    const twins = docs.filter((d) => d.file.endsWith('-fasttemplate.yaml'));
    expect(twins.length).toBeGreaterThan(15);
    for (const fast of twins) {
      const go = fast.file.replace('-fasttemplate', '');
      if (!docs.some((d) => d.file === go)) continue;
      const a = await outcomeOf(fast.file);
      const b = await outcomeOf(go);
      expect(a.apps, fast.file).toEqual(b.apps);
      expect(a.refused.length > 0, fast.file).toBe(b.refused.length > 0);
    }
  });

  it('list, cluster and git generators: the names and destinations Argo CD generates', async () => {
    const ex = (p: string): string => `applicationset__examples__${p}.yaml`;
    expect(await appsOf(ex('list-generator__list-example'))).toEqual([
      `engineering-dev-guestbook -> ${IN} guestbook`,
      `engineering-prod-guestbook -> ${IN} guestbook`,
    ]);
    // The implicit in-cluster is listed by an empty selector, beside the registered clusters.
    expect(await appsOf(ex('cluster__cluster-example'))).toEqual([
      `in-cluster-guestbook -> ${IN} guestbook`,
      `production-guestbook -> ${PROD} guestbook`,
      `staging-guestbook -> ${STAGING} guestbook`,
    ]);
    expect(await appsOf(ex('git-generator-directory__git-directories-example'))).toEqual([
      `argo-workflows -> ${IN} argo-workflows`,
      `prometheus-operator -> ${IN} prometheus-operator`,
    ]);
    // `exclude: true` drops exclude-helm-guestbook.
    expect(await appsOf(ex('git-generator-directory__excludes__git-directories-exclude-example'))).toEqual([
      `argo-workflows -> ${IN} argo-workflows`,
      `prometheus-operator -> ${IN} prometheus-operator`,
    ]);
    expect(await appsOf(ex('git-generator-files-discovery__git-generator-files'))).toEqual([
      `engineering-dev-guestbook -> ${IN} guestbook`,
      `engineering-prod-guestbook -> ${IN} guestbook`,
    ]);
    expect(await appsOf(ex('git-generator-files-discovery__excludes__git-files-exclude-example'))).toEqual([
      `engineering-prod-guestbook -> ${IN} guestbook`,
    ]);
  });

  it('matrix and merge: the names and destinations Argo CD generates', async () => {
    const ex = (p: string): string => `applicationset__examples__${p}.yaml`;
    // Argo's cluster Secrets carry argocd.argoproj.io/secret-type=cluster, and its matrix example
    // selects on it: every registered Cluster matches, the implicit in-cluster does not.
    expect(await appsOf(ex('matrix__cluster-and-git'))).toEqual([
      `argo-workflows-production -> ${PROD} argo-workflows`,
      `argo-workflows-staging -> ${STAGING} argo-workflows`,
      `prometheus-operator-production -> ${PROD} prometheus-operator`,
      `prometheus-operator-staging -> ${STAGING} prometheus-operator`,
    ]);
    expect(await appsOf(ex('matrix__list-and-git'))).toEqual([
      'argo-workflows-engineering-dev -> https://1.2.3.4 argo-workflows',
      'argo-workflows-engineering-prod -> https://2.4.6.8 argo-workflows',
      'prometheus-operator-engineering-dev -> https://1.2.3.4 prometheus-operator',
      'prometheus-operator-engineering-prod -> https://2.4.6.8 prometheus-operator',
    ]);
    expect(await appsOf(ex('matrix__matrix-and-union-in-matrix'))).toHaveLength(8);
    expect(await appsOf(ex('merge__merge-clusters-and-list'))).toEqual([
      `in-cluster -> ${IN} default`,
      `production -> ${PROD} default`,
      `staging -> ${STAGING} default`,
    ]);
    expect(await appsOf(ex('merge__merge-two-matrixes'))).toEqual([
      `in-cluster-guestbook-prod -> ${IN} guestbook`,
      `in-cluster-guestbook-staging -> ${IN} guestbook-non-prod`,
      `production-guestbook-prod -> ${PROD} guestbook`,
      `production-guestbook-staging -> ${PROD} guestbook-non-prod`,
      `staging-guestbook-prod -> ${STAGING} guestbook`,
      `staging-guestbook-staging -> ${STAGING} guestbook-non-prod`,
    ]);
    // Argo's matrix example that reads a key no generator produces fails, here as there.
    expect((await outcomeOf(ex('matrix__list-and-list'))).error).toMatch(/^spec\.source\.path: unknown key/);
  });

  it('progressive syncs: the documented RollingSync example generates its three Applications', async () => {
    const file = 'docs__operator-manual__applicationset__Progressive-Syncs-5.yaml';
    expect(await appsOf(file)).toEqual([
      'engineering-dev-guestbook -> https://1.2.3.4 guestbook',
      'engineering-prod-guestbook -> https://9.8.7.6/ guestbook',
      'engineering-qa-guestbook -> https://2.4.6.8 guestbook',
    ]);
  });

  it('what gitfleet refuses in the documentation, by field', async () => {
    const refused = async (file: string): Promise<string[]> =>
      (await outcomeOf(file)).refused.map((r) => r.slice(0, r.indexOf(': ')));
    expect(await refused('docs__operator-manual__applicationset__Generators-SCM-Provider-1.yaml')).toEqual([
      'spec.generators[0].scmProvider',
    ]);
    expect(await refused('docs__operator-manual__application.yaml')).toEqual(
      expect.arrayContaining(['spec.source.plugin', 'spec.sourceHydrator', 'spec.source.directory.jsonnet']),
    );
    expect(await refused('docs__user-guide__directory-5.yaml')).toContain(
      'spec.source.directory.disableExtensionFilter',
    );
    // Argo's AppProject reference: fields the Project CRD does not declare are refused by strict
    // field validation, by name.
    expect(await refused('docs__operator-manual__project.yaml')).toEqual(
      expect.arrayContaining([
        'spec.orphanedResources',
        'spec.sourceIntegrity',
        'spec.permitOnlyProjectScopedClusters',
      ]),
    );
  });

  it('the whole corpus, one line per manifest (reviewed: a change here is a change of behaviour)', async () => {
    const lines: string[] = [];
    for (const doc of docs) {
      const o = await runDoc(doc);
      const head = `${doc.file}#${doc.index} ${doc.kind}/${doc.name || '(unnamed)'}`;
      if (o.refused.length)
        lines.push(`${head}\n  refused ${o.refused.map((r) => r.slice(0, r.indexOf(': '))).join(', ')}`);
      else if (o.error !== undefined) lines.push(`${head}\n  error ${o.error}`);
      else if (o.apps)
        lines.push(
          `${head}\n  apps ${o.apps.map((a) => `${a.name}@${a.destination}/${a.namespace}`).join(' ') || '(none)'}`,
        );
      else lines.push(`${head}\n  accepted`);
    }
    await expect(`${lines.join('\n')}\n`).toMatchFileSnapshot('../../test/fixtures/argo-docs/outcomes.txt');
  });
});
