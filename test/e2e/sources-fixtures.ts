// Chart fixtures for the sources e2e files: small upstream-style charts written to disk for the
// real `helm package`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Dependency {
  name: string;
  version: string;
  repository: string;
}

/**
 * Writes chart `name` at `version` under `base` (one directory per version) with a ConfigMap
 * `<release>-<chart>` holding the chart's version and `values.color`; `extra` adds templates.
 * Returns the chart directory.
 */
export function writeChart(
  base: string,
  name: string,
  version: string,
  dep?: Dependency,
  extra: Record<string, string> = {},
): string {
  const dir = join(base, `${name}-${version}`, name);
  mkdirSync(join(dir, 'templates'), { recursive: true });
  const deps = dep
    ? `dependencies:\n  - name: ${dep.name}\n    version: "${dep.version}"\n    repository: "${dep.repository}"\n`
    : '';
  writeFileSync(join(dir, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: ${version}\n${deps}`);
  writeFileSync(join(dir, 'values.yaml'), 'color: blue\n');
  writeFileSync(
    join(dir, 'templates', 'cm.yaml'),
    [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: {{ .Release.Name }}-{{ .Chart.Name }}',
      'data:',
      '  version: {{ .Chart.Version | quote }}',
      '  color: {{ .Values.color | quote }}',
      '',
    ].join('\n'),
  );
  for (const [file, text] of Object.entries(extra)) writeFileSync(join(dir, 'templates', file), text);
  return dir;
}
