/**
 * The Helm renderer: runs the real `helm template` on a chart directory of the repository. Helm
 * gets an empty HOME and empty cache/config/data directories, so no user repositories, plugins or
 * registry credentials are used, and there is no network step: dependencies must be vendored in
 * `charts/` (we never run `helm dependency build`). Release name, namespace and kube version are
 * checked against their grammars and passed so that none can become an option (argv.ts); helm runs
 * in the sandbox of sandbox.ts with a PATH holding no programs (no post-renderer, no plugin).
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, posix } from 'node:path';

import { parse as parseYaml } from 'yaml';

import { FileTooLargeError, readFileWithin, TENANT_FILE_MAX_BYTES } from '../../core/read-within.js';
import type { Manifest, Origin } from '../manifest.js';
import { PathEscapeError, RenderError } from '../errors.js';
import { checkKubeVersion, checkNamespace, checkReleaseName, quoteValue } from './argv.js';
import type { AppDir } from './confine.js';
import { joinRel, normaliseRelPath, realRoot, resolveConfined, toRel } from './confine.js';
import type { ToolLimits } from './exec.js';
import { EMPTY_PATH, runTool, stderrForMessage } from './exec.js';
import { InputSet } from './inputs.js';
import { stripRoot } from './kustomize.js';
import type { ErrorLocation } from './yaml-docs.js';
import { isRecord, parseManifests } from './yaml-docs.js';

/** Helm options; see RenderSpec.helm. */
export interface HelmOptions {
  /** Default: the last segment of the app path (the chart's name when the app path is the root). */
  releaseName?: string;
  /** Default: 'default'. */
  namespace?: string;
  /** Relative to the chart directory; must stay inside the repository. Applied in order. */
  valueFiles?: string[];
  /** Inline YAML, applied after valueFiles. */
  values?: string;
  /** Applied last, so it wins over `values` (as in Argo CD). */
  valuesObject?: Record<string, unknown>;
  /** Passed as --kube-version (Capabilities.KubeVersion). */
  kubeVersion?: string;
  /**
   * Argo CD's parameters with `--set` semantics (`a.b=v`, `\.` escapes a dot, `true`/`false`/
   * `null`/integers typed unless forceString), written to a values file applied last — never argv.
   */
  parameters?: { name: string; value?: string; forceString?: boolean }[];
  /**
   * Argo CD's `--set-file`: the value at `name` is the content of `path` (relative to the chart
   * directory, confined like value files), as a string; applied after `parameters`.
   */
  fileParameters?: { name: string; path: string }[];
  /** Value files that do not exist are skipped (still confined to the repository). */
  ignoreMissingValueFiles?: boolean;
  /**
   * Multi-source apps (Argo CD's `$ref/path` value files): the checkout root of each `ref`ed source
   * by ref name. A `$name/path` value file is read from that root and confined to it; the caller
   * keys the render cache by the referenced revisions (these files are not in `inputs`).
   */
  refRoots?: Record<string, string>;
  /** `--skip-crds` instead of `--include-crds`. */
  skipCrds?: boolean;
  /** `--skip-tests`: test hooks are not rendered. */
  skipTests?: boolean;
  /** `--skip-schema-validation`: values.schema.json is not checked. */
  skipSchemaValidation?: boolean;
  /** Each passed as --api-versions (Capabilities.APIVersions). */
  apiVersions?: string[];
}

export interface ChartMeta {
  name: string;
  dependencies: { name: string; file: string }[];
}

/**
 * Renders a chart. Origins come from helm's `# Source: <chart>/<path>` comments mapped to
 * repository paths when the file exists there (templates of a vendored .tgz subchart do not), else
 * the chart's Chart.yaml; the line is 1 because rendered lines do not correspond to template lines.
 * Errors carry helm's stderr and name the template helm blames, or Chart.yaml.
 */
