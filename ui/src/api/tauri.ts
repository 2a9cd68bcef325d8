import { invoke } from '@tauri-apps/api/core';

import { BackendError, toIpcError, type AppInfo, type Backend } from './backend';

/** Calls a Tauri command; its `{code, message}` rejection becomes a `BackendError`. */
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason: unknown) {
    throw new BackendError(toIpcError(reason));
  }
}

/** The real backend: the app's Tauri commands (src-tauri/ipc). */
export const tauriBackend: Backend = {
  appInfo: () => call<AppInfo>('app_info'),
};
