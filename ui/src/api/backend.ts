/**
 * The one interface between the UI and the Rust side. Components receive a `Backend` (see
 * `BackendContext`) and never call Tauri themselves, so every screen can be tested on a fake.
 *
 * Field names are snake_case on the wire: the payloads are the engine's own types, serialised
 * the same way as the CLI's `--json` output (SPEC §9). Instants are RFC 3339 UTC strings unless
 * a field name ends in `_ms` (milliseconds since the epoch, UTC).
 */

/** What the app tells the shell about itself. Mirrors Rust `ipc::AppInfo`. */
export interface AppInfo {
  /** Version of the consenttrail-engine crate, also written into evidence packs. */
  engine_version: string;
  /** Absolute path of the SQLite database the app opened at start-up. */
  database_path: string;
}

/** Which database is open: the user's, or the fictional demo one. Mirrors Rust `ipc::sample::DatabaseInfo`. */
export interface DatabaseInfo {
  database_path: string;
  /** True while the demo database with the sample data is open instead of the user's. */
  sample_data: boolean;
}

/** Fixed error codes. Mirrors Rust `ipc::IpcErrorCode` (snake_case on the wire). */
export type IpcErrorCode = 'database' | 'invalid_input' | 'not_found' | 'cancelled' | 'internal' | 'forbidden_path';

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

// ---- Import -------------------------------------------------------------------------------------

/** A source system the engine can read. Mirrors the importer registry. */
export interface SystemInfo {
  /** Importer id: `mailchimp`, `salesforce`, `canonical`, `mapped` … */
  id: string;
  /** Human name for lists and reports. */
  name: string;
  /** Which export file it reads, in the system's own words ("Audience → Export …"). */
  file?: string | null;
}

/** What the import screen needs to offer its choices. */
export interface ImportCatalog {
  systems: SystemInfo[];
  /** Canonical fields a column mapping may fill (`subject`, `kind`, `occurred_at` …). */
  mappable_fields: string[];
  /** Canonical event kinds (`consent.given`, `consent.withdrawn`, `processing` …). */
  event_kinds: string[];
  /** Collection methods (`double-opt-in`, `checkbox` …). */
  methods: string[];
}

/**
 * One file as the engine will read it, before anything is written. A dropped folder or ZIP
 * becomes one preview per file inside it.
 */
export interface FilePreview {
  /** The file as displayed (ZIP entries as `archive.zip!/entry.csv`). */
  path: string;
  /** The token of the dropped or picked file, folder or ZIP this file came from: what to pass to `importFiles`. */
  dropped_path: string;
  /**
   * `ready`: a system was recognised (or a saved mapping fits); `already-imported`: the same
   * content is in the database; `needs-mapping`: a CSV layout no importer knows;
   * `unreadable`: not a consent log the engine can read (`message` says why).
   */
  status: 'ready' | 'already-imported' | 'needs-mapping' | 'unreadable';
  /** Detected system id, or null. */
  system: string | null;
  system_name: string | null;
  sha256: string | null;
  bytes: number;
  /** Text encoding as detected (`UTF-8`, `Windows-1252` …). */
  encoding: string | null;
  /** `csv` or `json`. */
  format: 'csv' | 'json' | null;
  /** CSV header as read (after encoding and delimiter detection). */
  header: string[] | null;
  /** The first records as the reader reads them: CSV cells, or one pretty-printed JSON record. */
  rows: string[][];
  /** Name of the saved column mapping that will be applied, if any. */
  mapping_name: string | null;
  /** Why the file cannot be imported as it is, or a note about the detection. */
  message: string | null;
}

/** Order of day and month in slash dates (SPEC §3): asked when a column cannot tell. */
export type DateOrder = 'dmy' | 'mdy';

/**
 * A file, folder or ZIP the user dropped on the window or chose in a native dialog. The page
 * never names a path: the Rust side keeps it and issues `token` (random, valid until the app
 * closes); commands take the token. Mirrors Rust `ipc::paths::Chosen`.
 */