export async function renderHelm(
  rootReal: string,
  app: AppDir,
  opts: HelmOptions,
  limits: ToolLimits,
  prepared?: HelmInputs,
): Promise<Manifest[]> {
  const chartFile = joinRel(app.rel, 'Chart.yaml');
  // First, so not even Chart.yaml is read through a link that leaves what helm reads.
  const { chart, valueFiles, fileParameters } =
    prepared ?? (await helmInputs(rootReal, app, opts, limits.signal));
  const release = releaseName(app, chart, opts, chartFile);
  const namespace = checkNamespace(opts.namespace ?? 'default', 'helm.namespace', chartFile);
  const kubeVersion =
    opts.kubeVersion === undefined
      ? undefined
      : checkKubeVersion(opts.kubeVersion, 'helm.kubeVersion', chartFile);
  const inline =
    opts.values !== undefined && opts.values.trim() !== '' ? checkInlineValues(opts.values) : undefined;
  const apiVersions = (opts.apiVersions ?? []).map((v, i) =>
    checkApiVersion(v, `helm.apiVersions[${i}]`, chartFile),
  );
  const fileParams = await Promise.all(
    fileParameters.map(async (f) => ({
      name: f.name,
      // Its size was checked (helmInputs); read within the same bound in case it grew since.
      value: await readFileWithin(f.abs, MAX_FILE_PARAMETER_BYTES, `helm.fileParameters ${f.name}`),
      forceString: true,
    })),
  );
  const allParams = [...(opts.parameters ?? []), ...fileParams];
  const parameters = allParams.length ? parametersToValues(allParams, chartFile) : undefined;

  const home = await mkdtemp(join(tmpdir(), 'gitfleet-helm-'));
  try {
    const env: Record<string, string> = { PATH: EMPTY_PATH, HOME: home };
    for (const [key, sub] of [
      ['HELM_CACHE_HOME', 'cache'],
      ['HELM_CONFIG_HOME', 'config'],
      ['HELM_DATA_HOME', 'data'],
    ] as const) {
      env[key] = join(home, sub);
      await mkdir(env[key]);
    }
    // Every option as one `--flag=value` word, then `--`, then the release name and the chart's
    // absolute path: nothing a tenant wrote can be read as an option (e.g. --post-renderer).
    const args = ['template', `--namespace=${namespace}`, opts.skipCrds ? '--skip-crds' : '--include-crds'];
    for (const f of valueFiles) args.push(`--values=${f}`);
    if (inline !== undefined) {
      const p = join(home, 'values-inline.yaml');
      await writeFile(p, inline);
      args.push(`--values=${p}`);
    }
    if (opts.valuesObject !== undefined) {
      const p = join(home, 'values-object.json');
      await writeFile(p, JSON.stringify(opts.valuesObject));
      args.push(`--values=${p}`);
    }
    if (parameters !== undefined) {
      // Last, as Argo CD's --set: parameters win over every value file and inline values.
      const p = join(home, 'values-parameters.json');
      await writeFile(p, JSON.stringify(parameters));
      args.push(`--values=${p}`);
    }
    if (kubeVersion !== undefined) args.push(`--kube-version=${kubeVersion}`);
    for (const v of apiVersions) args.push(`--api-versions=${v}`);
    if (opts.skipTests) args.push('--skip-tests');
    if (opts.skipSchemaValidation) args.push('--skip-schema-validation');
    args.push('--', release, app.abs);

    const result = await runTool({
      tool: 'helm',
      binary: limits.binary,
      args,
      cwd: home,
      env,
      timeoutMs: limits.timeoutMs,
      maxOutputBytes: limits.maxOutputBytes,
      signal: limits.signal,
      resources: limits.resources,
      file: chartFile,
    });
    if (result.exitCode !== 0) {
      const stderr = stripRoot(result.stderr, home)
        .replaceAll('values-inline.yaml', 'helm.values')
        .replaceAll('values-object.json', 'helm.valuesObject')
        .replaceAll('values-parameters.json', 'helm.parameters');
      throw await helmFailure(stripRoot(stderr, rootReal), app, chart, chartFile);
    }
    const sources = sourceLines(result.stdout);
    const files = new Map<string, string>();
    for (const s of sources) {
      if (!files.has(s.path)) files.set(s.path, await chartPathToRepo(app, chart, s.path, chartFile));
    }
    const originFor = (line: number): Origin => {
      const source = lastBefore(sources, line);
      return { file: (source && files.get(source.path)) ?? chartFile, line: 1 };
    };
    // Rendered lines are not template lines: errors name the template and the line in helm's output.
    const locate = (line: number): ErrorLocation => ({
      file: originFor(line).file,
      note: `line ${line} of the helm template output`,
    });
    return parseManifests(result.stdout, { file: chartFile, originFor, locate });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** What helm reads, checked: the chart (its directory walked for symlinks) and the value files. */
export interface HelmInputs {
  chart: ChartMeta;
  /** Real absolute paths of the value files, in order. */
  valueFiles: string[];
  /** fileParameters with their files' real absolute paths. */
  fileParameters: { name: string; abs: string }[];
  inputs: InputSet;
}

/**
 * Confines and collects what `helm template` of the app reads: the chart directory (vendored
 * subcharts included; PathEscapeError for a symlink in it leaving the repository) and each value
 * file (which may live anywhere in the repository). Dependencies must be vendored: helm template
 * never follows a `repository: file://…` itself, and we never run `helm dependency build`.
 */
export async function helmInputs(
  rootReal: string,
  app: AppDir,
  opts: HelmOptions,
  signal?: AbortSignal,
): Promise<HelmInputs> {
  const chartFile = joinRel(app.rel, 'Chart.yaml');
  const inputs = new InputSet();
  await inputs.addDirectory(rootReal, app.abs, { recursive: true, signal });
  const chart = await readChart(app, chartFile);
  await assertDependenciesVendored(app, chart);
  const valueFiles: string[] = [];
  for (const f of opts.valueFiles ?? []) {
    if (f.startsWith('$')) {
      const abs = await resolveRefValueFile(opts.refRoots ?? {}, f).catch((e: unknown) => {
        if (!opts.ignoreMissingValueFiles || !isMissing(e)) throw e;
        return undefined;
      });
      if (abs !== undefined) valueFiles.push(abs);
      continue;
    }
    const abs = await resolveValueFile(rootReal, app, f).catch(async (e: unknown) => {
      if (!opts.ignoreMissingValueFiles || !isMissing(e)) throw e;
      // Skipped, but the render must change when the file appears: its nearest existing directory
      // is an input.
      inputs.add(await nearestExisting(rootReal, posix.dirname(valueFileRel(app, f))));
      return undefined;
    });
    if (abs === undefined) continue;
    valueFiles.push(abs);
    inputs.add(toRel(rootReal, abs));
  }
  const fileParameters: HelmInputs['fileParameters'] = [];
  for (const [i, f] of (opts.fileParameters ?? []).entries()) {
    // `$ref/path` reads from the referenced source's checkout, as a value file does (Argo CD).
    const fromRef = f.path.startsWith('$');
    const abs = fromRef
      ? await resolveRefValueFile(opts.refRoots ?? {}, f.path)
      : await resolveValueFile(rootReal, app, f.path);
    // A file's content becomes a value: bounded like a manifest would be, so a huge file is named.
    if ((await stat(abs)).size > MAX_FILE_PARAMETER_BYTES)
      throw new RenderError(
        `helm.fileParameters[${i}].path is larger than ${MAX_FILE_PARAMETER_BYTES} bytes`,
        { file: fromRef ? f.path : toRel(rootReal, abs), code: 'render.InvalidParameter' },
      );
    fileParameters.push({ name: f.name, abs });
    // A $ref file is keyed by the referenced revision (refRoots), not as an input of this tree.
    if (!fromRef) inputs.add(toRel(rootReal, abs));
  }
  return { chart, valueFiles, fileParameters, inputs };
}

/**
 * A chart file that may be absent (undefined then, as when unreadable). One too large to read is
 * refused by name: skipping it would leave its dependencies unchecked.
 */
async function readOptional(abs: string, shown: string): Promise<string | undefined> {
  try {
    return await readFileWithin(abs, TENANT_FILE_MAX_BYTES, shown);
  } catch (e) {
    if (e instanceof FileTooLargeError) throw new RenderError(e.message, { code: 'render.InvalidParameter' });
    return undefined;
  }
}

async function readChart(app: AppDir, chartFile: string): Promise<ChartMeta> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFileWithin(join(app.abs, 'Chart.yaml'), TENANT_FILE_MAX_BYTES, chartFile), {
      maxAliasCount: 100,
    });
  } catch (cause) {
    const why = cause instanceof Error ? (cause.message.split('\n')[0] ?? '') : String(cause);
    throw new RenderError(`Chart.yaml cannot be read or parsed: ${why}`, { file: chartFile, cause });
  }
  if (!isRecord(doc) || typeof doc.name !== 'string' || doc.name === '') {
    throw new RenderError('Chart.yaml has no name', { file: chartFile });
  }
  const dependencies = depsOf(doc.dependencies, chartFile);
  // apiVersion v1 charts list their dependencies in requirements.yaml.
  const reqFile = joinRel(app.rel, 'requirements.yaml');
  const req = await readOptional(join(app.abs, 'requirements.yaml'), reqFile);
  const parsed = req === undefined ? undefined : parseQuietly(req);
  if (isRecord(parsed)) dependencies.push(...depsOf(parsed.dependencies, reqFile));
  return { name: doc.name, dependencies };
}

