/**
 * Values that reach a renderer's argv. Every one of them comes from a tenant (an Application, a
 * generator's template, a directory name in Git), and helm or kustomize would read `-`-prefixed
 * text as an option: `--post-renderer=sh` runs a shell, `--output=/x` writes a file. So each value
 * is checked against its own grammar here, named by its field, and the renderers also place
 * positional values after `--` and as `./` or absolute paths.
 */
import { RenderError } from '../errors.js';

/** Helm's release-name grammar (helm/pkg/chartutil ValidateReleaseName): lowercase RFC 1123, ≤ 53. */
const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/u;
const RELEASE_NAME_MAX = 53;
/** A Kubernetes namespace: an RFC 1123 label. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/u;
const DNS_LABEL_MAX = 63;
/** What `--kube-version` accepts: a (v-prefixed) semantic version, major.minor at least. */
const KUBE_VERSION = /^v?\d{1,4}\.\d{1,4}(\.\d{1,4})?(-[0-9A-Za-z.-]{1,64})?(\+[0-9A-Za-z.-]{1,64})?$/u;

/** Shown in messages; long or multi-line values are cut so a message stays one readable line. */
export function quoteValue(v: string): string {
  const oneLine = JSON.stringify(v);
  return oneLine.length > 80 ? `${oneLine.slice(0, 77)}…"` : oneLine;
}

/**
 * A Helm release name, or RenderError naming `field` (`helm.releaseName`, or the app path when
 * the name defaults to its last segment).
 */
export function checkReleaseName(name: string, field: string, file: string | undefined): string {
  if (name.length > RELEASE_NAME_MAX || !RELEASE_NAME.test(name)) {
    throw new RenderError(
      `${field} ${quoteValue(name)} is not a valid Helm release name (lowercase letters, digits, '-' ` +
        `and '.', starting and ending with a letter or digit, at most ${RELEASE_NAME_MAX} characters)`,
      { file, code: 'render.InvalidParameter' },
    );
  }
  return name;
}

/** A namespace name (RFC 1123 label), or RenderError naming `field`. */
export function checkNamespace(ns: string, field: string, file: string | undefined): string {
  if (ns.length > DNS_LABEL_MAX || !DNS_LABEL.test(ns)) {
    throw new RenderError(
      `${field} ${quoteValue(ns)} is not a valid namespace name (an RFC 1123 label: lowercase ` +
        `letters, digits and '-', at most ${DNS_LABEL_MAX} characters)`,
      { file, code: 'render.InvalidParameter' },
    );
  }
  return ns;
}

/** A Kubernetes version such as `1.30`, `v1.30.2` or `1.30.0-gke.1`, or RenderError naming `field`. */
export function checkKubeVersion(v: string, field: string, file: string | undefined): string {
  if (!KUBE_VERSION.test(v)) {
    throw new RenderError(
      `${field} ${quoteValue(v)} is not a Kubernetes version (expected e.g. 1.30 or v1.30.2)`,
      { file, code: 'render.InvalidParameter' },
    );
  }
  return v;
}

/**
 * A repository-relative path as an argument: `./`-prefixed so no tool can read it as an option
 * (the caller has already normalised it and refused absolute paths and `..`).
 */
export function relativeArg(rel: string): string {
  return rel === '' ? '.' : `./${rel}`;
}
