import type { KubeObject } from '../kube/types.js';

/** Where a rendered object came from: a file relative to the repository root and a 1-based line. */
export interface Origin {
  file: string;
  line: number;
}

/** One rendered object with its origin, the unit every engine stage passes along. */
export interface Manifest {
  object: KubeObject;
  origin: Origin;
}
