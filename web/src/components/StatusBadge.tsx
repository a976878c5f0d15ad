import type { ReactNode } from 'react';

/** The CSS tone of a sync or health state: one palette for the whole UI. */
export function tone(status: string | undefined): string {
  switch (status) {
    case 'Synced':
    case 'Healthy':
    case 'Succeeded':
    case 'Completed':
      return 'ok';
    case 'OutOfSync':
    case 'Suspended':
    case 'WaitingApproval':
    case 'Paused':
      return 'warn';
    case 'Degraded':
    case 'Failed':
    case 'Error':
    case 'Halted':
    case 'Missing':
      return 'bad';
    case 'Progressing':
    case 'Running':
      return 'busy';
    default:
      return 'unknown';
  }
}

/** A state as a coloured pill; `tone` overrides the colour for words outside the palette (Normal, Warning). */
export function StatusBadge(props: { status: string | undefined; title?: string; tone?: string }): ReactNode {
  const s = props.status ?? 'Unknown';
  return (
    <span className={`badge ${props.tone ?? tone(s)}`} title={props.title}>
      {s}
    </span>
  );
}
