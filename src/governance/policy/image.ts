/**
 * The tag of an image reference, or undefined when it has none. A digest (`@sha256:…`) pins the
 * image, so a digest-only reference counts as tagged (`digest`). A registry port
 * (`host:5000/app`) is not a tag: only a colon in the last path segment is.
 */
export function imageTag(image: string): string | undefined {
  if (image.includes('@')) return 'digest';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  return colon < 0 ? undefined : last.slice(colon + 1);
}