export interface ChosenFile {
  token: string;
  /** The file or folder name, for display. */
  name: string;
}

/** One import run: the same options for every file in it. */
export interface ImportRequest {
  /** Tokens of dropped or picked files, folders or ZIP archives. */
  tokens: string[];
  /** Force this system for every file (overrides detection). */
  system?: string | null;
  /** Zone assumed for times without an offset, by system id (`*` for every system). */
  assume_tz?: Record<string, string>;
  date_order?: DateOrder | null;
}

/** Progress of a running import, streamed over a channel. */
export interface ImportProgress {
  /** `importing` while files are read; `auditing` while the rules run over the result. */
  phase: 'importing' | 'auditing';
  /** The file being read (empty while auditing). */
  file: string;
  /** Records read so far in this file. */
  rows: number;
  bytes_done: number;
  bytes_total: number;
  /** 1-based number of the file being read among the run's files (0 while auditing). */
  file_number: number;
  /** How many files this `importFiles` call has, folders and archives expanded (0 while auditing). */
  file_count: number;
}

/** One warning or rejected row in an import report. */
export interface ImportIssue {
  /** `line 12` for CSV, a JSON pointer for JSON. */
  locator: string;
  field: string | null;
  message: string;
}

/** What happened to one file. Mirrors the CLI's `import --json` `files[]`. */
export interface FileReport {
  path: string;
  system: string | null;
  sha256: string | null;
  status: 'imported' | 'already-imported' | 'failed';
  rows_imported: number;
  rows_rejected: number;
  rows_warned: number;
  events: number;
  duplicate_events: number;
  source_id: number | null;
  encoding: string | null;
  warnings: ImportIssue[];
  rejections: ImportIssue[];
  /** For a failed file: what went wrong and where (file, line, field). */
  error: string | null;
}

export interface ImportReport {
  files: FileReport[];
}

/** A column mapping for a CSV layout no importer knows. Mirrors engine `ColumnMapping`. */
export interface ColumnMapping {
  /** Always `consenttrail-mapping/1`. */
  format: string;
  name: string;
  /** The system id the events are attributed to. */
  system: string;
  /** Canonical field → source column name. `subject` is required. */
  columns: Record<string, string>;
  /** Canonical field → a value for every row. */
  constants: Record<string, string>;
  /** Canonical field → source value → canonical value. */
  values: Record<string, Record<string, string>>;
}

// ---- Subjects and timelines ---------------------------------------------------------------------

export interface Identifier {
  kind: string;
  value: string;
}

export type SubjectSort = 'id' | 'findings' | 'events';

export interface SubjectQuery {
  /** Part of any identifier (case-insensitive); empty for all. */
  search: string;
  sort: SubjectSort;
  descending: boolean;
  limit: number;
  offset: number;
}

/** One row of the subject list. */
export interface SubjectSummary {
  id: number;
  identifiers: Identifier[];
  events: number;
  systems: string[];
  findings: number;
  findings_high: number;
  findings_medium: number;
  findings_low: number;
  /** The person's names as recorded, most agreed first; more than one: the sources disagree. */
  names: RecordedName[];
}

/** A name as the sources recorded it, with the systems that agree on it (display only). */
export interface RecordedName {
  name: string;
  systems: string[];
}

/** A page of subjects and how many match in all (for the virtual scroller). */
export interface SubjectPage {
  total: number;
  rows: SubjectSummary[];
}

export interface Recipient {
  label: string;
  legal_name: string | null;
}

/** Where an event came from. */
export interface SourceRef {
  id: number;
  path: string;
  sha256: string;
  line: number | null;
  locator: string;
  row_id: number;
}

