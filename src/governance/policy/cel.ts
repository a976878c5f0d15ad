import { celModule } from '../../core/cel.js';
import type { KubeObject } from '../../kube/types.js';
import type { Finding } from './builtins.js';

/**
 * Compiles a CEL expression over `object` (the rendered manifest) that is true when the object
 * complies, as in Kubernetes ValidatingAdmissionPolicy. Parse errors throw at compile time, so a
 * bad rule fails before any object is looked at. At evaluation, false or an error (such as a
 * missing field: guard with `has()`) is a finding; a non-boolean result is a finding too. Messages
 * never contain field values, so Secret data cannot leak through them.
 */
export function compileCel(
  expression: string,
  opts: { field: string; message?: string },
): (o: KubeObject) => Finding[] {
  const program = celModule().parse(expression);
  return (o) => {
    let result: unknown;
    try {
      result = program({ object: o });
    } catch (e) {
      const why = e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
      return [{ field: opts.field, message: `rule could not be evaluated: ${why}` }];
    }
    if (result === true) return [];
    if (result !== false)
      return [{ field: opts.field, message: `rule returned ${typeof result}, not a boolean` }];
    return [{ field: opts.field, message: opts.message ?? `violates ${expression}` }];
  };
}
