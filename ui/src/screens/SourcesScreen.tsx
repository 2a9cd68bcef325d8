import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';

import { invalidateData, useBackend, useSourceIssuesQuery, useSourcesQuery, type SourceInfo } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { fileName, formatBytes, formatCount, formatInstant } from './import/format';
import './sources.css';

/** Sources: imported files with hashes and counts; remove one. */
export function SourcesScreen() {
  const query = useSourcesQuery();
  const [removed, setRemoved] = useState<string | null>(null);
  // A refresh (or the re-read after a removal) keeps the list on screen, busy, until the new one arrives.
  const loading = query.isFetching;
  const sources = query.status === 'success' ? query.data : null;
  const reload = () => {
    void query.refetch();
  };

  return (
    <section className="screen sources-screen">
      <div className="toolbar">
        <h2 className="screen-title">Sources</h2>
        <span className="spacer" />
        <button type="button" onClick={reload} disabled={loading}>
          {loading ? 'Loading…' : 'Refresh'}
        </button>
      </div>
      <p className="muted">
        Every imported file, with the SHA-256 of its content. Removing a file removes exactly what it brought: its
        rows, the events derived from them, and identity links only it supported; findings are checked again.
      </p>
      {removed !== null && (
        <p className="notice notice-ok" role="status" data-testid="sources-removed">
          {removed}
        </p>
      )}
      {query.isPending && <p role="status">Loading the imported files…</p>}
      {query.isError && <ErrorNotice error={query.error} title="The imported files could not be listed" />}
      {sources?.length === 0 && (
        <p className="card sources-empty" data-testid="sources-empty">
          No files have been imported yet. Open <strong>Import</strong> to add consent exports; each imported file is
          listed here with its hash.
        </p>
      )}
      {sources !== null && sources.length > 0 && (
        <div className="table-scroll card sources-card">
          <table className="table sources-table" data-testid="sources-table" aria-busy={loading}>
            <thead>
              <tr>
                <th scope="col">ID</th>
                <th scope="col">File</th>
                <th scope="col">System</th>
                <th scope="col">SHA-256</th>
                <th scope="col">Size</th>
                <th scope="col">Imported at</th>
                <th scope="col">Rows imported</th>
                <th scope="col">Rejected</th>
                <th scope="col">Warned</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            {sources.map((source) => (
              <SourceRows
                key={source.id}
                source={source}
                onRemoved={(eventsRemoved) => {
                  setRemoved(
                    `Removed ${formatCount(eventsRemoved)} ${eventsRemoved === 1 ? 'event' : 'events'} derived from ${fileName(source.path)}.`,
                  );
                }}
              />
            ))}
          </table>
        </div>
      )}
    </section>
  );
}

/** Number of table columns, for the rows that span the whole table. */
const COLUMNS = 10;

/** One imported file: its facts, its issues on demand, and removal behind a confirmation. */
function SourceRows({ source, onRemoved }: { source: SourceInfo; onRemoved: (eventsRemoved: number) => void }) {
  const backend = useBackend();
  const client = useQueryClient();
  const [showIssues, setShowIssues] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [removing, setRemoving] = useState(false);
  const [removeError, setRemoveError] = useState<unknown>(null);
  const name = fileName(source.path);
  const issueCount = source.rows_rejected + source.rows_warned;

  const remove = async () => {
    setRemoving(true);
    setRemoveError(null);
    try {
      const result = await backend.removeSource(source.id);
      setConfirming(false);
      onRemoved(result.events_removed);
      // Everything derived from the data (this list, subjects, findings, the audit log) is read
      // again; this row goes when the list comes back without it.
      void invalidateData(client);
    } catch (error: unknown) {
      setRemoveError(error);
    } finally {
      setRemoving(false);
    }
  };

  return (
    <tbody className="sources-rows">
      <tr data-testid="source-row" data-source-id={source.id}>
        <td>{source.id}</td>
        <td className="sources-path" title={source.path}>
          {source.path}
        </td>
        <td>{source.system}</td>
        <td>
          <code className="mono sources-hash" title={source.sha256} tabIndex={0} aria-label={`SHA-256 ${source.sha256}`}>
            {source.sha256}
          </code>
        </td>
        <td title={`${String(source.bytes)} bytes`}>{formatBytes(source.bytes)}</td>
        <td>{formatInstant(source.imported_at)}</td>
        <td>{formatCount(source.rows_imported)}</td>
        <td>{formatCount(source.rows_rejected)}</td>
        <td>{formatCount(source.rows_warned)}</td>
        <td className="sources-actions">
          <button
            type="button"
            aria-expanded={showIssues}
            aria-label={`Issues of ${name}`}
            onClick={() => {
              setShowIssues(!showIssues);
            }}
          >
            Issues{issueCount > 0 ? ` (${formatCount(issueCount)})` : ''}
          </button>
          <button
            type="button"
            className="danger"
            data-testid="source-remove"
            aria-label={`Remove ${name}…`}
            disabled={confirming}
            onClick={() => {
              setConfirming(true);
            }}
          >
            Remove…
          </button>
        </td>
      </tr>
      {confirming && (
        <tr className="sources-confirm">
          <td colSpan={COLUMNS}>
            <div className="notice notice-warn sources-confirm-box" role="group" aria-label={`Remove ${name}`}>
              <p>Remove {name} and everything derived from it?</p>
              <button
                type="button"
                className="danger"
                data-testid="source-remove-confirm"
                disabled={removing}
                onClick={() => void remove()}
              >
                {removing ? 'Removing…' : 'Confirm'}
              </button>
              <button
                type="button"
                autoFocus
                disabled={removing}
                onClick={() => {
                  setConfirming(false);
                  setRemoveError(null);
                }}
              >
                Cancel
              </button>
            </div>
            {removeError !== null && <ErrorNotice error={removeError} title={`${name} could not be removed`} />}
          </td>
        </tr>
      )}
      {showIssues && (
        <tr className="sources-issues">
          <td colSpan={COLUMNS}>
            <SourceIssues sourceId={source.id} />
          </td>
        </tr>
      )}
    </tbody>
  );
}

/** The warnings and rejected rows recorded when the file was imported. */
function SourceIssues({ sourceId }: { sourceId: number }) {
  const query = useSourceIssuesQuery(sourceId);
  const state = { issues: query.data ?? null, error: query.error };

  if (state.error !== null) return <ErrorNotice error={state.error} title="The issues could not be loaded" />;
  if (state.issues === null) return <p role="status">Loading issues…</p>;
  if (state.issues.length === 0) return <p className="sources-no-issues">No warnings or rejected rows were recorded.</p>;
  return (
    <table className="table sources-issue-table" data-testid="source-issues">
      <thead>
        <tr>
          <th scope="col">Severity</th>
          <th scope="col">Where</th>
          <th scope="col">Field</th>
          <th scope="col">Message</th>
        </tr>
      </thead>
      <tbody>
        {state.issues.map((issue, index) => (
          <tr key={index}>
            <td>
              <span className={`badge sources-severity-${issue.severity}`}>
                {issue.severity === 'rejected' ? 'Rejected' : 'Warning'}
              </span>
            </td>
            <td className="mono">{issue.locator}</td>
            <td>{issue.field ?? '—'}</td>
            <td>{issue.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
