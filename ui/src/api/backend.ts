/**
 * The one interface between the UI and the Rust side. Components receive a `Backend` (see
 * `BackendProvider`) and never call Tauri themselves, so every screen can be tested on a fake.
 */

/** What the app tells the shell about itself. Mirrors Rust `ipc::AppInfo` (camelCase). */
export interface AppInfo {
  /** Version of the consenttrail-engine crate, also written into evidence packs. */
  engineVersion: string;
  /** Absolute path of the SQLite database the app opened at start-up. */
  databasePath: string;
}

/** Fixed error codes. Mirrors Rust `ipc::IpcErrorCode` (snake_case on the wire). */
export type IpcErrorCode = 'database' | 'invalid_input' | 'not_found' | 'cancelled' | 'internal';

/** An error as it crosses IPC: a fixed code for the UI to branch on and a message for people. */
export interface IpcError {
  code: IpcErrorCode;
  message: string;
}

/**
 * A rejected backend call: an `Error` (so stack traces and lint rules work) that carries the
 * `IpcError` fields. Every `Backend` method rejects with one of these.
 */
export class BackendError extends Error implements IpcError {
  readonly code: IpcErrorCode;

  constructor(error: IpcError) {
    super(error.message);
    this.name = 'BackendError';
    this.code = error.code;
  }
}

/** Everything the UI may ask of the backend. */
export interface Backend {
  /** Engine version and database path, for the shell and the about box. Rejects with `BackendError`. */
  appInfo(): Promise<AppInfo>;
}

const CODES: readonly IpcErrorCode[] = ['database', 'invalid_input', 'not_found', 'cancelled', 'internal'];

function isIpcErrorCode(value: unknown): value is IpcErrorCode {
  return typeof value === 'string' && (CODES as readonly string[]).includes(value);
}

/**
 * Turns whatever a rejected backend call produced into an `IpcError`. Commands reject with the
 * `{code, message}` object; anything else (a bug, a transport failure) becomes `internal`.
 */
export function toIpcError(reason: unknown): IpcError {
  if (typeof reason === 'object' && reason !== null) {
    const { code, message } = reason as { code?: unknown; message?: unknown };
    if (isIpcErrorCode(code) && typeof message === 'string') {
      return { code, message };
    }
  }
  const message = reason instanceof Error ? reason.message : String(reason);
  return { code: 'internal', message };
}
