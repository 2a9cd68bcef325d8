import { useQueryClient } from '@tanstack/react-query';
import { useId, useState, type SyntheticEvent } from 'react';

import { invalidateDecisions, useBackend, type Decision, type DecisionStatus, type Finding, type Severity } from '../api';
import { formatInstantText, statusLabel } from '../format';
import { ruleName, ruleTitle } from '../rules';
import { ErrorNotice } from './ErrorNotice';
// The finding and decision styles live with the Findings screen's; both screens use this card.
import '../screens/findings.css';

const DECISION_STATUSES: readonly DecisionStatus[] = ['accepted', 'false-positive', 'remediated'];

/** How many triggering instants to list before summarising the rest. */
const OCCURRENCES_SHOWN = 12;

/** A severity as a coloured pill; the word is always there, so colour is never the only cue. */
export function SeverityBadge({ severity }: { severity: Severity }) {
  return <span className={`badge badge-${severity}`}>{severity}</span>;
}

/**
 * The decision in force in one line (what, why, who and when); for a reopened finding, when it
 * occurred again; and how many decisions came before it.
 */
export function DecisionSummary({ decision }: { decision: Decision }) {
  const earlier = decision.history.length - 1;
  const [firstLater] = decision.later_occurrences;
  return (
    <p className="decision-summary" data-testid="finding-decision">
      <span className={`badge decision-badge decision-${decision.status}`}>{statusLabel(decision.status)}</span>{' '}
      {decision.status === 'reopened' && firstLater !== undefined && (
        <span className="decision-reopened-note" data-testid="finding-reopened">
          remediated, then occurred again on {formatInstantText(firstLater)}
          {decision.later_occurrences.length > 1 ? ` (+${String(decision.later_occurrences.length - 1)} more)` : ''}:{' '}
        </span>
      )}
      <span className="decision-note">“{decision.note}”</span>{' '}
      <span className="decision-meta">
        {decision.by === null ? 'recorded' : `by ${decision.by}`}, {formatInstantText(decision.at)}
        {earlier > 0 ? ` · ${String(earlier)} earlier ${earlier === 1 ? 'decision' : 'decisions'} kept` : ''}
      </span>
    </p>
  );
}

/** The status a new decision starts from: the one in force (a reopened finding: remediated). */
function initialStatus(decision: Decision | null): DecisionStatus {
  if (decision === null) return 'accepted';
  return decision.status === 'reopened' ? 'remediated' : decision.status;
}

/** Why the finding exists: explanation, legal basis, every triggering instant, systems. */
export function FindingDetails({
  finding,
  onSelectEvent,
}: {
  finding: Finding;
  /** When given, the events the finding rests on become buttons (the timeline shows their source). */
  onSelectEvent?: ((eventId: number) => void) | undefined;
}) {
  const hiddenOccurrences = finding.occurrences.length - OCCURRENCES_SHOWN;
  return (
    <div className="finding-details">
      <p className="finding-explanation">{finding.explanation}</p>
      <dl className="finding-facts">
        <div>
          <dt>Legal reference</dt>
          <dd>{finding.legal_reference}</dd>
        </div>
        <div>
          <dt>Occurrences</dt>
          <dd>
            <ul className="finding-occurrences">
              {finding.occurrences.slice(0, OCCURRENCES_SHOWN).map((occurrence) => (
                <li key={occurrence}>{formatInstantText(occurrence)}</li>
              ))}
              {hiddenOccurrences > 0 && <li className="muted-inline">and {hiddenOccurrences} more</li>}
              {finding.occurrences.length === 0 && <li className="muted-inline">no instant recorded</li>}
            </ul>
          </dd>
        </div>
        <div>
          <dt>Systems</dt>
          <dd>{finding.systems.length > 0 ? finding.systems.join(', ') : '—'}</dd>
        </div>
        {onSelectEvent !== undefined && finding.event_ids.length > 0 && (
          <div>
            <dt>Events</dt>
            <dd className="finding-events">
              {finding.event_ids.map((eventId) => (
                <button
                  key={eventId}
                  type="button"
                  className="link-button"
                  onClick={() => {
                    onSelectEvent(eventId);
                  }}
                >
                  #{eventId}
                </button>
              ))}
            </dd>
          </div>
        )}
      </dl>
    </div>
  );
}

