import { useId } from 'react';

import type { FileReport, ImportIssue } from '../../api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatCount } from './format';
import { mentionsDateOrder } from './plan';

/** How the run ended: all calls done, cancelled by the user, or stopped by an error. */
export type ImportEnding = { kind: 'done' } | { kind: 'cancelled' } | { kind: 'failed'; error: unknown };

const STATUS_LABEL: Record<FileReport['status'], string> = {
  imported: 'Imported',
  'already-imported': 'Already imported — no change',
  failed: 'Failed',
};

/** True when a file's failure or rejections are about ambiguous slash dates. */
function needsDateOrder(file: FileReport): boolean {
  return (
    (file.error !== null && mentionsDateOrder(file.error)) ||
    file.rejections.some((issue) => mentionsDateOrder(issue.message))
  );
}

/**
 * The import report: per file what was imported, rejected and warned, with the rejected rows and
 * warnings listed (past the first thousand, how many more there are: nothing is dropped
 * silently), and the next steps.
 */
export function ImportReportView({
  files,
  ending,
  onImportAgain,
  onShowSubjects,
}: {
  files: FileReport[];
  ending: ImportEnding;
  onImportAgain: () => void;
  onShowSubjects: () => void;
}) {
  const titleId = useId();
  const dateOrderHelps = files.some(needsDateOrder);
  const events = files.reduce((sum, file) => sum + file.events, 0);
  const count = (status: FileReport['status']) => files.filter((file) => file.status === status).length;
  return (
    <section className="card import-report" data-testid="import-report" aria-labelledby={titleId}>
      <h3 id={titleId} className="card-title">
        Import report
      </h3>
      {ending.kind === 'cancelled' && (
        <p className="notice notice-warn" role="status" data-testid="import-cancelled">
          Import cancelled — the file in progress was rolled back; files finished before it stay imported.
        </p>
      )}
      {ending.kind === 'failed' && <ErrorNotice error={ending.error} title="The import stopped" />}
      {files.length > 0 && (
        <p className="import-report-summary">
          {files.length} {files.length === 1 ? 'file' : 'files'}: {count('imported')} imported,{' '}
          {count('already-imported')} already imported, {count('failed')} failed; {formatCount(events)} events
          added.
        </p>
      )}
      {dateOrderHelps && (
        <div className="notice notice-warn import-report-dates">
          <p>
            Some dates could be day/month or month/day. Choose “Day/month order for slash dates” in the options
            above, then import again.
          </p>
          <button type="button" onClick={onImportAgain}>
            Import again
          </button>
        </div>
      )}
      {files.length > 0 && (
        <div className="table-scroll">
          <table className="table import-report-table">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Status</th>
                <th scope="col">System</th>
                <th scope="col">Rows imported</th>
                <th scope="col">Rows rejected</th>
                <th scope="col">Rows with warnings</th>
                <th scope="col">Events</th>
                <th scope="col">Duplicates</th>
              </tr>
            </thead>
            {files.map((file, index) => (
              <FileReportRows key={`${file.path}-${String(index)}`} file={file} />
            ))}
          </table>
        </div>
      )}
      <div className="toolbar">
        <button type="button" className="primary" data-testid="import-show-subjects" onClick={onShowSubjects}>
          View subjects
        </button>
      </div>
    </section>
  );
}

/** One file's line in the report, and below it its error and lists of issues. */
function FileReportRows({ file }: { file: FileReport }) {
  const hasDetails = file.error !== null || file.rejections.length > 0 || file.warnings.length > 0;
  return (
    <tbody data-testid="import-report-file" data-status={file.status}>
      <tr>
        <td className="mono import-report-path">{file.path}</td>
        <td>
          <span className={`badge import-report-status-${file.status}`}>{STATUS_LABEL[file.status]}</span>
        </td>
        <td>{file.system ?? '—'}</td>
        <td>{formatCount(file.rows_imported)}</td>
        <td>{formatCount(file.rows_rejected)}</td>
        <td>{formatCount(file.rows_warned)}</td>
        <td>{formatCount(file.events)}</td>
        <td>{formatCount(file.duplicate_events)}</td>
      </tr>
      {hasDetails && (
        <tr className="import-report-details">
          <td colSpan={8}>
            {file.error !== null && <p className="notice notice-error">{file.error}</p>}
            <IssueList
              title="Rejected rows"
              issues={file.rejections}
              omitted={file.rejections_omitted}
              open={file.rejections.length <= 5}
            />
            <IssueList title="Warnings" issues={file.warnings} omitted={file.warnings_omitted} open={false} />
          </td>
        </tr>
      )}
    </tbody>
  );
}

/**
 * Rejected rows or warnings with where they are (line or JSON pointer), the field and why. A
 * report lists the first ones only (`omitted` more): the list says so, never looks complete.
 */
function IssueList({
  title,
  issues,
  omitted,
  open,
}: {
  title: string;
  issues: ImportIssue[];
  omitted: number;
  open: boolean;
}) {
  if (issues.length === 0) return null;
  return (
    <details className="import-issues" open={open}>
      <summary>
        {title} ({omitted > 0 ? `first ${formatCount(issues.length)} of ${formatCount(issues.length + omitted)}` : issues.length})
      </summary>
      {omitted > 0 && (
        <p className="import-issues-omitted">
          {formatCount(omitted)} more not listed here; every one is recorded with the source (Sources screen).
        </p>
      )}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Where</th>
            <th scope="col">Field</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {issues.map((issue, index) => (
            <tr key={index}>
              <td className="mono">{issue.locator}</td>
              <td>{issue.field ?? '—'}</td>
              <td>{issue.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