/** One event of a timeline. Mirrors engine `TimelineEvent`. */
export interface TimelineEvent {
  id: number;
  identifier: string;
  system: string;
  kind: string;
  stated_kind: string;
  occurred_at_ms: number | null;
  occurred_at_text: string | null;
  zone_basis: string | null;
  purpose: string | null;
  purpose_label: string | null;
  recipients: Recipient[];
  channel: string | null;
  method: string | null;
  capture_source: string | null;
  collected_by: string | null;
  notice_version: string | null;
  evidence_json: string | null;
  row_id: number;
  source: SourceRef | null;
  corroborated_by: number[];
  /**
   * Set on a record's one grant for a profile purpose when the record answered the source
   * purposes behind it differently (SPEC §2: one record, one statement per profile purpose).
   */
  partial: PartialStatement | null;
  /** Set on a record's other statements: the id of the event that speaks for the record. */
  folded_into: number | null;
}

/** The source purposes one record consented to and did not, for one profile purpose. */
export interface PartialStatement {
  consented: string[];
  not_consented: string[];
}

export type ConsentStateName = 'given' | 'withdrawn' | 'refused' | 'expired' | 'none';

/** A stretch of time with one consent state for one purpose. */
export interface StateSegment {
  state: ConsentStateName;
  from_ms: number;
  /** Null: still holds now. */
  to_ms: number | null;
  /** The event that started it. */
  event_id: number;
}

/**
 * A state a source gives without a date, as of its export (a HubSpot opt-out flag): shown
 * beside the dated bar, never moving it. Mirrors engine `ExportState`.
 */
export interface ExportState {
  system: string;
  state: ConsentStateName;
  /** The source's own words for the purpose (a subscription name, a column). */
  label: string | null;
  event_id: number;
}

/**
 * One purpose's consent state over time, or (with `recipient`) a named recipient's where it
 * differs from its purpose's ("refused for Beta"). Mirrors engine `PurposeBars`.
 */
export interface PurposeBars {
  purpose: string;
  recipient: string | null;
  segments: StateSegment[];
  /** Undated states as of an export (purpose bars only). */
  as_of_export: ExportState[];
}

/** A name or date of birth a source recorded for the subject (display only). */
export interface RecordedAttribute {
  attribute: string;
  value: string;
  system: string;
  source_path: string;
}

/** What an auditor can decide. */
export type DecisionStatus = 'accepted' | 'false-positive' | 'remediated';

/**
 * A finding's decision status as shown: a decision, or `reopened` when it was remediated and
 * has occurred again after the occurrences the decision saw (SPEC §4.1).
 */
export type DecisionState = DecisionStatus | 'reopened';

/** One decision as taken. Mirrors engine `DecisionRecord`. */
export interface DecisionRecord {
  status: DecisionStatus;
  note: string;
  by: string | null;
  at: string;
  /** The finding's occurrences when the decision was taken. */
  occurrences_seen: string[];
}

/** The decision in force and the history behind it. Mirrors engine `Decision`. */
export interface Decision {
  status: DecisionState;
  /** Note, author and time of the latest decision. */
  note: string;
  by: string | null;
  at: string;
  occurrences_seen: string[];
  /** Occurrences after those seen: not covered by the decision. */
  later_occurrences: string[];
  /** Every decision on the finding, oldest first; the last is the one in force. */
  history: DecisionRecord[];
}

export type Severity = 'high' | 'medium' | 'low';

/** A finding of the latest audit. Mirrors the CLI's FINDING (SPEC §9). */
export interface Finding {
  id: string;
  rule: string;
  code: string;
  severity: Severity;
  subject: { id: number; identifiers: Identifier[] };
  purpose: string | null;
  recipient: string | null;
  at: string | null;
  occurrences: string[];
  event_ids: number[];
  systems: string[];
  explanation: string;
  legal_reference: string;
  decision: Decision | null;
}

export interface SubjectTimeline {
  subject: { id: number; identifiers: Identifier[] };
  attributes: RecordedAttribute[];
  /** The person's names as recorded, most agreed first; more than one: the sources disagree. */
  names: RecordedName[];
  /** Sorted by instant; undated events first. */
  events: TimelineEvent[];
  /** Consent state per purpose as bars over time. */
  state_bars: PurposeBars[];
  findings: Finding[];
}

