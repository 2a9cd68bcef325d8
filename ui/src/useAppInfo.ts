import { toIpcError, useAppInfoQuery, type AppInfo, type IpcError } from './api';

/** Where the shell's one backend call stands. */
export type AppInfoState =
  | { status: 'loading' }
  | { status: 'ready'; info: AppInfo }
  | { status: 'error'; error: IpcError };

/** Asks the backend (once: the answer is cached) for the engine version and database path. */
export function useAppInfo(): AppInfoState {
  const query = useAppInfoQuery();
  if (query.status === 'error') return { status: 'error', error: toIpcError(query.error) };
  if (query.status === 'pending') return { status: 'loading' };
  return { status: 'ready', info: query.data };
}
