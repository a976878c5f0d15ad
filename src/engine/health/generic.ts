import type { KubeObject } from '../../kube/types.js';
import { conditions, num, type Condition } from './read.js';
import type { HealthResult } from './types.js';

/**
 * `Ready=False` reasons that say "not yet" rather than "broken". Flux, Crossplane and many
 * kubebuilder operators report Ready=False while they work or wait on a dependency.
 */
const progressingReasons = new Set([
  'Progressing',
  'Reconciling',
  'InProgress',
  'DependencyNotReady',
  'Creating',
]);

function conditionText(c: Condition): string {
  return `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`;
}

/**
 * Health from standard `status.conditions`, for kinds without their own assessor (custom
 * resources). Rules in the spirit of kstatus, first match wins:
 * 1. no conditions at all: `undefined` (no health; never guessed Healthy);
 * 2. `status.observedGeneration` (or the Ready condition's) below `metadata.generation`: Progressing,
 *    because the conditions describe an older spec;
 * 3. `Reconciling=True`: Progressing; 4. `Stalled=True`: Degraded, and so is Crossplane's
 *    `Synced=False` (the provider could not reconcile the external resource: ReconcileError);
 * 5. `Ready=True`: Healthy; `Ready=Unknown`: Progressing; `Ready=False`: Degraded when the
 *    observed generation (from status, else from the Ready condition) equals `metadata.generation`,
 *    Progressing when it cannot be confirmed or the reason says "still working"
 *    (see `progressingReasons`);
 * 6. conditions, but none of these: `undefined`, since an unknown condition type says nothing
 *    about health.
 */
export function genericHealth(obj: KubeObject): HealthResult | undefined {
  const all = conditions(obj);
  if (all.length === 0) return undefined;
  const find = (type: string): Condition | undefined => all.find((c) => c.type === type);
  const ready = find('Ready');

  const generation = num(obj, 'metadata', 'generation');
  const observed = num(obj, 'status', 'observedGeneration') ?? ready?.observedGeneration;
  if (generation !== undefined && observed !== undefined && observed < generation) {
    return {
      status: 'Progressing',
      message: `${obj.kind}: waiting for generation ${generation} to be observed (observed ${observed})`,
    };
  }

  const reconciling = find('Reconciling');
  if (reconciling?.status === 'True') return { status: 'Progressing', message: conditionText(reconciling) };
  const stalled = find('Stalled');
  if (stalled?.status === 'True') return { status: 'Degraded', message: conditionText(stalled) };
  const synced = find('Synced');
  if (synced?.status === 'False') return { status: 'Degraded', message: conditionText(synced) };

  if (ready === undefined) return undefined;
  switch (ready.status) {
    case 'True':
      return ready.message ? { status: 'Healthy', message: ready.message } : { status: 'Healthy' };
    case 'False':
      // Only a verdict on the current spec is a failure; without proof the controller has seen
      // this generation, Ready=False may be about to clear.
      if (ready.reason !== undefined && progressingReasons.has(ready.reason)) {
        return { status: 'Progressing', message: conditionText(ready) };
      }
      if (generation !== undefined && observed === generation) {
        return { status: 'Degraded', message: conditionText(ready) };
      }
      return { status: 'Progressing', message: conditionText(ready) };
    default:
      return { status: 'Progressing', message: conditionText(ready) };
  }
}