/** An event's raw source row, as the file had it. */
export interface EventSource {
  event_id: number;
  system: string;
  path: string;
  sha256: string;
  locator: string;
  line: number | null;
  /** CSV header of the file, when it has one. */
  header: string[] | null;
  /** The record as stored: one CSV line, or the JSON record. */
  raw: string;
  /** The same fact reported by other rows (overlapping exports). */
  also_in: { path: string; locator: string }[];
}

// ---- Findings -----------------------------------------------------------------------------------

export interface FindingFilter {
  rule?: string | null;
  severity?: Severity | null;
  purpose?: string | null;
  system?: string | null;
  /** `YYYY-MM` of the finding's first instant. */
  month?: string | null;
  /** `open` (no decision), a decision status, or `reopened`. */
  status?: 'open' | DecisionState | null;
  subject_id?: number | null;
  /**
   * First day (`YYYY-MM-DD`, inclusive, from 00:00 UTC) one of the finding's occurrences may
   * fall on; with `to`, the date range the list, the dashboard and the export share.
   */
  from?: string | null;
  /** Last day (`YYYY-MM-DD`, inclusive, up to 24:00 UTC). */
  to?: string | null;
  /** With a date range: leave out findings that have no time at all (kept by default). */
  exclude_undated?: boolean;
}

export interface FindingPage {
  total: number;
  rows: Finding[];
}

export interface Count {
  key: string;
  count: number;
}

/** Counts of the filtered findings for the dashboard's charts. */
export interface FindingBreakdown {
  total: number;
  by_rule: Count[];
  by_severity: Count[];
  by_purpose: Count[];
  by_system: Count[];
  by_month: Count[];
  by_status: Count[];
  /** When the stored findings were computed; null before the first audit. */
  audited_at: string | null;
}

/** Progress of a running audit, streamed over a channel. */
export interface AuditProgress {
  /** Subjects whose events have been read and checked so far. */
  done: number;
  total: number;
}

/** Summary of an audit run. */
export interface AuditSummary {
  findings: number;
  subjects: number;
  events: number;
  not_evaluated: { rule: string; purpose: string | null; reason: string }[];
}

// ---- Evidence -----------------------------------------------------------------------------------

/** Where a long pack job is: step `step` of `steps`; within it `done` of `total` (0 of 0: unknown). */
export interface PackProgress {
  step: number;
  steps: number;
  label: string;
  done: number;
  total: number;
}

/** The certificate packs are signed with: its subject and SHA-256. */
export interface SigningKey {
  subject: string;
  sha256: string;
}

export interface PackResult {
  path: string;
  sha256: string;
  manifest_sha256: string;
  pages: number;
  /** Who signed the pack (PAdES): the chosen organisation certificate or the database's own. */
  signed_by: SigningKey;
}

/** A written findings export (CSV or XLSX). */
export interface FindingsExport {
  path: string;
  /** Findings written. */
  rows: number;
}

export interface VerifyDifference {
  against: string;
  item: string;
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  differences: VerifyDifference[];
  pack_id: string | null;
  kind: string | null;
  manifest_sha256: string | null;
}

// ---- Sources ------------------------------------------------------------------------------------

/** One imported file. Mirrors the CLI's `sources --json`. */
export interface SourceInfo {
  id: number;
  path: string;
  system: string;
  sha256: string;
  bytes: number;
  imported_at: string;
  rows_imported: number;
  rows_rejected: number;
  rows_warned: number;
}

export interface SourceIssue {
  severity: 'warning' | 'rejected';
  locator: string;
  field: string | null;
  message: string;
}

// ---- Audit log ----------------------------------------------------------------------------------

/** One entry of the audit log. Mirrors engine `store::audit_log::AuditEntry`. */
export interface AuditLogEntry {
  id: number;
  at: string;
  /** `import`, `remove-source`, `decide`, `profile-import`, `audit`, `pack` … */
  action: string;
  /** What the action was about (file, finding, hashes …), as recorded. */
  detail: unknown;
  prev_hash: string;
  hash: string;
}

