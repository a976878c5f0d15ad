import type { Application } from '../../api/application.js';

/**
 * The informer's copy of an Application, when it can stand for a GET at the start of a reconcile:
 * its resourceVersion is the one this controller's last status write answered, so nothing (spec,
 * annotation, deletion, another replica's status) changed since, and the copy holds that write
 * (the operation it started included). Otherwise undefined: the reconcile reads the object. A
 * reconcile woken by its own objects' watch after a sync, or by a poll, so costs no request.
 * A copy (the stages edit the app in place).
 */
export function currentCopy(
  cached: Application | undefined,
  writtenResourceVersion: string | undefined,
): Application | undefined {
  const rv = cached?.metadata.resourceVersion;
  if (!cached || !rv || rv !== writtenResourceVersion) return undefined;
  return structuredClone(cached);
}
