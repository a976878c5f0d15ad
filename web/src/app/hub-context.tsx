import { createContext, useContext } from 'react';
import type { HubClient } from '../api/client';
import type { ApplicationSummary } from '../api/types';

export type AppListener = (a: ApplicationSummary, deleted: boolean) => void;

/** What every page needs of the session: the client and the live Application changes. */
export interface Hub {
  client: HubClient;
  /** Calls `fn` for every Application change the event stream brings; returns the unsubscribe. */
  subscribe(fn: AppListener): () => void;
  /** Whether the event stream is open: pages show a "live" mark from it. */
  live: boolean;
}

export const HubContext = createContext<Hub | undefined>(undefined);

export function useHub(): Hub {
  const hub = useContext(HubContext);
  if (!hub) throw new Error('useHub outside a signed-in session');
  return hub;
}