/** The first place where the hash chain does not hold. */
export interface BrokenLink {
  entry_id: number;
  /** `prev_hash`: the entry before was changed, removed or inserted; `hash`: this entry was changed. */
  field: 'prev_hash' | 'hash';
  expected: string;
  found: string;
  reason: string;
}

/** The chain check over the whole log. */
export interface ChainReport {
  ok: boolean;
  entries: number;
  /** The last entry's hash when the chain holds. */
  head: string | null;
  broken: BrokenLink | null;
}

/** The audit log, oldest first, with its chain check. Mirrors the CLI's `log --json`. */
export interface AuditLog {
  entries: AuditLogEntry[];
  chain: ChainReport;
}

// ---- Profile ------------------------------------------------------------------------------------

export interface ProfilePurpose {
  id: string;
  label: string;
  lawful_basis: string;
  channel: string | null;
  recipients: string[];
  /** System id (or `*`) → labels that mean this purpose. */
  aliases: Record<string, string[]>;
}

export interface ProfileNotice {
  version: string;
  effective_from: string;
  purposes: string[];
  named_recipients: string[];
  url: string | null;
  text: string | null;
}

export interface ProfileThirdParty {
  legal_name: string;
  aliases: string[];
  tcf_vendor_ids: number[];
}

/** How a source's capture label (a form name, a list) translates into method, collector and notice. */
export interface ProfileCollectionPoint {
  /** Importer id, or `*` for every system. */
  system: string;
  /** The capture label as the source writes it. */
  label: string;
  /** A collection method (`explicit-opt-in`, `imported-list` …), or null. */
  method?: string | null;
  /** Our organisation, or the third party that collected the consent. */
  collected_by?: string | null;
  notice_version?: string | null;
}

/** Which source events are processing or disclosure, and for which purpose. */
export interface ProfileActivity {
  system: string;
  event: string;
  kind: string;
  /** A purpose id of the profile. */
  purpose: string;
  /** For a disclosure: the event property that holds the recipient. */
  recipient_property?: string | null;
}

/** What importing a profile file would change; nothing is saved yet. */
export interface ProfileImportPreview {
  path: string;
  /** SHA-256 of the file as read: `importProfile` refuses the file if it changed since. */
  sha256: string;
  organisation: string;
  purposes: number;
  /** One line per change against the profile in force; empty when they are the same. */
  changes: string[];
}

export interface ProfilePolicy {
  withdrawal_grace_hours: number;
  consent_refresh_months: number;
  double_opt_in_channels: string[];
  age_of_digital_consent: number;
  assumed_time_zone: Record<string, string>;
}

/** The organisation's profile (`consenttrail-profile/1`). */
export interface Profile {
  format: string;
  organisation: { name: string; country: string | null; contact: string | null };
  purposes: ProfilePurpose[];
  collection_points: ProfileCollectionPoint[];
  activities: ProfileActivity[];
  notices: ProfileNotice[];
  third_parties: ProfileThirdParty[];
  policy: ProfilePolicy;
}

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
  removeSource(sourceId: number): Promise<{ removed: number; events_removed: number }>;

  // Profile
  getProfile(): Promise<Profile>;
  /** Saves the profile; stored events are re-derived. Rejects with `invalid_input` naming the JSON path. */
  saveProfile(profile: Profile): Promise<{ events_rederived: number }>;
  /** Reads and validates a profile file (errors name the file and JSON path); writes nothing. */
  previewProfileImport(token: string): Promise<ProfileImportPreview>;
  /** Imports the previewed file as the CLI's `profile import` does; refused if it changed since. */
  importProfile(token: string, sha256: string): Promise<{ events_rederived: number }>;
  /** Writes the saved profile to the chosen file (its token) as the CLI's `profile export` prints it. */
  exportProfile(token: string): Promise<{ path: string }>;

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

/** A native drag over or drop on the window. */
export type FileDropEvent = { type: 'over' } | { type: 'leave' } | { type: 'drop'; files: ChosenFile[] };

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
