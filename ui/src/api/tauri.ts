import { Channel, invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { getCurrentWindow } from '@tauri-apps/api/window';

import {
  BackendError,
  toIpcError,
  type AppInfo,
  type AuditLog,
  type AuditProgress,
  type AuditSummary,
  type DatabaseInfo,
  type ChosenFile,
  type Backend,
  type Decision,
  type FileDropEvent,
  type EventSource,
  type FilePreview,
  type FindingBreakdown,
  type FindingPage,
  type FindingsExport,
  type ImportCatalog,
  type ImportProgress,
  type ImportReport,
  type PackProgress,
  type PackResult,
  type SigningKey,
  type Profile,
  type ProfileImportPreview,
  type SourceInfo,
  type SourceIssue,
  type SubjectPage,
  type SubjectTimeline,
  type VerifyReport,
} from './backend';

/** Calls a Tauri command; its `{code, message}` rejection becomes a `BackendError`. */
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason: unknown) {
    throw new BackendError(toIpcError(reason));
  }
}

/** Wraps a plugin call (events, the window) so its failures are `BackendError`s too. */
async function plugin<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (reason: unknown) {
    throw new BackendError(toIpcError(reason));
  }
}

/**
 * The real backend: the app's Tauri commands (src-tauri/ipc). Files are named by the tokens the
 * Rust side issues for drops and for the native dialogs it runs (`choose_files`, `choose_save_path`).
 */
export const tauriBackend: Backend = {
  appInfo: () => call<AppInfo>('app_info'),
  databaseInfo: () => call<DatabaseInfo>('database_info'),
  openSampleData: (onProgress) => {
    const channel = new Channel<ImportProgress>();
    channel.onmessage = onProgress;
    return call<ImportReport>('open_sample_data', { onProgress: channel });
  },
  leaveSampleData: () => call<DatabaseInfo>('leave_sample_data'),

  importCatalog: () => call<ImportCatalog>('import_catalog'),
  previewFiles: (tokens) => call<FilePreview[]>('preview_files', { tokens }),
  importFiles: (request, onProgress) => {
    const channel = new Channel<ImportProgress>();
    channel.onmessage = onProgress;
    return call<ImportReport>('import_files', { request, onProgress: channel });
  },
  cancelImport: () => call<undefined>('cancel_import'),
  saveMapping: (header, mapping) => call<undefined>('save_mapping', { header, mapping }),

  listSubjects: (query) => call<SubjectPage>('list_subjects', { query }),
  subjectTimeline: (subjectId) => call<SubjectTimeline>('subject_timeline', { subjectId }),
  eventSource: (eventId) => call<EventSource>('event_source', { eventId }),

  runAudit: (onProgress) => {
    const channel = new Channel<AuditProgress>();
    channel.onmessage = onProgress;
    return call<AuditSummary>('run_audit', { onProgress: channel });
  },
  findingsPage: (filter, limit, offset) => call<FindingPage>('findings_page', { filter, limit, offset }),
  findingsBreakdown: (filter) => call<FindingBreakdown>('findings_breakdown', { filter }),
  decideFinding: (findingId, status, note, by) =>
    call<Decision>('decide_finding', { findingId, status, note, by }),
  decideFindings: (findingIds, status, note, by) =>
    call<Decision[]>('decide_findings', { findingIds, status, note, by }),
  exportFindings: (filter, token) => call<FindingsExport>('export_findings', { filter, token }),

  makeSubjectPack: (subjectId, token, caseReference) =>
    call<PackResult>('make_subject_pack', { subjectId, token, caseReference }),
  makeOrganisationPack: (token, onProgress) => {
    const channel = new Channel<PackProgress>();
    channel.onmessage = onProgress;
    return call<PackResult>('make_organisation_pack', { token, onProgress: channel });
  },
  verifyPack: (token, onProgress) => {
    const channel = new Channel<PackProgress>();
    channel.onmessage = onProgress;
    return call<VerifyReport>('verify_pack', { token, onProgress: channel });
  },

  signingKey: () => call<SigningKey | null>('signing_key'),
  setSigningKey: (token, password) => call<SigningKey>('set_signing_key', { token, password }),
  clearSigningKey: () => call<undefined>('clear_signing_key'),

  listSources: () => call<SourceInfo[]>('list_sources'),
  sourceIssues: (sourceId) => call<SourceIssue[]>('source_issues', { sourceId }),
  removeSource: (sourceId) =>
    call<{ removed: number; events_removed: number }>('remove_source', { sourceId }),

  auditLog: () => call<AuditLog>('audit_log'),

  getProfile: () => call<Profile>('get_profile'),
  saveProfile: (profile) => call<{ events_rederived: number }>('save_profile', { profile }),
  previewProfileImport: (token) => call<ProfileImportPreview>('preview_profile_import', { token }),
  importProfile: (token, sha256) => call<{ events_rederived: number }>('import_profile', { token, sha256 }),
  exportProfile: (token) => call<{ path: string }>('export_profile', { token }),

  // The Rust side registers dropped paths and sends tokens (`ipc::paths::FILE_DROP_EVENT`).
  onFileDrop: (handler) =>
    plugin(() =>
      listen<FileDropEvent>('file-drop', (event) => {
        handler(event.payload);
      }),
    ),
  pickPaths: ({ folders, pdfOnly, certificate }) =>
    call<ChosenFile[] | null>('choose_files', {
      kind: certificate === true ? 'certificate' : pdfOnly === true ? 'pack' : folders ? 'import_folder' : 'import',
    }),
  pickSavePath: (defaultName) => call<ChosenFile | null>('choose_save_path', { kind: 'pack', defaultName }),
  pickExportPath: (defaultName) => call<ChosenFile | null>('choose_save_path', { kind: 'findings', defaultName }),
  pickProfileFile: async () => {
    const picked = await call<ChosenFile[] | null>('choose_files', { kind: 'profile' });
    return picked?.[0] ?? null;
  },
  pickProfileSavePath: (defaultName) => call<ChosenFile | null>('choose_save_path', { kind: 'profile', defaultName }),
  onCloseRequested: (mayClose) =>
    plugin(() =>
      getCurrentWindow().onCloseRequested(async (event) => {
        if (!(await mayClose())) event.preventDefault();
      }),
    ),
  openPath: (token) => call<undefined>('open_pack', { token }),
  printWindow: () => call<undefined>('print_window'),
};
