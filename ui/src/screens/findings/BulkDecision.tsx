import { useQueryClient } from '@tanstack/react-query';
import { useId, useState, type SyntheticEvent } from 'react';

import { invalidateDecisions, useBackend, type DecisionStatus } from '../../api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { countOf, statusLabel } from '../../format';

const DECISION_STATUSES: readonly DecisionStatus[] = ['accepted', 'false-positive', 'remediated'];

/**
 * One decision with one note on the selected findings. The backend records all of them (each
 * with its audit-log entry) in one transaction or none, so the result is all or nothing here too.
 */
export function BulkDecision({
  selected,
  onClear,
  onDecided,
}: {
  /** The ids of the selected findings, in list order. */
  selected: readonly string[];
  onClear: () => void;
  /** After the decisions were recorded: the selection is cleared and the list refreshed. */
  onDecided: (count: number, status: DecisionStatus) => void;
}) {
  const backend = useBackend();
  const client = useQueryClient();
  const id = useId();
  const [status, setStatus] = useState<DecisionStatus>('accepted');
  const [note, setNote] = useState('');
  const [by, setBy] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const noteMissing = note.trim() === '';
  const count = countOf(selected.length, 'finding');

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    if (noteMissing || busy || selected.length === 0) return;
    setBusy(true);
    setError(null);
    const name = by.trim() === '' ? null : by.trim();
    backend.decideFindings([...selected], status, note.trim(), name).then(
      (decisions) => {
        setBusy(false);
        setNote('');
        // The findings, the timelines that show them and the audit log are read again.
        void invalidateDecisions(client);
        onDecided(decisions.length, status);
      },
      (reason: unknown) => {
        setBusy(false);
        setError(reason);
      },
    );
  };

  return (
    <form className="bulk-decision" onSubmit={submit} aria-labelledby={`${id}-title`} data-testid="bulk-decide">
      <div className="toolbar">
        <h4 className="bulk-decision-title" id={`${id}-title`}>
          Decide {count} at once
        </h4>
        <span className="spacer" />
        <button type="button" className="link-button" onClick={onClear} disabled={busy} data-testid="bulk-clear">
          Clear the selection
        </button>
      </div>
      <div className="decision-fields">
        <label>
          Decision
          <select
            value={status}
            onChange={(event) => {
              setStatus(event.target.value as DecisionStatus);
            }}
            data-testid="bulk-status"
          >
            {DECISION_STATUSES.map((option) => (
              <option key={option} value={option}>
                {statusLabel(option)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Your name <span className="muted-inline">(optional)</span>
          <input
            value={by}
            onChange={(event) => {
              setBy(event.target.value);
            }}
            autoComplete="name"
            data-testid="bulk-by"
          />
        </label>
      </div>
      <label className="decision-note-label" htmlFor={`${id}-note`}>
        Note for all {count} <span className="muted-inline">(required: why this decision)</span>
      </label>
      <textarea
        id={`${id}-note`}
        value={note}
        required
        onChange={(event) => {
          setNote(event.target.value);
        }}
        data-testid="bulk-note"
      />
      <div className="toolbar">
        <button type="submit" className="primary" disabled={noteMissing || busy} data-testid="bulk-apply">
          {busy ? 'Saving…' : `Record for ${count}`}
        </button>
        <span className="muted-inline">
          All are recorded, each in the audit log, or — if one cannot be — none.
        </span>
      </div>
      {error !== null && <ErrorNotice error={error} title="None of the decisions was saved" />}
    </form>
  );
}
