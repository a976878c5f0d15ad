import type { KubeObject } from '../kube/types.js';
import type { API_VERSION, ApplicationSetConditionType, ApplicationSpec, Condition } from './application.js';

/** How an ApplicationSet treats the Applications it generated before. */
export type ApplicationsSyncPolicy = 'create-only' | 'create-update' | 'create-delete' | 'sync';

/**
 * Generators + a template → Applications, one per parameter set. Generator specs are validated
 * by src/fleet where they are used; here they are plain JSON.
 */
export interface ApplicationSet extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: 'ApplicationSet';
  spec: {
    generators: Record<string, unknown>[];
    template: {
      metadata: {
        name: string;
        /** Only the ApplicationSet's own namespace (or empty); another is refused. */
        namespace?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
        finalizers?: string[];
      };
      spec: ApplicationSpec;
    };
    /**
     * Argo CD's templatePatch (goTemplate only): a Go template rendering to YAML that is merged
     * over each rendered template (maps merge, lists replace, null deletes).
     */
    templatePatch?: string;
    /** Go text/template syntax (`{{.name}}`) instead of `{{name}}`. */
    goTemplate?: boolean;
    /** Only `missingkey=default|invalid|zero|error`; a missing key prints `<no value>` unless `error`. */
    goTemplateOptions?: string[];
    /**
     * Progressive roll-out of new Git revisions, step by step. Steps select Applications by their
     * labels (`matchExpressions`, Argo CD's shape) and/or their cluster's (`clusterSelector`).
     */
    strategy?: {
      type: 'RollingSync' | 'AllAtOnce';
      /** `Reverse`: Applications are deleted last step first (applicationset controller). */
      deletionOrder?: 'AllAtOnce' | 'Reverse';
      rollingSync: {
        steps: {
          matchExpressions?: {
            key: string;
            operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
            values?: string[];
          }[];
          clusterSelector?: {
            matchLabels?: Record<string, string>;
            matchExpressions?: {
              key: string;
              operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
              values?: string[];
            }[];
          };
          /** An integer or a percentage (`"25%"`, rounded down, at least 1 above 0%). */
          maxUpdate?: number | string;
          soakSeconds?: number;
          approval?: boolean;
        }[];
      };
    };
    syncPolicy?: {
      /** Default `sync`: create, update, and delete Applications no longer generated. */
      applicationsSync?: ApplicationsSyncPolicy;
      /** Deleting the ApplicationSet (or an Application it drops) leaves the deployed resources. */
      preserveResourcesOnDeletion?: boolean;
    };
    /** Fields of generated Applications left as they are (jsonPointers from the Application's root). */
    ignoreApplicationDifferences?: { name?: string; jsonPointers?: string[]; jqPathExpressions?: string[] }[];
    /** Annotation and label keys whose existing values on generated Applications are kept. */
    preservedFields?: { annotations?: string[]; labels?: string[] };
    /** Accepted as Argo CD means it: selectors of nested generators always apply. */
    applyNestedSelectors?: boolean;
  };
  status?: {
    conditions?: Condition<ApplicationSetConditionType>[];
    applications?: { name: string; created?: boolean; step?: number; revision?: string }[];
    rollout?: {
      revision: string;
      stableRevision: string;
      phase: 'Progressing' | 'WaitingApproval' | 'Paused' | 'Halted' | 'Completed';
      step: number;
      message: string;
      stepHealthySince?: string;
    };
    observedGeneration?: number;
  };
}

/** Label on every Application an ApplicationSet generated: the ApplicationSet's name. */
export const APPLICATIONSET_LABEL = 'gitfleet.dev/applicationset';
/** Annotation that pauses a roll-out (`"true"`); `gitfleet rollout pause|resume` set it. */
export const ROLLOUT_PAUSED_ANNOTATION = 'gitfleet.dev/rollout-paused';
/** Annotation holding the highest approved step index; `gitfleet rollout approve` raises it. */
export const ROLLOUT_APPROVED_ANNOTATION = 'gitfleet.dev/rollout-approved-step';
