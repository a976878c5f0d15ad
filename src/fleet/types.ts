/**
 * One parameter set produced by a generator. With fasttemplate every value is a string and keys are
 * flat (`path.basename`); with goTemplate values may be nested maps and lists.
 */
export type Params = Record<string, unknown>;

/** A cluster as the generators see it: what the controller read from the Cluster resource. */
export interface ClusterInfo {
  name: string;
  server: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Kubernetes label selector; an empty selector matches everything. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** One `matchExpressions` entry. `In`/`NotIn` need values; `Exists`/`DoesNotExist` take none. */
export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** Reference to a key of a Secret in the ApplicationSet's namespace. */
export interface SecretKeyRef {
  secretName: string;
  key: string;
}

/** One pull-request filter: every regular expression given must match (search, not anchored). */
export interface PullRequestFilter {
  branchMatch?: string;
  targetBranchMatch?: string;
  titleMatch?: string;
}

/** Which open pull requests to list, and how to narrow them. Exactly one provider must be set. */
export interface PullRequestGeneratorSpec {
  /** `labels`: a pull request must carry every one (Argo CD's place for the label filter). */
  gitea?: {
    owner: string;
    repo: string;
    api: string;
    tokenRef?: SecretKeyRef;
    insecure?: boolean;
    labels?: string[];
  };
  github?: {
    owner: string;
    repo: string;
    api?: string;
    tokenRef?: SecretKeyRef;
    appSecretName?: string;
    labels?: string[];
  };
  gitlab?: {
    labels?: string[];
    project: string;
    api?: string;
    tokenRef?: SecretKeyRef;
    pullRequestState?: string;
    insecure?: boolean;
  };
  /** A pull request passes if it matches any one filter; no filters pass everything. */
  filters?: PullRequestFilter[];
  /** A pull request must carry every one of these labels (gitfleet's spelling; Argo's is per provider). */
  labels?: string[];
  /** Extra params `values.<k>`; each value is a template over the pull request's params. */
  values?: Record<string, string>;
  /** How often the controller should poll the provider; default 1800. Not used by `generate`. */
  requeueAfterSeconds?: number;
}

/** A pull request as a provider port returns it. */
export interface PullRequest {
  number: number;
  branch: string;
  targetBranch: string;
  headSha: string;
  title: string;
  labels: string[];
  author?: string;
}

/** The list generator: each element is one parameter set. */
export interface ListGeneratorSpec {
  elements?: Params[];
  /** Argo CD's `elementsYaml`: a YAML list of parameter sets (rendered with the matrix scope first). */
  elementsYaml?: string;
}

/** The clusters generator: one parameter set per registered cluster matching `selector`. */
export interface ClustersGeneratorSpec {
  selector?: LabelSelector;
  /** Extra params `values.<k>`; each value is a template over the cluster's params. */
  values?: Record<string, string>;
}

/** The git generator: set exactly one of `directories` and `files`. */
export interface GitGeneratorSpec {
  repoURL: string;
  /** Branch, tag or commit; default `HEAD`. */
  revision?: string;
  directories?: { path: string; exclude?: boolean }[];
  files?: { path: string; exclude?: boolean }[];
  /** Extra params `values.<k>`; each value is a template over the directory's or file's params. */
  values?: Record<string, string>;
  /** Puts the path params under `<prefix>.path…` so two git generators can share a matrix. */
  pathParamPrefix?: string;
}

/** The matrix generator: the cartesian product of exactly two child generators. */
export interface MatrixGeneratorSpec {
  generators: GeneratorSpec[];
}

/** The merge generator: the first child is the base; later children override matching sets. */
export interface MergeGeneratorSpec {
  mergeKeys: string[];
  generators: GeneratorSpec[];
}

/**
 * One generator: exactly one of the generator fields, plus an optional `selector` that filters the
 * parameter sets it produces (keys are flattened param names, e.g. `metadata.labels.env`).
 */
export interface GeneratorSpec {
  list?: ListGeneratorSpec;
  clusters?: ClustersGeneratorSpec;
  git?: GitGeneratorSpec;
  matrix?: MatrixGeneratorSpec;
  merge?: MergeGeneratorSpec;
  pullRequest?: PullRequestGeneratorSpec;
  selector?: LabelSelector;
}

/** Ports: the I/O the controller supplies. Unit tests use in-memory fakes. */
export interface FleetPorts {
  /** Every registered cluster; the generator applies selectors itself. */
  clusters(): Promise<ClusterInfo[]>;
  /** Directories (repo-relative, '/'-separated, no trailing slash) of a commit of repoURL@revision. */
  gitDirectories(repoURL: string, revision: string): Promise<string[]>;
  /**
   * Files (repo-relative path + UTF-8 content) matching a glob at repoURL@revision. The generator
   * re-checks every path with `matchGlob`, so a port may return a superset.
   */
  gitFiles(repoURL: string, revision: string, glob: string): Promise<{ path: string; content: string }[]>;
  /** Open pull requests of the one provider named in `spec`; filtering is the generator's job. */
  pullRequests(spec: PullRequestGeneratorSpec): Promise<PullRequest[]>;
}