/**
 * Records an auditor's decision on a finding. The note is required: a decision without a reason
 * is no evidence of review. Decisions survive re-audits, so the stored one is shown above the form.
 */
export function DecisionForm({
  finding,
  onDecided,
}: {
  finding: Finding;
  onDecided?: ((decision: Decision) => void) | undefined;
}) {
  const formId = useId();
  const [recorded, setRecorded] = useState<Decision | null>(null);
  const current = recorded ?? finding.decision;
  const [status, setStatus] = useState<DecisionStatus>(initialStatus(current));
  const [note, setNote] = useState('');
  const [by, setBy] = useState('');
  const backend = useBackend();
  const client = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const noteMissing = note.trim() === '';

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    if (noteMissing || busy) return;
    const name = by.trim() === '' ? null : by.trim();
    setBusy(true);
    setError(null);
    backend.decideFinding(finding.id, status, note.trim(), name).then(
      (decision) => {
        setBusy(false);
        setRecorded(decision);
        setNote('');
        // The findings, the timelines that show them and the audit log are read again.
        void invalidateDecisions(client);
        onDecided?.(decision);
      },
      (reason: unknown) => {
        setBusy(false);
        setError(reason);
      },
    );
  };

  return (
    <form className="decision-form" onSubmit={submit} aria-label={`Decision on ${ruleTitle(finding.rule)}`}>
      {current === null ? (
        <p className="decision-summary muted-inline">No decision yet.</p>
      ) : (
        <DecisionSummary decision={current} />
      )}
      <div className="decision-fields">
        <label>
          Decision
          <select
            value={status}
            onChange={(event) => {
              setStatus(event.target.value as DecisionStatus);
            }}
            data-testid="decision-status"
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
            data-testid="decision-by"
          />
        </label>
      </div>
      <label className="decision-note-label" htmlFor={`${formId}-note`}>
        Note <span className="muted-inline">(required: why this decision)</span>
      </label>
      <textarea
        id={`${formId}-note`}
        value={note}
        required
        onChange={(event) => {
          setNote(event.target.value);
        }}
        data-testid="decision-note"
      />
      <div className="toolbar">
        <button type="submit" disabled={noteMissing || busy} data-testid="decision-submit">
          {busy ? 'Saving…' : current === null ? 'Record decision' : 'Change decision'}
        </button>
        {busy && (
          <span role="status" className="muted-inline">
            Saving the decision…
          </span>
        )}
      </div>
      {error !== null && <ErrorNotice error={error} title="The decision was not saved" />}
    </form>
  );
}

/** A finding with everything needed to judge it, and the form to record the judgement. */
export function FindingCard({
  finding,
  onDecided,
  onSelectEvent,
  testId,
}: {
  finding: Finding;
  onDecided?: ((decision: Decision) => void) | undefined;
  onSelectEvent?: ((eventId: number) => void) | undefined;
  testId?: string | undefined;
}) {
  return (
    <article className="finding-card" id={findingAnchor(finding.id)} tabIndex={-1} data-testid={testId}>
      <header className="finding-card-head">
        <SeverityBadge severity={finding.severity} />
        <strong>{ruleName(finding.rule)}</strong>
        <span className="mono rule-code" title={finding.code}>
          {finding.rule}
        </span>
        <span className="finding-card-meta">
          {finding.purpose !== null && <span>Purpose: {finding.purpose}</span>}
          {finding.recipient !== null && <span>Recipient: {finding.recipient}</span>}
          <span>At: {formatInstantText(finding.at)}</span>
        </span>
      </header>
      <FindingDetails finding={finding} onSelectEvent={onSelectEvent} />
      <DecisionForm finding={finding} onDecided={onDecided} />
    </article>
  );
}

/** The DOM id of a finding's card, so a marker on the chart can bring it into view. */
export function findingAnchor(findingId: string): string {
  return `finding-${findingId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}
