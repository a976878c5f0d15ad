// A recorded-contract server of GitHub's REST API (v3, 2022-11-28), the subset gitfleet calls:
// pulls (list/get/create with head `owner:branch` and base filters), issue labels, issue comments
// (list/create/edit) and commit statuses. Shapes, status codes, pagination (Link header, per_page
// up to 100, default 30) and error bodies (`message`, `documentation_url`, `errors`) follow
// docs.github.com/rest; only `Authorization: Bearer <token>` is accepted.
import { page, serve, type ContractServer, type Handler, type Reply } from './server.js';

export interface GithubPull {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  merged_at: string | null;
  head: { ref: string; sha: string; label: string };
  base: { ref: string; label: string };
  labels: { id: number; name: string }[];
  user: { login: string };
  html_url: string;
}

export interface GithubContract extends ContractServer {
  /** Adds a pull request as if a user opened it; returns its number. */
  addPull(
    owner: string,
    repo: string,
    p: {
      title: string;
      head: string;
      sha: string;
      base: string;
      labels?: string[];
      state?: 'open' | 'closed';
      merged?: boolean;
    },
  ): number;
  addComment(owner: string, repo: string, number: number, body: string): void;
  comments(owner: string, repo: string, number: number): { id: number; body: string }[];
  statuses(
    owner: string,
    repo: string,
    sha: string,
  ): { state: string; context: string; description: string; target_url: string | null }[];
  pulls(owner: string, repo: string): GithubPull[];
}

const DOCS = 'https://docs.github.com/rest';

interface Repo {
  pulls: GithubPull[];
  comments: Map<number, { id: number; body: string }[]>;
  statuses: Map<string, { state: string; context: string; description: string; target_url: string | null }[]>;
}

