export type {
  CommitStatus,
  GitHost,
  GitHostConfig,
  GitHostProvider,
  HostPullRequest,
  ListPullRequestsOptions,
  NewPullRequest,
  RepoRef,
} from './port.js';
export {
  gitHost,
  gitHostFromSpec,
  kubeSecrets,
  type GitHostSpec,
  type SecretKeyRef,
  type SecretReader,
} from './factory.js';
export { GitHostError } from './http.js';
