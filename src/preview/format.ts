/** The preview as text for the terminal and as Markdown for a pull request comment. */
import type { AppPreview, PreviewReport } from './types.js';

/** GitHub refuses comments over 65,536 characters; leave room for the marker and the cut notice. */
const MAX_COMMENT = 60_000;

function header(a: AppPreview): string {
  const bits = [a.change === 'changed' ? '' : a.change];
  if (a.appSet) bits.push(`ApplicationSet ${a.appSet}`);
  if (a.rolloutStep) bits.push(`roll-out step ${a.rolloutStep.step} of ${a.rolloutStep.of}`);
  const extra = bits.filter(Boolean).join(', ');
  return `${a.app}${extra ? ` (${extra})` : ''}`;
}

function byCluster(r: PreviewReport): Map<string, AppPreview[]> {
  const m = new Map<string, AppPreview[]>();
  for (const a of r.apps) m.set(a.cluster, [...(m.get(a.cluster) ?? []), a]);
  return m;
}

export function previewText(r: PreviewReport): string {
  const out: string[] = [
    `preview of ${r.repoURL}: ${r.base.ref} (${r.base.sha.slice(0, 8)}) → ${r.head.ref} (${r.head.sha.slice(0, 8)})`,
  ];
  for (const [cluster, apps] of byCluster(r)) {
    out.push('', `cluster ${cluster || '(unknown)'}`);
    for (const a of apps) {
      out.push(`  ${header(a)}`);
      if (a.error) out.push(`    error: ${a.error}`);
      for (const o of a.objects) {
        out.push(`    ${o.action.padEnd(6)} ${o.ref}`);
        if (o.diff) out.push(...o.diff.split('\n').map((l) => `      ${l}`));
      }
      for (const p of a.policy)
        out.push(`    policy ${p.policy} (${p.mode}): ${p.object} ${p.field}: ${p.message}`);
    }
  }
  out.push(
    '',
    r.summary.line +
      (r.unchanged ? ` (${r.unchanged} app(s) of the repository unchanged, not rendered)` : ''),
  );
  return out.join('\n');
}

export function previewMarkdown(r: PreviewReport): string {
  const out: string[] = [
    '### gitfleet: fleet impact preview',
    '',
    `**${r.summary.line}**`,
    '',
    `\`${r.base.ref}\` (${r.base.sha.slice(0, 8)}) → \`${r.head.ref}\` (${r.head.sha.slice(0, 8)})` +
      (r.unchanged ? ` · ${r.unchanged} other app(s) of this repository unchanged` : ''),
  ];
  if (r.blocked) out.push('', ':no_entry: enforced policy findings: this change would fail to sync.');
  for (const [cluster, apps] of byCluster(r)) {
    out.push('', `#### cluster \`${cluster || '(unknown)'}\``);
    for (const a of apps) {
      const counts = (['create', 'change', 'delete'] as const)
        .map((k) => [k, a.objects.filter((o) => o.action === k).length] as const)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${n} ${k === 'create' ? 'created' : k === 'change' ? 'changed' : 'deleted'}`);
      out.push(`- **${header(a)}**${counts.length ? `: ${counts.join(', ')}` : ''}`);
      if (a.error) out.push(`  - :warning: ${a.error}`);
      for (const p of a.policy)
        out.push(`  - policy \`${p.policy}\` (${p.mode}): ${p.object} \`${p.field}\`: ${p.message}`);
      for (const o of a.objects) {
        if (!o.diff) {
          out.push(`  - ${o.action} \`${o.ref}\``);
          continue;
        }
        out.push(`  <details><summary>${o.action} <code>${o.ref}</code></summary>`, '', '  ```diff');
        out.push(
          ...o.diff
            .replace(/```/g, "'''")
            .split('\n')
            .map((l) => `  ${l}`),
        );
        out.push('  ```', '  </details>');
      }
    }
  }
  const text = out.join('\n');
  return text.length <= MAX_COMMENT
    ? text
    : `${text.slice(0, MAX_COMMENT)}\n\n… cut: the full preview is in \`gitfleet preview\` and the UI.`;
}
