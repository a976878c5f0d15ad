import type { ReactNode } from 'react';
import type { ResourceTree, TreeNode } from '../../api/types';
import { StatusBadge } from '../../components/StatusBadge';

/** The owned objects and what they own (Deployment → ReplicaSet → Pod), each with its state. */
export function ResourceTreeView(props: { tree: ResourceTree | undefined }): ReactNode {
  const t = props.tree;
  if (!t) return <p className="muted">Loading resources…</p>;
  return (
    <div data-testid="resource-tree">
      {t.message && <p className="notice small">{t.message}</p>}
      {t.nodes.length === 0 ? (
        <p className="muted">No resources recorded yet.</p>
      ) : (
        <ul className="tree">
          {t.nodes.map((n) => (
            <Node key={nodeKey(n)} node={n} />
          ))}
        </ul>
      )}
    </div>
  );
}

function Node(props: { node: TreeNode }): ReactNode {
  const n = props.node;
  return (
    <li>
      <div className="tree-node">
        <span className="kind">{n.kind}</span>
        <span className="name">{n.name}</span>
        {n.namespace && <span className="muted small">{n.namespace}</span>}
        {n.sync && <StatusBadge status={n.sync} />}
        {n.health && <StatusBadge status={n.health.status} title={n.health.message} />}
        {n.info?.map((i) => (
          <span key={i} className="muted small">
            {i}
          </span>
        ))}
      </div>
      {n.children.length > 0 && (
        <ul>
          {n.children.map((c) => (
            <Node key={nodeKey(c)} node={c} />
          ))}
        </ul>
      )}
    </li>
  );
}

const nodeKey = (n: TreeNode): string => `${n.group}/${n.kind}/${n.namespace ?? ''}/${n.name}`;