/** Parsed YAML, or undefined when it does not parse (helm then reports the file itself). */
function parseQuietly(text: string): unknown {
  try {
    return parseYaml(text, { maxAliasCount: 100 }) as unknown;
  } catch {
    return undefined;
  }
}

function depsOf(list: unknown, file: string): ChartMeta['dependencies'] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((d: unknown) =>
    isRecord(d) && typeof d.name === 'string' ? [{ name: d.name, file }] : [],
  );
}

/**
 * Refuses a chart whose dependencies are not in `charts/`: helm would need the network to fetch
 * them, and a render must depend on the commit only. A dependency counts as vendored when
 * `charts/` holds a chart directory of that name or a `<name>-<version>.tgz`.
 */
async function assertDependenciesVendored(app: AppDir, chart: ChartMeta): Promise<void> {
  if (chart.dependencies.length === 0) return;
  const chartsDir = join(app.abs, 'charts');
  const entries = await readdir(chartsDir, { withFileTypes: true }).catch(() => []);
  const vendored = new Set<string>();
  const archives: string[] = [];
  for (const e of entries) {
    if (e.name.endsWith('.tgz')) archives.push(e.name);
    else if (e.isDirectory() || e.isSymbolicLink()) {
      const sub = await readOptional(
        join(chartsDir, e.name, 'Chart.yaml'),
        joinRel(app.rel, `charts/${e.name}/Chart.yaml`),
      );
      const parsed = sub === undefined ? undefined : parseQuietly(sub);
      vendored.add(isRecord(parsed) && typeof parsed.name === 'string' ? parsed.name : e.name);
    }
  }
  const missing = chart.dependencies.filter(
    (d) =>
      !vendored.has(d.name) && !archives.some((a) => new RegExp(`^${escapeRe(d.name)}-v?\\d`, 'u').test(a)),
  );
  const first = missing[0];
  if (first) {
    throw new RenderError(
      `chart dependencies are not vendored in charts/: ${missing.map((d) => d.name).join(', ')} ` +
        '(gitfleet does not fetch dependencies; commit them with `helm dependency build`)',
      { file: first.file, code: 'render.HelmDependencyMissing' },
    );
  }
}

