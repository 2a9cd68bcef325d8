import { notifyManager, QueryClient } from '@tanstack/react-query';

// Answers reach the screens in the same turn as the backend's promise settles (as the effects
// they replace did), not a timer later: a local backend answers fast, and a screen should not
// show a half-updated state in between.
notifyManager.setScheduler(queueMicrotask);

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
