import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ControllerMetrics } from '../../src/controllers/metrics.js';
import { repoRoot, systemTool } from '../harness/tools.js';

const run = promisify(execFile);
const dir = join(repoRoot, 'deploy', 'monitoring');

interface RuleFile {
  groups: { name: string; rules: { alert?: string; expr: string; annotations?: Record<string, string> }[] }[];
}

/** Every gitfleet_* metric name an expression mentions (histogram suffixes folded into their metric). */
function metricNames(expr: string): string[] {
  return [
    ...new Set(
      [...expr.matchAll(/\bgitfleet_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')),
    ),
  ];
}

describe('shipped alert rules (deploy/monitoring)', () => {
  const promtool = systemTool('promtool', 'prometheus');

  it('load into Prometheus (promtool check rules) and each alert fires on its series (promtool test rules)', async () => {
    const check = await run(promtool, ['check', 'rules', 'alerts.yaml'], { cwd: dir });
    expect(check.stdout).toContain('SUCCESS: 9 rules found');
    const test = await run(promtool, ['test', 'rules', 'alerts_test.yaml'], { cwd: dir });
    expect(test.stdout).toContain('SUCCESS');
  });

  it('cover the seven situations, each with a summary and a description', () => {
    const rules = (parse(readFileSync(join(dir, 'alerts.yaml'), 'utf8')) as RuleFile).groups.flatMap(
      (g) => g.rules,
    );
    for (const name of [
      'GitfleetAppSyncFailed',
      'GitfleetAppDegraded',
      'GitfleetAppDriftUnhealed',
      'GitfleetAgentSilent',
      'GitfleetClusterUnreachable',
      'GitfleetRolloutHalted',
      'GitfleetQueueSaturated',
    ])
      expect(rules.map((r) => r.alert)).toContain(name);
    for (const r of rules) {
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
    }
    // Every alert is also exercised by alerts_test.yaml.
    const tested = readFileSync(join(dir, 'alerts_test.yaml'), 'utf8');
    for (const r of rules) expect(tested).toContain(`alertname: ${r.alert}`);
  });

  it('name only metrics gitfleet exports (a rename breaks this test, not the alerts silently)', () => {
    const exported = new Set(
      new ControllerMetrics({ processMetrics: false }).registry.getMetricsAsArray().map((m) => m.name),
    );
    const rules = (parse(readFileSync(join(dir, 'alerts.yaml'), 'utf8')) as RuleFile).groups.flatMap(
      (g) => g.rules,
    );
    for (const r of rules)
      for (const name of metricNames(r.expr)) expect(exported, `${r.alert}: ${name}`).toContain(name);
  });

  it('ship the same groups as a PrometheusRule', () => {
    const plain = parse(readFileSync(join(dir, 'alerts.yaml'), 'utf8')) as RuleFile;
    const crd = parse(readFileSync(join(dir, 'prometheusrule.yaml'), 'utf8')) as {
      apiVersion: string;
      kind: string;
      spec: RuleFile;
    };
    expect(crd.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(crd.kind).toBe('PrometheusRule');
    expect(crd.spec.groups).toEqual(plain.groups);
  });
});
