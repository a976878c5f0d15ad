import type { ReactNode } from 'react';

/** Shown while the hub does not answer: what the user sees is then the last known state. */
export function UnreachableBanner(): ReactNode {
  return (
    <div className="banner error" role="alert" data-testid="unreachable-banner">
      <strong>The hub is unreachable.</strong> What you see is the last known state; reconnecting
      automatically…
    </div>
  );
}
