// The only module that imports @tauri-apps/api (enforced by eslint.config.js).
export type * from './backend';
export { BackendError, toIpcError } from './backend';
export { BackendContext, useBackend } from './context';
export { tauriBackend } from './tauri';
export { createQueryClient } from './queryClient';
export { queryKeys } from './queryKeys';
export * from './queries';
