import { QueryClient } from '@tanstack/react-query';

/**
 * The cache settings for a desktop app over a local database: nothing changes behind the
 * window's back (every change goes through a mutation that invalidates what it touched), so
 * data stays fresh between screen switches, focus does not refetch, and a failed read is shown
 * at once with the backend's message instead of being retried.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 5 * 60_000,
        refetchOnWindowFocus: false,
        refetchOnReconnect: false,
        retry: false,
        // The Rust side answers whether or not the OS reports a network.
        networkMode: 'always',
      },
      mutations: {
        retry: false,
        networkMode: 'always',
      },
    },
  });
}
