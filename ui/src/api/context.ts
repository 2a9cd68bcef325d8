import { createContext, useContext } from 'react';

import type { Backend } from './backend';

/** The backend the components talk to: Tauri in the app, a fake in tests. */
export const BackendContext = createContext<Backend | null>(null);

/** The backend provided by the nearest `BackendContext`; a missing provider is a programming error. */
export function useBackend(): Backend {
  const backend = useContext(BackendContext);
  if (backend === null) {
    throw new Error('useBackend() needs a <BackendContext value={...}> above it');
  }
  return backend;
}
