import { GitfleetError } from '../core/errors.js';
import type { KubeStatus } from './types.js';

/**
 * A non-2xx answer from the Kubernetes API. Carries the HTTP status and the API's `reason`
 * (`NotFound`, `Forbidden`, `Conflict`, `Invalid`, …). 429, 5xx and timeouts are transient.
 */
export class KubeApiError extends GitfleetError {
  readonly status: number;
  readonly reason: string;
  readonly apiStatus: KubeStatus | undefined;

  constructor(what: string, status: number, apiStatus: KubeStatus | undefined) {
    const reason = apiStatus?.reason ?? `HTTP${status}`;
    super(`kube.${reason}`, `${what}: ${apiStatus?.message ?? `HTTP ${status}`}`, {
      transient: status === 429 || status >= 500 || reason === 'Timeout' || reason === 'ServerTimeout',
    });
    this.status = status;
    this.reason = reason;
    this.apiStatus = apiStatus;
  }
}

/** The cluster could not be reached at all (connection refused, TLS failure, reset). Transient. */
export class KubeConnectionError extends GitfleetError {
  constructor(server: string, cause: unknown) {
    super(
      'kube.Unreachable',
      `cannot reach ${server}: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
        transient: true,
      },
    );
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.status === 404;
export const isForbidden = (e: unknown): boolean => e instanceof KubeApiError && e.status === 403;
export const isConflict = (e: unknown): boolean => e instanceof KubeApiError && e.status === 409;
