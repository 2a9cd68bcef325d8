import { useEffect, useState } from 'react';

import { toIpcError, useBackend, type AppInfo, type IpcError } from './api';

/** Where the shell's one backend call stands. */
export type AppInfoState =
  | { status: 'loading' }
  | { status: 'ready'; info: AppInfo }
  | { status: 'error'; error: IpcError };

/** Asks the backend once for the engine version and database path. */
export function useAppInfo(): AppInfoState {
  const backend = useBackend();
  const [state, setState] = useState<AppInfoState>({ status: 'loading' });

  useEffect(() => {
    let current = true;
    backend.appInfo().then(
      (info) => {
        if (current) setState({ status: 'ready', info });
      },
      (reason: unknown) => {
        if (current) setState({ status: 'error', error: toIpcError(reason) });
      },
    );
    return () => {
      current = false;
    };
  }, [backend]);

  return state;
}
