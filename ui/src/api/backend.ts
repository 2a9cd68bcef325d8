/**
 * The one interface between the UI and the Rust side. Components receive a `Backend` (see
 * `BackendContext`) and never call Tauri themselves, so every screen can be tested on a fake.
 *
 * Field names are snake_case on the wire: the payloads are the engine's own types, serialised
 * the same way as the CLI's `--json` output (SPEC §9). Instants are RFC 3339 UTC strings unless
 * a field name ends in `_ms` (milliseconds since the epoch, UTC).
 *
 * The payload types are generated from the Rust types by ts-rs into `./generated` (a Rust test
 * fails when those files are not current; see src-tauri/ipc/generated_types.rs) and re-exported
 * here under the names the screens use. Only UI-side types are written by hand.
 */

import type { Activity as ProfileActivity } from './generated/Activity';
import type { AppInfo } from './generated/AppInfo';
import type { AuditEntry as AuditLogEntry } from './generated/AuditEntry';
import type { AuditLogView as AuditLog } from './generated/AuditLogView';
import type { AuditProgress } from './generated/AuditProgress';
import type { AuditSummary } from './generated/AuditSummary';
import type { BrokenLink } from './generated/BrokenLink';
import type { ChainReport } from './generated/ChainReport';
import type { Chosen as ChosenFile } from './generated/Chosen';
import type { CollectionPoint as ProfileCollectionPoint } from './generated/CollectionPoint';
import type { ColumnMapping } from './generated/ColumnMapping';
import type { ConsentState as ConsentStateName } from './generated/ConsentState';
import type { Count } from './generated/Count';
import type { DatabaseInfo } from './generated/DatabaseInfo';
import type { DateOrder } from './generated/DateOrder';
import type { Decision } from './generated/Decision';
import type { DecisionRecord } from './generated/DecisionRecord';
import type { Difference as VerifyDifference } from './generated/Difference';
import type { DropEvent as FileDropEvent } from './generated/DropEvent';
import type { EventSource } from './generated/EventSource';
import type { ExportState } from './generated/ExportState';
import type { FilePreview } from './generated/FilePreview';
import type { FileReport } from './generated/FileReport';
import type { FindingBreakdown } from './generated/FindingBreakdown';
import type { FindingFilter } from './generated/FindingFilter';
import type { FindingPage } from './generated/FindingPage';
import type { FindingView as Finding } from './generated/FindingView';
import type { FindingsExport } from './generated/FindingsExport';
import type { IdentifierView as Identifier } from './generated/IdentifierView';
import type { ImportCatalog } from './generated/ImportCatalog';
import type { ImportIssue as SourceIssue } from './generated/ImportIssue';
import type { ImportProgress } from './generated/ImportProgress';
import type { ImportReport } from './generated/ImportReport';
import type { ImportRequest } from './generated/ImportRequest';
import type { IpcError } from './generated/IpcError';
import type { IpcErrorCode } from './generated/IpcErrorCode';
import type { Issue as ImportIssue } from './generated/Issue';
import type { Notice as ProfileNotice } from './generated/Notice';
import type { PackProgress } from './generated/PackProgress';
import type { PackResult } from './generated/PackResult';
import type { PartialStatement } from './generated/PartialStatement';
import type { Policy as ProfilePolicy } from './generated/Policy';
import type { Profile } from './generated/Profile';
import type { ProfileExported } from './generated/ProfileExported';
import type { ProfileImportPreview } from './generated/ProfileImportPreview';
import type { ProfileSaved } from './generated/ProfileSaved';
import type { Purpose as ProfilePurpose } from './generated/Purpose';
import type { PurposeBars } from './generated/PurposeBars';
import type { Recipient } from './generated/Recipient';
import type { RecordedAttribute } from './generated/RecordedAttribute';
import type { RecordedName } from './generated/RecordedName';
import type { Removed } from './generated/Removed';
import type { Severity } from './generated/Severity';
import type { SigningKey } from './generated/SigningKey';
import type { SourceInfo } from './generated/SourceInfo';
import type { SourceRef } from './generated/SourceRef';
import type { StateSegment } from './generated/StateSegment';
import type { SubjectPage } from './generated/SubjectPage';
import type { SubjectQuery } from './generated/SubjectQuery';
import type { SubjectSort } from './generated/SubjectSort';
import type { SubjectSummary } from './generated/SubjectSummary';
import type { SubjectTimeline } from './generated/SubjectTimeline';
import type { SystemInfo } from './generated/SystemInfo';
import type { ThirdParty as ProfileThirdParty } from './generated/ThirdParty';
import type { TimelineEvent } from './generated/TimelineEvent';
import type { VerifyReport } from './generated/VerifyReport';

