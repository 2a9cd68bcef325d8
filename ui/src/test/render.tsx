import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';

import { BackendContext, createQueryClient, type Backend } from '../api';

/** A query client for one test: the app's settings (no retries), nothing shared with other tests. */
export function createTestQueryClient(): QueryClient {
  return createQueryClient();
}

/**
 * What `main.tsx` puts around the app, for a component test: the backend (a fake) and a fresh
 * query client per mounted tree (a `rerender` keeps it; `client` shares one deliberately).
 */
export function TestBackend({ value, client, children }: { value: Backend; client?: QueryClient; children: ReactNode }) {
  const [own] = useState(createTestQueryClient);
  return (
    <QueryClientProvider client={client ?? own}>
      <BackendContext value={value}>{children}</BackendContext>
    </QueryClientProvider>
  );
}
