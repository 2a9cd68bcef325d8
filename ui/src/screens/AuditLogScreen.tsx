import { useAuditLogQuery, type AuditLogEntry, type ChainReport } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { countOf, formatInstantText } from '../format';
import './auditlog.css';

/** Actions in words; an action this list does not know is shown as recorded. */
const ACTION_LABELS: Record<string, string> = {
  import: 'File imported',
  'remove-source': 'Source removed',
  decide: 'Decision recorded',
  'profile-import': 'Profile saved',
  audit: 'Audit run',
  pack: 'Evidence pack written',
};

export function actionLabel(action: string): string {
  return ACTION_LABELS[action] ?? action;
}

/** A recorded detail value in one line: text as it is, anything else as JSON. */
function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** The entry's detail as `key: value` pairs (a detail that is not an object: as it is). */
export function detailPairs(detail: unknown): [string, string][] {
  if (typeof detail === 'object' && detail !== null && !Array.isArray(detail)) {
    return Object.entries(detail as Record<string, unknown>)
      .filter(([, value]) => value !== null)
      .map(([key, value]) => [key, valueText(value)]);
  }
  return [['', valueText(detail)]];
}

/** Whether the log's hash chain holds, and where it breaks when it does not. */
function ChainStatus({ chain }: { chain: ChainReport }) {
  if (chain.ok) {
    return (
      <div className="notice notice-ok" role="status" data-testid="audit-log-chain">
        <p className="notice-title">The log is intact</p>
        <p className="notice-body">
          {countOf(chain.entries, 'entry', 'entries')}, each chained to the one before by its SHA-256: none has been
          changed, removed or inserted since it was written.
        </p>
        {chain.head !== null && (
          <p className="notice-code">
            Latest hash <code className="audit-log-hash">{chain.head}</code> — note it elsewhere to detect a later
            truncation or rewrite of the whole log.
          </p>
        )}
      </div>
    );
  }
  const broken = chain.broken;
  return (
    <div className="notice notice-error" role="alert" data-testid="audit-log-chain">
      <p className="notice-title">The log has been tampered with</p>
      <p className="notice-body">
        {broken === null ? 'The hash chain does not hold.' : `Entry ${String(broken.entry_id)}: ${broken.reason}.`}
      </p>
      <p className="notice-code">
        The database was edited outside ConsentTrail. Entries from this one on cannot be relied on; keep a copy of
        the file for investigation.
      </p>
    </div>
  );
}

/** One entry: when, what, and the details recorded with it. */
function EntryRow({ entry, broken }: { entry: AuditLogEntry; broken: boolean }) {
  return (
    <tr data-testid="audit-log-row" data-entry-id={entry.id} className={broken ? 'audit-log-broken' : undefined}>
      <td className="audit-log-id">{entry.id}</td>
      <td className="audit-log-when">{formatInstantText(entry.at)}</td>
      <td>
        <span className="badge audit-log-action" title={entry.action}>
          {actionLabel(entry.action)}
        </span>
      </td>
      <td>
        <dl className="audit-log-detail">
          {detailPairs(entry.detail).map(([key, value]) => (
            <div key={key}>
              {key !== '' && <dt>{key}</dt>}
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
      </td>
    </tr>
  );
}

/** Audit log: the user's own actions, newest first, and whether the log proves its history. */
export function AuditLogScreen() {
  const query = useAuditLogQuery();
  // A refresh keeps the log on screen (busy) until the new one arrives; a failed read shows its error instead.
  const loading = query.isFetching;
  const log = query.status === 'success' ? query.data : null;
  const brokenId = log?.chain.broken?.entry_id ?? null;

  return (
    <section className="screen audit-log-screen">
      <div className="toolbar">
        <h2 className="screen-title">Audit log</h2>
        <span className="spacer" />
        <button
          type="button"
          onClick={() => {
            void query.refetch();
          }}
          disabled={loading}
        >
          {loading ? 'Loading…' : 'Refresh'}
        </button>
      </div>
      <p className="muted">
        What was done in this workspace: imports, removals, decisions, profile changes, audits and packs, newest first.
        Entries can only be added, never changed.
      </p>
      {query.isPending && <p role="status">Loading the audit log…</p>}
      {query.isError && <ErrorNotice error={query.error} title="The audit log could not be read" />}
      {log !== null && <ChainStatus chain={log.chain} />}
      {log?.entries.length === 0 && (
        <p className="card" data-testid="audit-log-empty">
          Nothing has been done yet. Imports, decisions and packs will be listed here.
        </p>
      )}
      {log !== null && log.entries.length > 0 && (
        <div className="table-scroll card audit-log-card">
          <table className="table audit-log-table" data-testid="audit-log-table" aria-busy={loading}>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {log.entries
                .slice()
                .reverse()
                .map((entry) => (
                  <EntryRow key={entry.id} entry={entry} broken={entry.id === brokenId} />
                ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