/** A value file's repository-relative path; PathEscapeError when it is absolute, a URL or leaves the repository. */
function valueFileRel(app: AppDir, file: string): string {
  if (isAbsolute(file) || posix.isAbsolute(file) || /^[a-z][a-z0-9+.-]*:\/\//iu.test(file)) {
    throw new PathEscapeError(file, 'helm value files must be relative to the chart directory');
  }
  return normaliseRelPath(posix.join(app.rel === '' ? '.' : app.rel, file), 'helm value file');
}

/** A path that does not exist (not one that escapes: PathEscapeError is never "missing"). */
function isMissing(e: unknown): boolean {
  const cause = e instanceof Error ? (e.cause as { code?: string } | undefined) : undefined;
  return e instanceof RenderError && (cause?.code === 'ENOENT' || cause?.code === 'ENOTDIR');
}

/** `rel` or its nearest ancestor that exists, confined, as a repository-relative path. */
async function nearestExisting(rootReal: string, rel: string): Promise<string> {
  for (let cur = rel; ; cur = posix.dirname(cur)) {
    if (cur === '.' || cur === '') return '';
    const abs = await resolveConfined(rootReal, cur, 'helm value file directory').catch((e: unknown) => {
      if (isMissing(e)) return undefined;
      throw e;
    });
    if (abs !== undefined) return toRel(rootReal, abs);
  }
}