export type { AppInfo, DatabaseInfo, IpcErrorCode, IpcError };

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

// ---- Import -------------------------------------------------------------------------------------

export type {
  SystemInfo,
  ImportCatalog,
  FilePreview,
  DateOrder,
  ChosenFile,
  ImportRequest,
  ImportProgress,
  ImportIssue,
  FileReport,
  ImportReport,
  ColumnMapping,
};

// ---- Subjects and timelines ---------------------------------------------------------------------

export type {
  Identifier,
  SubjectSort,
  SubjectQuery,
  SubjectSummary,
  RecordedName,
  SubjectPage,
  Recipient,
  SourceRef,
  TimelineEvent,
  PartialStatement,
  ConsentStateName,
  StateSegment,
  ExportState,
  PurposeBars,
  RecordedAttribute,
};

/** What an auditor can decide. */
export type DecisionStatus = 'accepted' | 'false-positive' | 'remediated';

/**
 * A finding's decision status as shown: a decision, or `reopened` when it was remediated and
 * has occurred again after the occurrences the decision saw (SPEC §4.1).
 */
export type DecisionState = DecisionStatus | 'reopened';

export type { DecisionRecord, Decision, Severity, Finding, SubjectTimeline, EventSource };

// ---- Findings -----------------------------------------------------------------------------------

export type { FindingFilter, FindingPage, Count, FindingBreakdown, AuditProgress, AuditSummary };

// ---- Evidence -----------------------------------------------------------------------------------

export type { PackProgress, SigningKey, PackResult, FindingsExport, VerifyDifference, VerifyReport };

// ---- Sources ------------------------------------------------------------------------------------

export type { SourceInfo, SourceIssue, Removed };

// ---- Audit log ----------------------------------------------------------------------------------

export type { AuditLogEntry, BrokenLink, ChainReport, AuditLog };

// ---- Profile ------------------------------------------------------------------------------------

export type {
  ProfilePurpose,
  ProfileNotice,
  ProfileThirdParty,
  ProfileCollectionPoint,
  ProfileActivity,
  ProfileImportPreview,
  ProfilePolicy,
  Profile,
  ProfileSaved,
  ProfileExported,
};

// ---- The interface ------------------------------------------------------------------------------

/** Everything the UI may ask of the backend. Every method rejects with a `BackendError`. */
export interface Backend {
  /** Engine version and database path, for the shell. */
  appInfo(): Promise<AppInfo>;
  /** Which database is open, and whether it is the sample-data one. */
  databaseInfo(): Promise<DatabaseInfo>;
  /**
   * Switches to a fresh demo database (never the user's) and imports the fictional sample
   * exports into it, with an import's progress.
   */
  openSampleData(onProgress: (progress: ImportProgress) => void): Promise<ImportReport>;
  /** Switches back to the user's own database. */
  leaveSampleData(): Promise<DatabaseInfo>;

  // Import
  importCatalog(): Promise<ImportCatalog>;
  /** Reads the head of each dropped or picked file (by token; folders and ZIPs expanded); writes nothing. */
  previewFiles(tokens: string[]): Promise<FilePreview[]>;
  /**
   * Imports, then re-runs the audit so findings match the data; `onProgress` is called as rows
   * are read. Rejects with `cancelled` when cancelled (the file in progress is rolled back;
   * files finished before stay imported).
   */
  importFiles(request: ImportRequest, onProgress: (progress: ImportProgress) => void): Promise<ImportReport>;
  /** Asks the running import to stop; the file in progress is rolled back. */
  cancelImport(): Promise<void>;
  /** Saves a column mapping for a CSV header, so files with that header import with it. */
  saveMapping(header: string[], mapping: ColumnMapping): Promise<void>;

  // Subjects and timelines
  listSubjects(query: SubjectQuery): Promise<SubjectPage>;
  subjectTimeline(subjectId: number): Promise<SubjectTimeline>;
  eventSource(eventId: number): Promise<EventSource>;

