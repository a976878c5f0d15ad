/**
 * The Kustomize renderer: runs the real `kustomize build`, because re-implementing Kustomize is
 * how renderers drift from what users test locally. The binary is run with plugins and exec
 * functions off (its default; we never pass --enable-exec or --enable-alpha-plugins;
 * --enable-helm only inflates charts gitfleet fetched into the tree), the root-only load restrictor, and an environment holding only an empty HOME
 * and a PATH with no programs, inside the sandbox of sandbox.ts (rlimits, no network). Remote
 * resources are refused before kustomize runs, and could not be fetched if one slipped past.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';

import { parse as parseYaml } from 'yaml';

import {
  FileTooLargeError,
  readFileWithin,
  statOrUndefined,
  TENANT_FILE_MAX_BYTES,
} from '../../core/read-within.js';
import type { Manifest } from '../manifest.js';
import { GitfleetError } from '../../core/errors.js';
import { PathEscapeError, RenderError } from '../errors.js';
import type { AppDir } from './confine.js';
import { relativeArg } from './argv.js';
import { confinedRealpath, isInside, joinRel, toRel } from './confine.js';
import type { ToolLimits } from './exec.js';
import { EMPTY_PATH, runTool, stderrForMessage } from './exec.js';
import { findExecutable } from './sandbox.js';
import { InputSet } from './inputs.js';
import type { KustomizeOverrides } from './kustomize-overrides.js';
import { checkOverridesAgainst, hasOverrides, wrapperKustomization } from './kustomize-overrides.js';
import { inlinePatchFiles, patchFiles } from './kustomize-patch-files.js';
import { plainKustomization } from './kustomize-plain.js';
import { parseManifests, isRecord } from './yaml-docs.js';

/** The names kustomize accepts for its configuration file, in its order of preference. */
export const KUSTOMIZATION_FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

/** Fields whose entries may name another directory (a base, component or generator config). */
const DIRECTORY_REFERENCE_FIELDS = [
  'resources',
  'bases',
  'components',
  'generators',
  'transformers',
  'validators',
];

/** The kustomization file of `dirAbs`, or undefined when it has none. */
export async function findKustomization(dirAbs: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILE_NAMES) {
    const info = statOrUndefined(join(dirAbs, name));
    if (info?.isFile()) return name;
  }
  return undefined;
}

/**
 * Renders a kustomization. Kustomize's output has no file or line of its own: every object's
 * origin is the app's kustomization file, and the line is the object's line within kustomize's
 * output (stable for a given input, useful to find the object in `kustomize build` output). A
 * kustomization that only lists local files is read without kustomize (kustomize-plain.ts): its
 * objects keep their own file and line.
 * Errors name the kustomization file and carry kustomize's stderr (trimmed to ~2 KB).
 * `inputs` is what kustomizeInputs returned for this app (it also did the confinement checks).
 */
