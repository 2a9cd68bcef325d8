import { Channel, invoke } from '@tauri-apps/api/core';
import { getCurrentWebview } from '@tauri-apps/api/webview';
import { getCurrentWindow } from '@tauri-apps/api/window';
import { open, save } from '@tauri-apps/plugin-dialog';

import {
  BackendError,
  toIpcError,
  type AppInfo,
  type AuditLog,
  type AuditProgress,
  type AuditSummary,
  type DatabaseInfo,
  type Backend,
  type Decision,
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

/** Wraps a plugin call (the dialogs) so its failures are `BackendError`s too. */
async function plugin<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (reason: unknown) {
    throw new BackendError(toIpcError(reason));
  }
}

/** The real backend: the app's Tauri commands (src-tauri/ipc) and the native dialogs. */
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
  previewFiles: (paths) => call<FilePreview[]>('preview_files', { paths }),
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
  exportFindings: (filter, path) => call<FindingsExport>('export_findings', { filter, path }),

  makeSubjectPack: (subjectId, path, caseReference) =>
    call<PackResult>('make_subject_pack', { subjectId, path, caseReference }),
  makeOrganisationPack: (path, onProgress) => {
    const channel = new Channel<PackProgress>();
    channel.onmessage = onProgress;
    return call<PackResult>('make_organisation_pack', { path, onProgress: channel });
  },
  verifyPack: (path, onProgress) => {
    const channel = new Channel<PackProgress>();
    channel.onmessage = onProgress;
    return call<VerifyReport>('verify_pack', { path, onProgress: channel });
  },

  signingKey: () => call<SigningKey | null>('signing_key'),
  setSigningKey: (path, password) => call<SigningKey>('set_signing_key', { path, password }),
  clearSigningKey: () => call<undefined>('clear_signing_key'),

  listSources: () => call<SourceInfo[]>('list_sources'),
  sourceIssues: (sourceId) => call<SourceIssue[]>('source_issues', { sourceId }),
  removeSource: (sourceId) =>
    call<{ removed: number; events_removed: number }>('remove_source', { sourceId }),

  auditLog: () => call<AuditLog>('audit_log'),

  getProfile: () => call<Profile>('get_profile'),
  saveProfile: (profile) => call<{ events_rederived: number }>('save_profile', { profile }),
  previewProfileImport: (path) => call<ProfileImportPreview>('preview_profile_import', { path }),
  importProfile: (path, sha256) => call<{ events_rederived: number }>('import_profile', { path, sha256 }),
  exportProfile: (path) => call<{ path: string }>('export_profile', { path }),

  onFileDrop: (handler) =>
    plugin(() =>
      getCurrentWebview().onDragDropEvent((event) => {
        const payload = event.payload;
        if (payload.type === 'drop') handler({ type: 'drop', paths: payload.paths });
        else if (payload.type === 'leave') handler({ type: 'leave' });
        else handler({ type: 'over' });
      }),
    ),
  pickPaths: ({ folders, pdfOnly, certificate }) =>
    plugin(async () => {
      const picked = await open({
        multiple: true,
        directory: folders,
        ...(pdfOnly === true ? { filters: [{ name: 'Evidence pack (PDF)', extensions: ['pdf'] }] } : {}),
        ...(certificate === true
          ? { multiple: false, filters: [{ name: 'Certificate and key (PKCS#12)', extensions: ['p12', 'pfx'] }] }
          : {}),
      });
      if (picked === null) return null;
      return Array.isArray(picked) ? picked : [picked];
    }),
  pickSavePath: (defaultName) =>
    plugin(() => save({ defaultPath: defaultName, filters: [{ name: 'PDF', extensions: ['pdf'] }] })),
  pickExportPath: (defaultName) =>
    plugin(() =>
      save({
        defaultPath: defaultName,
        filters: [
          { name: 'Excel workbook', extensions: ['xlsx'] },
          { name: 'CSV', extensions: ['csv'] },
        ],
      }),
    ),
  pickProfileFile: () =>
    plugin(async () => {
      const picked = await open({ multiple: false, filters: [{ name: 'Profile (JSON)', extensions: ['json'] }] });
      return typeof picked === 'string' ? picked : null;
    }),
  pickProfileSavePath: (defaultName) =>
    plugin(() => save({ defaultPath: defaultName, filters: [{ name: 'Profile (JSON)', extensions: ['json'] }] })),
  onCloseRequested: (mayClose) =>
    plugin(() =>
      getCurrentWindow().onCloseRequested(async (event) => {
        if (!(await mayClose())) event.preventDefault();
      }),
    ),
  openPath: (path) => call<undefined>('open_pack', { path }),
  printWindow: () => call<undefined>('print_window'),
};
