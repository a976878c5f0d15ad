// A recorded-contract server of GitLab's REST API v4, the subset gitfleet calls: merge requests
// (list with state/labels/source_branch/target_branch, get by iid, create), notes (list/create/
// edit) and commit statuses. Projects are addressed by id or URL-encoded full path; pagination by
// `page`/`per_page` (default 20, up to 100) with X-Page, X-Per-Page, X-Next-Page, X-Total headers;
// errors as GitLab answers them (`{"message": …}`, `{"error": …}`); only `PRIVATE-TOKEN` is accepted.
import { page, serve, type ContractServer, type Handler, type Reply } from './server.js';

export interface GitlabMr {
  id: number;
  iid: number;
  project_id: number;
  title: string;
  description: string;
  state: 'opened' | 'closed' | 'merged' | 'locked';
  source_branch: string;
  target_branch: string;
  sha: string;
  labels: string[];
  author: { username: string };
  web_url: string;
}

export interface GitlabContract extends ContractServer {
  /** Creates a project (full path `group/name`); returns its numeric id. */
  addProject(path: string): number;
  addMr(
    path: string,
    mr: {
      title: string;
      source: string;
      target: string;
      sha: string;
      labels?: string[];
      state?: GitlabMr['state'];
    },
  ): number;
  addNote(path: string, iid: number, body: string): void;
  notes(path: string, iid: number): { id: number; body: string }[];
  statuses(
    path: string,
    sha: string,
  ): { status: string; name: string; description: string; target_url: string | null }[];
  mrs(path: string): GitlabMr[];
}

interface Project {
  id: number;
  path: string;
  mrs: GitlabMr[];
  notes: Map<number, { id: number; body: string; system: boolean }[]>;
  statuses: Map<string, { status: string; name: string; description: string; target_url: string | null }[]>;
}

const STATUS_STATES = ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'];

