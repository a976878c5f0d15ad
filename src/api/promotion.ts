/**
 * Promotion pipelines (Kargo's idea, Git-native): stages declared once, each a set of
 * Applications and the one field of one file in Git that says what the stage runs (an image tag,
 * a chart version, a commit). A value verified in one stage (its apps Synced at a commit holding
 * it and Healthy, soaked, analysed, approved when asked) is written into the next stage's field by
 * a commit or a pull request that changes nothing else.
 */
import type { KubeObject } from '../kube/types.js';
import type { API_VERSION, Condition } from './application.js';
import type { PromotionRecordView } from './wire.js';

/** `promotion.gitfleet.dev/approve-<stage>: <revision>` approves promoting that revision into the stage. */
export const PROMOTE_APPROVE_PREFIX = 'promotion.gitfleet.dev/approve-';
/** Who approved (claimed by the writer of the annotation; recorded as unverified). */
export const PROMOTE_APPROVED_BY_PREFIX = 'promotion.gitfleet.dev/approved-by-';

export interface PipelineStage {
  name: string;
  /** The stage's Applications (this namespace): by name and/or by labels. */
  applications: { names?: string[]; selector?: { matchLabels?: Record<string, string> } };
  /** Repository-relative file holding the stage's revision (its overlay or values file). */
  file: string;
  /** Field path in it: `image.tag`, `images[name=app].newTag`, `data.version`. */
  field: string;
  /** How long the stage must stay verified before its revision moves on (`10m`). */
  soak?: string;
  /** Promotion into this stage waits for an approval (annotation or `gitfleet promote approve`). */
  approval?: boolean;
  /** Promotion into this stage is a pull request, not a direct commit. */
  pullRequest?: boolean;
  /** Name of an analysis the progressive-delivery hook runs before the revision moves on. */
  analysis?: string;
}

export type PromotionPhase =
  'Verifying' | 'Soaking' | 'Analysing' | 'WaitingApproval' | 'Promoting' | 'PullRequestOpen' | 'Failed';

/** One promotion that happened: the status records exactly what the API shows (wire.ts). */
export type PromotionRecord = PromotionRecordView;

/**
 * An approval given through the hub API (`POST …/stages/{stage}/approve`): written into the status
 * subresource by the hub, so its `by` is the authenticated principal, not a claim in an annotation.
 */
export interface PromotionApproval {
  stage: string;
  revision: string;
  by: string;
  at: string;
}

export interface Pipeline extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: 'Pipeline';
  spec: {
    git: {
      repoURL: string;
      /** Write credentials for this repository only. */
      secretRef?: { name: string };
      branch?: string;
      author: { name: string; email: string };
      /** `{{revision}}`, `{{from}}`, `{{to}}`, `{{pipeline}}`, `{{file}}`. */
      messageTemplate?: string;
      pullRequest?: {
        provider: 'gitea' | 'github' | 'gitlab';
        api: string;
        tokenSecretRef: { name: string };
        owner: string;
        repo: string;
        labels?: string[];
      };
    };
    stages: PipelineStage[];
    /** How often Git and the apps are looked at; default `30s`. */
    interval?: string;
    suspend?: boolean;
  };
  status?: {
    observedGeneration?: number;
    stages?: {
      name: string;
      /** The value the stage's field holds on the branch. */
      revision?: string;
      verified?: boolean;
      /** Since when `revision` has been verified (the soak clock). */
      verifiedSince?: string;
      message?: string;
    }[];
    /** The transition in flight: persisted before any write, so a restart resumes it, never repeats it. */
    promotion?: {
      from: string;
      to: string;
      revision: string;
      phase: PromotionPhase;
      message?: string;
      startedAt: string;
      pullRequest?: { number: number; url: string };
    };
    /** Newest first, at most 50. */
    history?: PromotionRecord[];
    /** Authenticated approvals, at most one per stage (the latest). */
    approvals?: PromotionApproval[];
    conditions?: Condition<'Ready'>[];
  };
}

// What GET /api/v1/pipelines answers is part of the hub API's wire contract (the web UI copies it).
export type { PipelineList, PipelineStageSummary, PipelineSummary } from './wire.js';
