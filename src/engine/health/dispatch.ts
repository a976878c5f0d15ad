import { groupOf } from '../../core/index.js';
import type { KubeObject } from '../../kube/types.js';
import { apiServiceHealth } from './apiservice.js';
import { applicationHealth } from './application.js';
import { certificateHealth, issuerHealth } from './cert-manager.js';
import { crdHealth } from './crd.js';
import { cronJobHealth } from './cronjob.js';
import { daemonSetHealth } from './daemonset.js';
import { deploymentHealth } from './deployment.js';
import { externalSecretsHealth } from './external-secrets.js';
import { canaryHealth } from './flagger.js';
import { genericHealth } from './generic.js';
import { gitfleetCanaryHealth } from './gitfleet-canary.js';
import { hpaHealth } from './hpa.js';
import { ingressHealth } from './ingress.js';
import { jobHealth } from './job.js';
import { podHealth } from './pod.js';
import { pvcHealth } from './pvc.js';
import { replicaSetHealth } from './replicaset.js';
import { analysisRunHealth, rolloutHealth } from './rollouts.js';
import { sealedSecretHealth } from './sealedsecret.js';
import { serviceHealth } from './service.js';
import { statefulSetHealth } from './statefulset.js';
import type { HealthAssessor } from './types.js';

/**
 * The key of a group and kind: `apps/Deployment`, or the bare kind for the core group (`Pod`),
 * the same form Argo CD uses for resource customizations. Versions are ignored on purpose:
 * autoscaling/v1 and v2 HPAs are the same resource.
 */
export function groupKindKey(group: string, kind: string): string {
  return group === '' ? kind : `${group}/${kind}`;
}

/** {@link groupKindKey} of an object, from its `apiVersion` and `kind`. */
export function groupKindOf(obj: KubeObject): string {
  return groupKindKey(groupOf(obj.apiVersion), obj.kind);
}

/** Built-in kinds with their own assessor. */
export const assessors: ReadonlyMap<string, HealthAssessor> = new Map<string, HealthAssessor>([
  ['apps/Deployment', deploymentHealth],
  ['apps/StatefulSet', statefulSetHealth],
  ['apps/DaemonSet', daemonSetHealth],
  ['apps/ReplicaSet', replicaSetHealth],
  ['Pod', podHealth],
  ['batch/Job', jobHealth],
  ['batch/CronJob', cronJobHealth],
  ['PersistentVolumeClaim', pvcHealth],
  ['Service', serviceHealth],
  ['networking.k8s.io/Ingress', ingressHealth],
  ['autoscaling/HorizontalPodAutoscaler', hpaHealth],
  ['apiextensions.k8s.io/CustomResourceDefinition', crdHealth],
  ['apiregistration.k8s.io/APIService', apiServiceHealth],
  // Kinds fleets run, read as their controllers report them (one file per project).
  ['bitnami.com/SealedSecret', sealedSecretHealth],
  ['external-secrets.io/ExternalSecret', externalSecretsHealth],
  ['external-secrets.io/ClusterExternalSecret', externalSecretsHealth],
  ['external-secrets.io/SecretStore', externalSecretsHealth],
  ['external-secrets.io/ClusterSecretStore', externalSecretsHealth],
  ['cert-manager.io/Certificate', certificateHealth],
  ['cert-manager.io/Issuer', issuerHealth],
  ['cert-manager.io/ClusterIssuer', issuerHealth],
  ['argoproj.io/Rollout', rolloutHealth],
  ['argoproj.io/AnalysisRun', analysisRunHealth],
  ['flagger.app/Canary', canaryHealth],
  ['gitfleet.dev/Canary', gitfleetCanaryHealth],
  // App-of-apps: a parent is Healthy only when its child Applications are.
  ['gitfleet.dev/Application', applicationHealth],
  ['argoproj.io/Application', applicationHealth],
]);

/**
 * Built-in kinds that have no health at all. Listed so the generic condition reader is never
 * applied to them: a Namespace or Node carries conditions that are not about the object being
 * ready to serve what Git declared.
 */
export const withoutHealth: ReadonlySet<string> = new Set([
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'Namespace',
  'Node',
  'Endpoints',
  'LimitRange',
  'ResourceQuota',
  'PersistentVolume',
  'discovery.k8s.io/EndpointSlice',
  'rbac.authorization.k8s.io/Role',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/RoleBinding',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'networking.k8s.io/NetworkPolicy',
  'networking.k8s.io/IngressClass',
  'policy/PodDisruptionBudget',
  'scheduling.k8s.io/PriorityClass',
  'storage.k8s.io/StorageClass',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
]);

/**
 * The assessor for a group/kind key: the built-in one, none for kinds in {@link withoutHealth},
 * and the generic condition reader for everything else (custom resources included).
 */
export function assessorFor(key: string): HealthAssessor | undefined {
  const builtIn = assessors.get(key);
  if (builtIn) return builtIn;
  if (withoutHealth.has(key)) return undefined;
  return genericHealth;
}