  // Findings
  /** Runs every rule over the database; `onProgress` gets subjects checked so far. */
  runAudit(onProgress: (progress: AuditProgress) => void): Promise<AuditSummary>;
  findingsPage(filter: FindingFilter, limit: number, offset: number): Promise<FindingPage>;
  findingsBreakdown(filter: FindingFilter): Promise<FindingBreakdown>;
  decideFinding(findingId: string, status: DecisionStatus, note: string, by: string | null): Promise<Decision>;
  /**
   * One decision with one note on several findings: all of them (with their audit-log entries)
   * in one transaction, or none. The decisions come back in the order of `findingIds`.
   */
  decideFindings(findingIds: string[], status: DecisionStatus, note: string, by: string | null): Promise<Decision[]>;
  /** Writes every finding under `filter` to the file `pickExportPath` chose (its token; .csv or .xlsx). */
  exportFindings(filter: FindingFilter, token: string): Promise<FindingsExport>;

  // Evidence
  /** Writes a subject's pack to the file `pickSavePath` chose (its token). */
  makeSubjectPack(subjectId: number, token: string, caseReference: string | null): Promise<PackResult>;
  /** Writes the organisation pack (it re-runs the audit) to the chosen file; `onProgress` gets its steps. */
  makeOrganisationPack(token: string, onProgress: (progress: PackProgress) => void): Promise<PackResult>;
  /** Checks a pack (dropped, picked or just saved; its token) against its seal and this database. */
  verifyPack(token: string, onProgress: (progress: PackProgress) => void): Promise<VerifyReport>;
  /** The organisation certificate chosen for this session; null: the database's own key signs. */
  signingKey(): Promise<SigningKey | null>;
  /** Chooses a PKCS#12 (.p12/.pfx) file and its password for this session's packs (kept in memory only). */
  setSigningKey(token: string, password: string): Promise<SigningKey>;
  /** Goes back to signing with the database's own key. */
  clearSigningKey(): Promise<void>;

  // Sources
  listSources(): Promise<SourceInfo[]>;
  sourceIssues(sourceId: number): Promise<SourceIssue[]>;
  removeSource(sourceId: number): Promise<Removed>;

  // Profile
  getProfile(): Promise<Profile>;
  /** Saves the profile; stored events are re-derived. Rejects with `invalid_input` naming the JSON path. */
  saveProfile(profile: Profile): Promise<ProfileSaved>;
  /** Reads and validates a profile file (errors name the file and JSON path); writes nothing. */
  previewProfileImport(token: string): Promise<ProfileImportPreview>;
  /** Imports the previewed file as the CLI's `profile import` does; refused if it changed since. */
  importProfile(token: string, sha256: string): Promise<ProfileSaved>;
  /** Writes the saved profile to the chosen file (its token) as the CLI's `profile export` prints it. */
  exportProfile(token: string): Promise<ProfileExported>;

  // Audit log
  /** Every entry of the audit log, oldest first, and whether its hash chain holds. */
  auditLog(): Promise<AuditLog>;

  // The desktop around the window
  /** Native file drops on the window (the files as tokens); returns a function that stops listening. */
  onFileDrop(handler: (event: FileDropEvent) => void): Promise<() => void>;
  /** Native open dialog, run by the Rust side; null when cancelled. */
  pickPaths(options: { folders: boolean; pdfOnly?: boolean; certificate?: boolean }): Promise<ChosenFile[] | null>;
  /** Native save dialog for a pack (PDF); the token is bound to the chosen path; null when cancelled. */
  pickSavePath(defaultName: string): Promise<ChosenFile | null>;
  /** Native save dialog for a spreadsheet export (XLSX or CSV); null when cancelled. */
  pickExportPath(defaultName: string): Promise<ChosenFile | null>;
  /** Native open dialog for a profile document (JSON); null when cancelled. */
  pickProfileFile(): Promise<ChosenFile | null>;
  /** Native save dialog for a profile document (JSON); null when cancelled. */
  pickProfileSavePath(defaultName: string): Promise<ChosenFile | null>;
  /**
   * While listening, closing the window first asks `mayClose`; the window closes when it
   * resolves true. Returns a function that stops listening.
   */
  onCloseRequested(mayClose: () => Promise<boolean>): Promise<() => void>;
  /** Opens a pack (just saved, dropped or picked; its token) in the system's viewer. */
  openPath(token: string): Promise<void>;
  /** The platform's print dialog for the window; the screen's print stylesheet applies. */
  printWindow(): Promise<void>;
}

export type { FileDropEvent };

const CODES: readonly IpcErrorCode[] = ['database', 'invalid_input', 'not_found', 'cancelled', 'internal', 'forbidden_path'];

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