export async function renderKustomize(
  rootReal: string,
  app: AppDir,
  limits: ToolLimits & {
    /** Build a kustomization that only lists local files without kustomize (kustomize-plain.ts). Default true. */
    plain?: boolean | undefined;
  },
  inputs?: InputSet,
  overrides?: KustomizeOverrides,
  /** Absolute path of helm, for `helmCharts` (kustomize runs it with an empty PATH). */
  helmBinary?: string,
): Promise<Manifest[]> {
  const kustFile = await kustomizationFile(app);
  if (!inputs) await kustomizeInputs(rootReal, app, limits.signal, overrides);
  if (limits.plain !== false && !hasOverrides(overrides)) {
    const plain = await plainKustomization(app, kustFile, limits.maxOutputBytes);
    if (plain) return plain;
  }
  const components = await overrideComponents(rootReal, app, overrides);
  // Argo's patches[].path: read here (confined), since the wrapper's root cannot load the file.
  overrides = await inlinePatchFiles(rootReal, app, overrides);

  const home = await mkdtemp(join(tmpdir(), 'gitfleet-kustomize-'));
  try {
    // Flags first, then `--`, then the path `./`-prefixed: no directory name is ever an option.
    let target = relativeArg(app.rel);
    const wrapped = hasOverrides(overrides)
      ? checkOverridesAgainst(await ownKustomization(app, kustFile), overrides, kustFile)
      : undefined;
    if (hasOverrides(wrapped)) {
      // Argo's overrides go into a wrapper whose only resource is the (already confined) app
      // directory; its own file is ours, so the app's kustomization stays as Git has it.
      const wrapper = join(home, 'overrides');
      await mkdir(wrapper);
      await writeFile(
        join(wrapper, 'kustomization.yaml'),
        wrapperKustomization(
          relative(wrapper, app.abs),
          wrapped,
          kustFile,
          components.map((c) => relative(wrapper, c)),
        ),
      );
      target = wrapper;
    }
    // kustomize runs helm with an empty PATH: the absolute path of the one gitfleet runs.
    const found = helmBinary ? await findExecutable(helmBinary, process.env.PATH ?? '') : undefined;
    const helm = found && isAbsolute(found) ? found : undefined;
    const result = await runTool({
      tool: 'kustomize',
      binary: limits.binary,
      // --enable-helm inflates only charts already in the tree (checkHelmCharts); no network here.
      args: [
        'build',
        '--load-restrictor=LoadRestrictionsRootOnly',
        ...(helm ? ['--enable-helm', `--helm-command=${helm}`] : []),
        '--',
        target,
      ],
      cwd: rootReal,
      env: { PATH: EMPTY_PATH, HOME: home },
      timeoutMs: limits.timeoutMs,
      maxOutputBytes: limits.maxOutputBytes,
      signal: limits.signal,
      resources: limits.resources,
      file: kustFile,
    });
    if (result.exitCode !== 0) {
      const why = stderrForMessage(stripRoot(stripRoot(result.stderr, join(home, 'overrides')), rootReal));
      throw new RenderError(`kustomize build failed: ${why}`, { file: kustFile, code: 'render.ToolFailed' });
    }
    return parseManifests(result.stdout, {
      file: kustFile,
      locate: (line) => ({ file: kustFile, line, note: 'the line is in the kustomize build output' }),
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** The app's own kustomization, parsed ({} when kustomize is left to report it unreadable). */
async function ownKustomization(app: AppDir, kustFile: string): Promise<Record<string, unknown>> {
  try {
    const text = await readFileWithin(join(app.abs, basename(kustFile)), TENANT_FILE_MAX_BYTES, kustFile);
    const doc: unknown = parseYaml(text, { maxAliasCount: 100 });
    return isRecord(doc) ? doc : {};
  } catch {
    return {};
  }
}

/** The app's kustomization file (repository-relative), or RenderError when it has none. */
async function kustomizationFile(app: AppDir): Promise<string> {
  const name = await findKustomization(app.abs);
  const kustFile = joinRel(app.rel, name ?? 'kustomization.yaml');
  if (!name)
    throw new RenderError('no kustomization.yaml, kustomization.yml or Kustomization in the app path', {
      file: kustFile,
    });
  return kustFile;
}

/**
 * What `kustomize build` of the app can read: every kustomization directory reachable from it
 * (resources, bases, components, …), each walked for symlinks. Throws PathEscapeError for an entry
 * or symlink leaving the repository, RenderError `render.RemoteResource` for a remote entry (a URL,
 * or a missing path shaped like `host.tld/org/repo`, which kustomize would fetch).
 */
export async function kustomizeInputs(
  rootReal: string,
  app: AppDir,
  signal?: AbortSignal,
  /** Argo CD's overrides: their `components` are read too, so they count as inputs. */
  overrides?: KustomizeOverrides,
): Promise<InputSet> {
  await kustomizationFile(app);
  const inputs = new InputSet();
  const dirs = new Set(await kustomizationDirs(rootReal, app.abs));
  for (const c of await overrideComponents(rootReal, app, overrides))
    for (const d of await kustomizationDirs(rootReal, c)) dirs.add(d);
  // A patch file of the overrides is an input: a change to it re-renders.
  for (const f of (await patchFiles(rootReal, app, overrides)).values()) inputs.add(toRel(rootReal, f));
  for (const dir of dirs) {
    await inputs.addDirectory(rootReal, dir, { recursive: true, signal });
  }
  return inputs;
}

/**
 * The real paths of Argo CD's `kustomize.components` (relative to the app's path, as Argo CD
 * resolves them). An entry leaving the repository or looking remote is refused naming it; a missing
 * one fails the render unless `ignoreMissingComponents` (then it is skipped, as in Argo CD).
 */
export async function overrideComponents(
  rootReal: string,
  app: AppDir,
  o: KustomizeOverrides | undefined,
): Promise<string[]> {
  const out: string[] = [];
  for (const [i, entry] of (o?.components ?? []).entries()) {
    const field = `kustomize.components[${i}]`;
    if (typeof entry !== 'string' || entry === '' || entry.includes('\n'))
      throw new RenderError(`${field}: must be a directory path`, { code: 'render.InvalidParameter' });
    if (URL_SCHEME.test(entry) || /^git@/u.test(entry) || isAbsolute(entry))
      throw new RenderError(
        `${field} '${entry}': only directories of the app's repository can be components`,
        {
          code: 'render.InvalidParameter',
        },
      );
    const target = resolve(app.abs, entry);
    if (!isInside(rootReal, target)) throw new PathEscapeError(field, `'${entry}' leaves the repository`);
    const info = statOrUndefined(target);
    if (!info?.isDirectory()) {
      if (o?.ignoreMissingComponents) continue;
      throw new RenderError(`${field} '${entry}': no such directory in the repository`, {
        code: 'render.InvalidParameter',
      });
    }
    out.push(await confinedRealpath(rootReal, target, toRel(rootReal, target)));
  }
  return out;
}

/**
 * Follows every kustomization reachable from `startAbs` and checks its entries. The load
 * restrictor confines *files* to their kustomization's directory, but a *directory* entry such as
 * `../../../../etc/x` is allowed by kustomize wherever it is, and an entry that does not exist
 * locally is fetched as a remote base when it looks like one — so both are refused here. Unreadable kustomizations are
 * left to kustomize to report. Returns the real paths of the kustomization directories.
 */
export async function kustomizationDirs(rootReal: string, startAbs: string): Promise<string[]> {
  const seen = new Set<string>();
  const pending = [startAbs];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    if (seen.has(dir)) continue;
    seen.add(dir);
    const name = await findKustomization(dir);
    if (!name) continue;
    const kustRel = joinRel(toRel(rootReal, dir), name);
    let doc: unknown;
    try {
      // Through a link out of the tree it is not read at all: this walk runs before the input walk
      // that refuses such links, and a read of the hub's own files is the harm.
      const text = await readFileWithin(join(dir, name), TENANT_FILE_MAX_BYTES, kustRel, { root: rootReal });
      doc = parseYaml(text, { maxAliasCount: 100 });
    } catch (e) {
      // Too large to check is refused, never left to kustomize: its entries would go unchecked.
      if (e instanceof FileTooLargeError)
        throw new RenderError(e.message, { code: 'render.InvalidParameter' });
      if (e instanceof GitfleetError && e.code === 'source.PathEscape')
        throw new PathEscapeError(kustRel, 'symlink resolves outside the repository');
      continue;
    }
    if (!isRecord(doc)) continue;
    refuseRemoteFiles(doc, kustRel);
    await checkHelmCharts(doc, kustRel, dir);
    for (const field of DIRECTORY_REFERENCE_FIELDS) {
      const entries = doc[field];
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        // generators/transformers/validators may hold inline configuration rather than a path.
        if (typeof entry !== 'string' || entry.includes('\n')) continue;
        if (URL_SCHEME.test(entry) || /^git@/u.test(entry)) throw remote(kustRel, field, entry);
        const target = resolve(dir, entry);
        if (!isInside(rootReal, target)) {
          throw new PathEscapeError(kustRel, `${field} entry '${entry}' leaves the repository`);
        }
        const info = statOrUndefined(target);
        if (info?.isDirectory())
          pending.push(await confinedRealpath(rootReal, target, toRel(rootReal, target)));
        else if (!info && looksRemote(entry)) throw remote(kustRel, field, entry);
        // Any other missing entry is a typo kustomize reports itself (it cannot read it as a URL).
      }
    }
  }
  return [...seen];
}

/**
 * What kustomize would fetch as a remote base when no such local path exists: a `//` subpath, a
 * `?ref=`, or a first segment that looks like a host (`github.com/org/repo`, `example.com/x`).
 */
function looksRemote(entry: string): boolean {
  return entry.includes('?ref=') || entry.includes('//') || /^[^./][^/]*\.[^/]*\//u.test(entry);
}

/** `scheme:` at the start: `https://`, `http://`, `ssh://`, `file://`, `git::…`, `s3::…`. */
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:/iu;

function remote(kustRel: string, field: string, entry: string): RenderError {
  return new RenderError(
    `${field} entry '${entry}' is a remote resource; gitfleet does not fetch remote kustomize ` +
      'resources (vendor the base into the repository)',
    { file: kustRel, code: 'render.RemoteResource' },
  );
}

/**
 * Kustomize's file loader fetches `http(s)://` paths itself; these are the fields whose values are
 * file paths (patches, generator sources, openapi, crds, configurations, replacements).
 */
function refuseRemoteFiles(doc: Record<string, unknown>, kustRel: string): void {
  const check = (field: string, v: unknown): void => {
    if (typeof v !== 'string' || v.includes('\n')) return;
    // configMapGenerator files may be `key=path`.
    const path = field.endsWith('.files') ? v.slice(v.indexOf('=') + 1) : v;
    if (URL_SCHEME.test(path)) throw remote(kustRel, field, v);
  };
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  for (const f of ['patchesStrategicMerge', 'crds', 'configurations']) {
    for (const v of list(doc[f])) check(f, v);
  }
  for (const f of ['patches', 'patchesJson6902', 'replacements']) {
    for (const v of list(doc[f])) if (isRecord(v)) check(`${f}.path`, v.path);
  }
  for (const f of ['configMapGenerator', 'secretGenerator']) {
    for (const g of list(doc[f])) {
      if (!isRecord(g)) continue;
      for (const v of list(g.files)) check(`${f}.files`, v);
      for (const v of list(g.envs)) check(`${f}.envs`, v);
      check(`${f}.env`, g.env);
    }
  }
  if (isRecord(doc.openapi)) check('openapi.path', doc.openapi.path);
  for (const [i, c] of list(doc.helmCharts).entries()) {
    if (!isRecord(c)) continue;
    check(`helmCharts[${i}].valuesFile`, c.valuesFile);
    for (const v of list(c.additionalValuesFiles)) check(`helmCharts[${i}].additionalValuesFiles`, v);
  }
}

/**
 * kustomize's `helmCharts` (run with `--enable-helm`): the renderer has no network, so every chart
 * must already be where kustomize looks before it would run `helm pull` —
 * `charts/<name>-<version>/<name>` next to the kustomization — which gitfleet's source stage fills
 * from `repo` (ChartSources.withKustomizeCharts). The legacy inflation generator and `helmGlobals`
 * (another chart home, a helm config home) are refused by name.
 */
async function checkHelmCharts(doc: Record<string, unknown>, kustRel: string, dir: string): Promise<void> {
  if (doc.helmChartInflationGenerator !== undefined)
    throw new RenderError('helmChartInflationGenerator is not supported; use helmCharts', {
      file: kustRel,
      code: 'render.Unsupported',
    });
  if (doc.helmGlobals !== undefined)
    throw new RenderError(
      'helmGlobals is not supported: charts are fetched by gitfleet into charts/ next to the kustomization',
      { file: kustRel, code: 'render.Unsupported' },
    );
  const charts = Array.isArray(doc.helmCharts) ? doc.helmCharts : [];
  for (const [i, c] of charts.entries()) {
    const name = isRecord(c) ? c.name : undefined;
    const version = isRecord(c) ? c.version : undefined;
    if (typeof name !== 'string' || !CHART_NAME.test(name) || typeof version !== 'string' || !version)
      throw new RenderError(`helmCharts[${i}] needs a chart name and a version`, {
        file: kustRel,
        code: 'render.InvalidParameter',
      });
    const present = statOrUndefined(join(dir, 'charts', `${name}-${version}`, name, 'Chart.yaml'));
    if (!present)
      throw new RenderError(
        `helmCharts[${i}] ${name} ${version} was not fetched: give its repo as an https:// or oci:// URL ` +
          '(gitfleet fetches the chart; the renderer has no network)',
        { file: kustRel, code: 'render.RemoteResource' },
      );
  }
}

/** A chart name as a path segment: no separators, not `.`/`..`. */
const CHART_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/u;

/** Makes tool messages repository-relative: shorter, and no host paths in a CR's status. */
export function stripRoot(text: string, rootReal: string): string {
  return text.split(`${rootReal}/`).join('').split(rootReal).join('.');
}