/** A value file's real path; it must be relative to the chart directory and stay inside the repository. */
async function resolveValueFile(rootReal: string, app: AppDir, file: string): Promise<string> {
  const rel = valueFileRel(app, file);
  const abs = await resolveConfined(rootReal, rel, 'helm value file');
  const info = await stat(abs);
  if (!info.isFile()) throw new RenderError('helm value file is not a file', { file: rel });
  return abs;
}

/**
 * `$ref/path/values.yaml` of a multi-source app: `path` inside the checkout of the source whose
 * `ref` is `ref`, confined to that repository (a symlink or `..` leaving it is refused).
 */
async function resolveRefValueFile(refRoots: Record<string, string>, file: string): Promise<string> {
  const slash = file.indexOf('/');
  const ref = file.slice(1, slash < 0 ? undefined : slash);
  const root = Object.hasOwn(refRoots, ref) ? refRoots[ref] : undefined;
  if (root === undefined)
    throw new RenderError(
      `helm value file ${file} names $${ref}, which no source of the app declares as ref`,
      {
        file,
        code: 'render.InvalidParameter',
      },
    );
  if (slash < 0) throw new RenderError('helm value file names a source, not a file in it', { file });
  const rel = normaliseRelPath(file.slice(slash + 1), `helm value file ${file}`);
  const rootReal = await realRoot(root);
  const abs = await resolveConfined(rootReal, rel, `helm value file ${file}`);
  if (!(await stat(abs)).isFile()) throw new RenderError('helm value file is not a file', { file });
  return abs;
}

/** Largest file a fileParameter may read (1 MiB: a ConfigMap value cannot be larger anyway). */
const MAX_FILE_PARAMETER_BYTES = 1024 * 1024;

