// The only module that imports @tauri-apps/api (enforced by eslint.config.js).
export type { AppInfo, Backend, IpcError, IpcErrorCode } from './backend';
export { BackendError, toIpcError } from './backend';
export { BackendContext, useBackend } from './context';
export { tauriBackend } from './tauri';