export async function startGithubContract(
  token: string,
  tls?: { cert: string; key: string },
): Promise<GithubContract> {
  const repos = new Map<string, Repo>();
  let ids = 1000;
  const repoOf = (o: string, r: string): Repo => {
    const k = `${o}/${r}`;
    let v = repos.get(k);
    if (!v) repos.set(k, (v = { pulls: [], comments: new Map(), statuses: new Map() }));
    return v;
  };
  let base = '';
  const err = (status: number, message: string, extra: Record<string, unknown> = {}): Reply => ({
    status,
    body: { message, documentation_url: DOCS, ...extra },
  });
  const paged = (items: unknown[], q: URLSearchParams, path: string): Reply => {
    const p = page(items, q, 30);
    const links: string[] = [];
    const at = (n: number): string => {
      const qq = new URLSearchParams(q);
      qq.set('page', String(n));
      qq.set('per_page', String(p.perPage));
      return `<${base}${path}?${qq.toString()}>`;
    };
    if (p.page < p.last) links.push(`${at(p.page + 1)}; rel="next"`, `${at(p.last)}; rel="last"`);
    if (p.page > 1) links.push(`${at(p.page - 1)}; rel="prev"`, `${at(1)}; rel="first"`);
    return { status: 200, body: p.slice, headers: links.length ? { link: links.join(', ') } : {} };
  };

  const handler: Handler = ({ method, segments: s, query, body, headers }) => {
    if (headers.authorization !== `Bearer ${token}`) return err(401, 'Bad credentials');
    if (s[0] !== 'repos' || !s[1] || !s[2]) return err(404, 'Not Found');
    const [owner, name] = [s[1], s[2]];
    const repo = repoOf(owner, name);
    const rest = s.slice(3);
    const path = `/${s.map(encodeURIComponent).join('/')}`;
    const b = (body ?? {}) as Record<string, unknown>;
    // GET /repos/{o}/{r}/pulls
    if (rest[0] === 'pulls' && rest.length === 1 && method === 'GET') {
      const state = query.get('state') ?? 'open';
      if (!['open', 'closed', 'all'].includes(state))
        return err(422, 'Validation Failed', { errors: [{ field: 'state', code: 'invalid' }] });
      const head = query.get('head');
      const baseRef = query.get('base');
      const list = repo.pulls.filter(
        (p) =>
          (state === 'all' || p.state === state) &&
          (!head || p.head.label === head) &&
          (!baseRef || p.base.ref === baseRef),
      );
      return paged(list, query, path);
    }
    if (rest[0] === 'pulls' && rest.length === 2 && method === 'GET') {
      const p = repo.pulls.find((x) => String(x.number) === rest[1]);
      return p ? { status: 200, body: p } : err(404, 'Not Found');
    }
    if (rest[0] === 'pulls' && rest.length === 1 && method === 'POST') {
      for (const f of ['title', 'head', 'base'])
        if (typeof b[f] !== 'string' || !b[f])
          return err(422, 'Validation Failed', {
            errors: [{ resource: 'PullRequest', field: f, code: 'missing_field' }],
          });
      const dup = repo.pulls.find(
        (p) => p.state === 'open' && p.head.ref === b.head && p.base.ref === b.base,
      );
      if (dup)
        return err(422, 'Validation Failed', {
          errors: [
            {
              resource: 'PullRequest',
              code: 'custom',
              message: `A pull request already exists for ${owner}:${String(b.head)}.`,
            },
          ],
        });
      const n = addPull(owner, name, {
        title: String(b.title),
        head: String(b.head),
        base: String(b.base),
        sha: 'f'.repeat(40),
      });
      const created = repo.pulls.find((p) => p.number === n) as GithubPull;
      created.body = typeof b.body === 'string' ? b.body : '';
      return { status: 201, body: created };
    }
    // POST /repos/{o}/{r}/issues/{n}/labels
    if (rest[0] === 'issues' && rest[2] === 'labels' && method === 'POST') {
      const p = repo.pulls.find((x) => String(x.number) === rest[1]);
      if (!p) return err(404, 'Not Found');
      for (const l of (b.labels as string[] | undefined) ?? [])
        if (!p.labels.some((x) => x.name === l)) p.labels.push({ id: ids++, name: l });
      return { status: 200, body: p.labels };
    }
    // /repos/{o}/{r}/issues/{n}/comments
    if (rest[0] === 'issues' && rest[2] === 'comments' && rest.length === 3) {
      const n = Number(rest[1]);
      if (!repo.pulls.some((p) => p.number === n)) return err(404, 'Not Found');
      const list = repo.comments.get(n) ?? [];
      repo.comments.set(n, list);
      if (method === 'GET') return paged(list, query, path);
      if (method === 'POST') {
        if (typeof b.body !== 'string')
          return err(422, 'Validation Failed', { errors: [{ field: 'body', code: 'missing_field' }] });
        const c = { id: ids++, body: b.body };
        list.push(c);
        return { status: 201, body: c };
      }
    }
    // PATCH /repos/{o}/{r}/issues/comments/{id}
    if (rest[0] === 'issues' && rest[1] === 'comments' && rest.length === 3 && method === 'PATCH') {
      for (const list of repo.comments.values()) {
        const c = list.find((x) => String(x.id) === rest[2]);
        if (c) {
          if (typeof b.body !== 'string') return err(422, 'Validation Failed');
          c.body = b.body;
          return { status: 200, body: c };
        }
      }
      return err(404, 'Not Found');
    }
    // POST /repos/{o}/{r}/statuses/{sha}
    if (rest[0] === 'statuses' && rest.length === 2 && method === 'POST') {
      if (!['error', 'failure', 'pending', 'success'].includes(String(b.state)))
        return err(422, 'Validation Failed', {
          errors: [{ resource: 'Status', field: 'state', code: 'invalid' }],
        });
      if (typeof b.description === 'string' && b.description.length > 140)
        return err(422, 'Validation Failed', {
          errors: [
            {
              resource: 'Status',
              field: 'description',
              code: 'custom',
              message: 'description is too long (maximum is 140 characters)',
            },
          ],
        });
      const sha = rest[1] as string;
      const st = {
        state: String(b.state),
        context: typeof b.context === 'string' ? b.context : 'default',
        description: typeof b.description === 'string' ? b.description : '',
        target_url: typeof b.target_url === 'string' ? b.target_url : null,
      };
      repo.statuses.set(sha, [...(repo.statuses.get(sha) ?? []), st]);
      return { status: 201, body: { id: ids++, ...st } };
    }
    return err(404, 'Not Found');
  };

  function addPull(owner: string, name: string, p: Parameters<GithubContract['addPull']>[2]): number {
    const repo = repoOf(owner, name);
    const number = repo.pulls.length + 1;
    repo.pulls.push({
      number,
      title: p.title,
      body: '',
      state: p.state ?? 'open',
      merged_at: p.merged ? '2026-01-01T00:00:00Z' : null,
      head: { ref: p.head, sha: p.sha, label: `${owner}:${p.head}` },
      base: { ref: p.base, label: `${owner}:${p.base}` },
      labels: (p.labels ?? []).map((l) => ({ id: ids++, name: l })),
      user: { login: 'octocat' },
      html_url: `https://github.com/${owner}/${name}/pull/${number}`,
    });
    return number;
  }

  const server = await serve(handler, 'authorization', tls);
  base = server.url;
  return {
    ...server,
    addPull,
    addComment: (o, r, n, body) => {
      const repo = repoOf(o, r);
      repo.comments.set(n, [...(repo.comments.get(n) ?? []), { id: ids++, body }]);
    },
    comments: (o, r, n) => repoOf(o, r).comments.get(n) ?? [],
    statuses: (o, r, sha) => repoOf(o, r).statuses.get(sha) ?? [],
    pulls: (o, r) => repoOf(o, r).pulls,
  };
}