/** Checks inline values before helm sees them, so the error points at the field, not a temp file. */
function checkInlineValues(values: string): string {
  let parsed: unknown;
  try {
    parsed = parseYaml(values, { maxAliasCount: 100 });
  } catch (cause) {
    throw new RenderError(
      `helm.values is not valid YAML: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
  if (parsed !== null && !isRecord(parsed)) throw new RenderError('helm.values must be a YAML mapping');
  return values;
}

/**
 * helm.releaseName, else the app path's last segment (a directory name from Git, e.g. through a
 * git directory generator), else the chart's name — each checked against Helm's grammar.
 */
function releaseName(app: AppDir, chart: ChartMeta, opts: HelmOptions, chartFile: string): string {
  if (opts.releaseName !== undefined && opts.releaseName !== '')
    return checkReleaseName(opts.releaseName, 'helm.releaseName', chartFile);
  const segments = app.rel.split('/');
  const last = segments[segments.length - 1];
  if (last)
    return checkReleaseName(
      last,
      `helm.releaseName (unset, so the last segment of the app path ${quoteValue(app.rel)})`,
      chartFile,
    );
  return checkReleaseName(chart.name, 'helm.releaseName (unset, so the chart name)', chartFile);
}

/**
 * Argo CD's helm parameters as one values object with `helm --set` semantics: the name is a dotted
 * path (`\.` is a literal dot), the value is typed as --set types it (`true`, `false`, `null`,
 * integers without a leading zero) unless forceString. List indices (`a[0]`) are refused by name:
 * a values file replaces a whole list where --set replaces one element, so they cannot be honoured
 * this way. Objects have no prototype, so `__proto__` is an ordinary key.
 */
export function parametersToValues(
  params: readonly { name: string; value?: string; forceString?: boolean }[],
  file?: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  params.forEach((p, i) => {
    const field = `helm.parameters[${i}].name`;
    const path = splitParameterName(p.name, field, file);
    let node = out;
    for (const seg of path.slice(0, -1)) {
      const next = node[seg];
      if (typeof next === 'object' && next !== null && !Array.isArray(next))
        node = next as Record<string, unknown>;
      else {
        const fresh = Object.create(null) as Record<string, unknown>;
        node[seg] = fresh;
        node = fresh;
      }
    }
    const value = p.value ?? '';
    node[path[path.length - 1] ?? ''] = p.forceString ? value : typedSetValue(value);
  });
  return out;
}

function splitParameterName(name: string, field: string, file: string | undefined): string[] {
  const segs: string[] = [];
  let cur = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '\\' && i + 1 < name.length) cur += name[++i];
    else if (c === '.') {
      segs.push(cur);
      cur = '';
    } else if (c === '[' || c === '=' || c === ',') {
      throw new RenderError(
        `${field} ${quoteValue(name)}: ${c === '[' ? 'list indices are' : `'${c}' is`} not supported in ` +
          'parameter names (set the list in values or valuesObject)',
        { file, code: 'render.InvalidParameter' },
      );
    } else cur += c;
  }
  segs.push(cur);
  if (segs.some((s) => s === ''))
    throw new RenderError(`${field} ${quoteValue(name)} has an empty path segment`, {
      file,
      code: 'render.InvalidParameter',
    });
  return segs;
}

/** How `helm --set` types a value: booleans, null, and base-10 integers without a leading zero. */
function typedSetValue(v: string): unknown {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v === 'null') return null;
  if (v === '0') return 0;
  if (/^-?[1-9]\d*$/u.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
  return v;
}

/** `group/version`, `version` or `group/version/Kind`, as `--api-versions` takes them. */
function checkApiVersion(v: string, field: string, file: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}(\/[A-Za-z0-9][A-Za-z0-9.-]{0,62}){0,2}$/u.test(v))
    throw new RenderError(
      `${field} ${quoteValue(v)} is not an API version (expected e.g. monitoring.coreos.com/v1)`,
      {
        file,
        code: 'render.InvalidParameter',
      },
    );
  return v;
}

/** `# Source: <chart>/<path>` comments of helm's output with their 1-based lines. */
function sourceLines(output: string): { line: number; path: string }[] {
  const out: { line: number; path: string }[] = [];
  output.split('\n').forEach((text, i) => {
    const m = /^# Source: (.+?)\s*$/u.exec(text);
    if (m?.[1]) out.push({ line: i + 1, path: m[1] });
  });
  return out;
}

/** The last entry with `line` before `line` (binary search; `sources` is in line order). */
function lastBefore<T extends { line: number }>(sources: readonly T[], line: number): T | undefined {
  let lo = 0;
  let hi = sources.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const s = sources[mid];
    if (s !== undefined && s.line < line) lo = mid + 1;
    else hi = mid;
  }
  return sources[lo - 1];
}

/** Maps helm's `<chart>/templates/x.yaml` to a repository path when that file exists, else Chart.yaml. */
async function chartPathToRepo(
  app: AppDir,
  chart: ChartMeta,
  helmPath: string,
  chartFile: string,
): Promise<string> {
  const prefix = `${chart.name}/`;
  if (!helmPath.startsWith(prefix)) return chartFile;
  const inChart = posix.normalize(helmPath.slice(prefix.length));
  if (inChart.startsWith('../') || posix.isAbsolute(inChart)) return chartFile;
  const info = await stat(join(app.abs, inChart)).catch(() => undefined);
  return info?.isFile() ? joinRel(app.rel, inChart) : chartFile;
}

/** A RenderError for a failed `helm template`, naming the template (and line) helm blames if any. */
async function helmFailure(
  stderr: string,
  app: AppDir,
  chart: ChartMeta,
  chartFile: string,
): Promise<RenderError> {
  // Helm's hint about --debug is for interactive users; gitfleet cannot pass it.
  const why = stderrForMessage(stderr.replace(/^Use --debug flag.*$/gmu, ''));
  if (/missing in charts\/ directory/u.test(stderr)) {
    return new RenderError(`chart dependencies are missing: ${why}`, {
      file: chartFile,
      code: 'render.HelmDependencyMissing',
    });
  }
  const m = new RegExp(`(${escapeRe(chart.name)}/[^\\s:()"]+)(?::(\\d+))?`, 'u').exec(stderr);
  if (m?.[1]) {
    const file = await chartPathToRepo(app, chart, m[1], chartFile);
    const line = file === chartFile || m[2] === undefined ? undefined : Number(m[2]);
    return new RenderError(`helm template failed: ${why}`, { file, line, code: 'render.ToolFailed' });
  }
  return new RenderError(`helm template failed: ${why}`, { file: chartFile, code: 'render.ToolFailed' });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
}
