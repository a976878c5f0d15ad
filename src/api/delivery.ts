/**
 * Progressive delivery resources: AnalysisTemplate (metric checks, in the shape of Argo Rollouts'
 * AnalysisTemplate) and Canary (a canary or blue/green roll-out of one Deployment an Application
 * owns, in the spirit of Flagger's Canary). Both live in the workload cluster, next to the
 * Deployment, and usually come from Git with the Application itself.
 */
import type { KubeObject } from '../kube/types.js';
import type { API_VERSION } from './application.js';

/** A `{name, value}` argument; `value` may be left out in a template (then it must be given). */
export interface AnalysisArg {
  name: string;
  value?: string;
}

export interface PrometheusProvider {
  /** Base URL of the Prometheus HTTP API, e.g. http://prometheus.monitoring:9090. */
  address: string;
  /** PromQL with `{{args.name}}` placeholders. */
  query: string;
  /** Per-query timeout in seconds (default 10). */
  timeoutSeconds?: number;
}

export interface WebProvider {
  url: string;
  method?: 'GET' | 'POST';
  /** Plain header values only: a header holding a token belongs in a Secret, which this provider does not read. */
  headers?: { key: string; value: string }[];
  /** JSON body for POST, with `{{args.name}}` placeholders. */
  body?: string;
  /** Where the value is in the JSON answer: `$.data.ok`, `data.items[0].rate`; the whole answer when absent. */
  jsonPath?: string;
  timeoutSeconds?: number;
}

export interface JobProvider {
  /** Labels and annotations for the Job. */
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  /** A batch/v1 JobSpec; success of the measurement = the Job succeeded. */
  spec: Record<string, unknown>;
}

export interface AnalysisMetric {
  name: string;
  provider: { prometheus?: PrometheusProvider; web?: WebProvider; job?: JobProvider };
  /** CEL over `result` (the measured value): true means Successful. */
  successCondition?: string;
  /** CEL over `result`: true means Failed (checked first). */
  failureCondition?: string;
  /** Time between measurements (`30s`, `1m`); one measurement when absent. */
  interval?: string;
  /** Measurements to take (default 1). */
  count?: number;
  /** Failed measurements tolerated; one more fails the metric (default 0). */
  failureLimit?: number;
  /** Inconclusive measurements tolerated; one more makes the metric Inconclusive (default 0). */
  inconclusiveLimit?: number;
  /** Consecutive provider errors tolerated (default 4). */
  consecutiveErrorLimit?: number;
}

export interface AnalysisTemplate extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: 'AnalysisTemplate';
  spec: { args?: AnalysisArg[]; metrics: AnalysisMetric[] };
}

/** A reference to templates plus the arguments given to them. */
export interface AnalysisRef {
  templates: { templateName: string }[];
  args?: AnalysisArg[];
}

export interface CanaryStep {
  setWeight?: number;
  /** `{}` waits for a manual promote; `{duration: 30s}` waits that long. */
  pause?: { duration?: string };
  analysis?: AnalysisRef;
}

export interface Canary extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: 'Canary';
  spec: {
    /** The Deployment (as in Git) whose pod template is rolled out; it is kept at 0 replicas. */
    targetRef: { name: string };
    /** Replicas of the stable version (default 1). */
    replicas?: number;
    /** Port of the Services the controller creates (default 80) and the pods' port (default = port). */
    service?: { port?: number; targetPort?: number };
    /** Exactly one of canary or blueGreen. */
    strategy: {
      canary?: {
        steps: CanaryStep[];
        /** Gateway API: an HTTPRoute `<name>` is created with these parents and weighted backends. */
        trafficRouting?: {
          gatewayAPI?: {
            parentRefs: { name: string; namespace?: string }[];
            hostnames?: string[];
          };
        };
      };
      blueGreen?: {
        /** Service selecting the live version (default `<name>-active`). */
        activeService?: string;
        /** Service selecting the new version before the switch (default `<name>-preview`). */
        previewService?: string;
        prePromotionAnalysis?: AnalysisRef;
        /** Switch without a manual promote once analysis passed (default true). */
        autoPromotionEnabled?: boolean;
      };
    };
    /** Arguments every analysis of this Canary receives (after the built-in app, cluster, namespace, revision). */
    args?: AnalysisArg[];
  };
  status?: CanaryStatus;
}

export type Verdict = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

export interface Measurement {
  /** The measured value as text (a number, a list, `true`), cut to 256 characters. */
  value: string;
  verdict: Verdict;
  at: string;
  message?: string;
}

export interface MetricResult {
  /** `<template>/<metric>`. */
  name: string;
  phase: 'Running' | Verdict;
  /** The query or URL measured, with its arguments filled in. */
  query?: string;
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  errors: number;
  consecutiveErrors: number;
  /** The latest measurements (at most 10). */
  measurements: Measurement[];
  /** Job provider: the Job of the measurement in flight. */
  pendingJob?: string;
}

export interface AnalysisRunStatus {
  phase: 'Running' | 'Successful' | 'Failed' | 'Inconclusive' | 'Error';
  startedAt: string;
  message?: string;
  metrics: MetricResult[];
}

export type CanaryPhase =
  | 'Initializing'
  | 'Initialized'
  | 'Progressing'
  | 'Paused'
  | 'Promoting'
  | 'Succeeded'
  | 'Failed'
  | 'Aborted';

export interface CanaryStatus {
  phase: CanaryPhase;
  /** Which slot (Deployment `<name>-blue` or `<name>-green`) serves the stable version. */
  stableSlot?: 'blue' | 'green';
  /** Hash of the stable pod template and of the one being rolled out. */
  stableHash?: string;
  canaryHash?: string;
  /** Index into the steps of the step in progress (canary), or 0/1 for blue/green (analysis, switch). */
  currentStep: number;
  canaryWeight: number;
  /** When the current step started (pause durations count from here). */
  stepStartedAt?: string;
  /** A manual promote (or abort) asked and not yet acted on: its request id is kept to act once. */
  promoteRequested?: string;
  /** The last abort request acted on. */
  abortHandled?: string;
  /** The analysis of the current step, when it has one. */
  analysis?: AnalysisRunStatus;
  /** The last finished analysis (kept to show why a roll-out failed). */
  lastAnalysis?: AnalysisRunStatus;
  message?: string;
  /** Health as an Application shows it: Healthy, Progressing, Suspended or Degraded. */
  health: 'Healthy' | 'Progressing' | 'Suspended' | 'Degraded';
  observedGeneration?: number;
  /** Hashes promoted so far, newest last (at most 10): a promote is recorded once. */
  promotions?: string[];
}

/** Annotations a user (CLI, API) writes to ask for an action; the controller acts once per value. */
export const PROMOTE_ANNOTATION = 'gitfleet.dev/promote';
export const ABORT_ANNOTATION = 'gitfleet.dev/abort';
/** Label on the pods and selectors of each slot. */
export const SLOT_LABEL = 'gitfleet.dev/slot';
/** Field manager of everything the delivery controller writes. */
export const DELIVERY_FIELD_MANAGER = 'gitfleet-delivery';