export async function startGitlabContract(
  token: string,
  tls?: { cert: string; key: string },
): Promise<GitlabContract> {
  const projects: Project[] = [];
  let ids = 5000;
  const find = (idOrPath: string): Project | undefined =>
    projects.find((p) => String(p.id) === idOrPath || p.path === idOrPath);
  const need = (path: string): Project => {
    const p = find(path);
    if (!p) throw new Error(`no project ${path}`);
    return p;
  };
  const paged = (items: unknown[], q: URLSearchParams): Reply => {
    const p = page(items, q, 20);
    return {
      status: 200,
      body: p.slice,
      headers: {
        'x-page': String(p.page),
        'x-per-page': String(p.perPage),
        'x-next-page': p.page < p.last ? String(p.page + 1) : '',
        'x-prev-page': p.page > 1 ? String(p.page - 1) : '',
        'x-total': String(items.length),
        'x-total-pages': String(p.last),
      },
    };
  };
  const notFound = (what: string): Reply => ({ status: 404, body: { message: `404 ${what} Not Found` } });

  const handler: Handler = ({ method, segments: s, query, body, headers }) => {
    if (headers['private-token'] !== token) return { status: 401, body: { message: '401 Unauthorized' } };
    if (s[0] !== 'api' || s[1] !== 'v4' || s[2] !== 'projects' || !s[3])
      return { status: 404, body: { error: '404 Not Found' } };
    const project = find(s[3]);
    if (!project) return notFound('Project');
    const rest = s.slice(4);
    const b = (body ?? {}) as Record<string, unknown>;
    if (rest[0] === 'merge_requests' && rest.length === 1 && method === 'GET') {
      const state = query.get('state') ?? 'all';
      if (!['opened', 'closed', 'locked', 'merged', 'all'].includes(state))
        return { status: 400, body: { error: 'state does not have a valid value' } };
      const labels = (query.get('labels') ?? '').split(',').filter(Boolean);
      const src = query.get('source_branch');
      const dst = query.get('target_branch');
      return paged(
        project.mrs.filter(
          (m) =>
            (state === 'all' || m.state === state) &&
            labels.every((l) => m.labels.includes(l)) &&
            (!src || m.source_branch === src) &&
            (!dst || m.target_branch === dst),
        ),
        query,
      );
    }
    if (rest[0] === 'merge_requests' && rest.length === 2 && method === 'GET') {
      const m = project.mrs.find((x) => String(x.iid) === rest[1]);
      return m ? { status: 200, body: m } : notFound('Merge Request');
    }
    if (rest[0] === 'merge_requests' && rest.length === 1 && method === 'POST') {
      for (const f of ['source_branch', 'target_branch', 'title'])
        if (typeof b[f] !== 'string' || !b[f]) return { status: 400, body: { error: `${f} is missing` } };
      const dup = project.mrs.find(
        (m) =>
          m.state === 'opened' && m.source_branch === b.source_branch && m.target_branch === b.target_branch,
      );
      if (dup)
        return {
          status: 409,
          body: {
            message: [`Another open merge request already exists for this source branch: !${dup.iid}`],
          },
        };
      const iid = addMr(project.path, {
        title: String(b.title),
        source: String(b.source_branch),
        target: String(b.target_branch),
        sha: 'e'.repeat(40),
        labels: typeof b.labels === 'string' ? b.labels.split(',').filter(Boolean) : [],
      });
      const m = project.mrs.find((x) => x.iid === iid) as GitlabMr;
      m.description = typeof b.description === 'string' ? b.description : '';
      return { status: 201, body: m };
    }
    if (rest[0] === 'merge_requests' && rest[2] === 'notes') {
      const iid = Number(rest[1]);
      if (!project.mrs.some((m) => m.iid === iid)) return notFound('Merge Request');
      const list = project.notes.get(iid) ?? [];
      project.notes.set(iid, list);
      if (rest.length === 3 && method === 'GET') return paged(list, query);
      if (rest.length === 3 && method === 'POST') {
        if (typeof b.body !== 'string' || !b.body) return { status: 400, body: { error: 'body is missing' } };
        const n = { id: ids++, body: b.body, system: false };
        list.push(n);
        return { status: 201, body: n };
      }
      if (rest.length === 4 && method === 'PUT') {
        const n = list.find((x) => String(x.id) === rest[3]);
        if (!n) return notFound('Note');
        if (typeof b.body !== 'string' || !b.body) return { status: 400, body: { error: 'body is missing' } };
        n.body = b.body;
        return { status: 200, body: n };
      }
    }
    if (rest[0] === 'statuses' && rest.length === 2 && method === 'POST') {
      if (!STATUS_STATES.includes(String(b.state)))
        return { status: 400, body: { error: 'state does not have a valid value' } };
      const sha = rest[1] as string;
      const st = {
        status: String(b.state),
        name: typeof b.name === 'string' ? b.name : 'default',
        description: typeof b.description === 'string' ? b.description : '',
        target_url: typeof b.target_url === 'string' ? b.target_url : null,
      };
      project.statuses.set(sha, [...(project.statuses.get(sha) ?? []), st]);
      return { status: 201, body: { id: ids++, sha, ...st } };
    }
    return { status: 404, body: { error: '404 Not Found' } };
  };

  function addMr(path: string, mr: Parameters<GitlabContract['addMr']>[1]): number {
    const p = need(path);
    const iid = p.mrs.length + 1;
    p.mrs.push({
      id: ids++,
      iid,
      project_id: p.id,
      title: mr.title,
      description: '',
      state: mr.state ?? 'opened',
      source_branch: mr.source,
      target_branch: mr.target,
      sha: mr.sha,
      labels: mr.labels ?? [],
      author: { username: 'gitlab-user' },
      web_url: `https://gitlab.example.com/${p.path}/-/merge_requests/${iid}`,
    });
    return iid;
  }

  const server = await serve(handler, 'private-token', tls);
  return {
    ...server,
    addProject: (path) => {
      const id = projects.length + 1;
      projects.push({ id, path, mrs: [], notes: new Map(), statuses: new Map() });
      return id;
    },
    addMr,
    addNote: (path, iid, body) => {
      const p = need(path);
      p.notes.set(iid, [...(p.notes.get(iid) ?? []), { id: ids++, body, system: false }]);
    },
    notes: (path, iid) => need(path).notes.get(iid) ?? [],
    statuses: (path, sha) => need(path).statuses.get(sha) ?? [],
    mrs: (path) => need(path).mrs,
  };
}
