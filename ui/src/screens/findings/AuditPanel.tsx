import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';

import { invalidateData, useBackend, type AuditProgress, type AuditSummary } from '../../api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { countOf, formatInstantText } from '../../format';
import { ruleTitle } from '../../rules';

/**
 * Runs the rules again over everything stored, and says when the findings on screen were
 * computed. Rules that lacked the data they need are listed, so "no findings" is never mistaken
 * for "checked and fine".
 */
export function AuditPanel({
  auditedAt,
  onAudited,
}: {
  /** Undefined while not known (loading, or the breakdown failed and says so itself). */
  auditedAt: string | null | undefined;
  /** After the audit (its mutation has invalidated everything derived from the findings). */
  onAudited?: (() => void) | undefined;
}) {
  const backend = useBackend();
  const client = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [summary, setSummary] = useState<AuditSummary | null>(null);
  const [progress, setProgress] = useState<AuditProgress | null>(null);
  const [error, setError] = useState<unknown>(null);

  const run = () => {
    setBusy(true);
    setError(null);
    setProgress(null);
    backend.runAudit(setProgress).then(
      (result) => {
        setBusy(false);
        setSummary(result);
        // New findings: everything that shows them (counts, lists, timelines, the log) is read again.
        void invalidateData(client);
        onAudited?.();
      },
      (reason: unknown) => {
        setBusy(false);
        setError(reason);
      },
    );
  };

  return (
    <section className="card findings-audit" aria-label="Audit">
      <div className="toolbar">
        <button type="button" className="primary" onClick={run} disabled={busy} data-testid="run-audit">
          {busy ? 'Running the audit…' : 'Run audit'}
        </button>
        <span className="findings-audit-date" data-testid="audited-at">
          {auditedAt === undefined
            ? ''
            : auditedAt === null
              ? 'No audit yet'
              : `Findings of the audit of ${formatInstantText(auditedAt)}`}
        </span>
      </div>
      {busy && (
        <div role="status" data-testid="audit-progress">
          <p className="muted-inline">
            Running the rules over every subject
            {progress !== null && progress.total > 0
              ? `: ${countOf(progress.done, 'subject')} of ${progress.total.toLocaleString('en-GB')} checked`
              : '…'}
          </p>
          <progress
            className="progress"
            max={progress?.total ?? undefined}
            value={progress?.done ?? undefined}
            aria-label="Audit progress"
          />
        </div>
      )}
      {error !== null && <ErrorNotice error={error} title="The audit did not run" />}
      {summary !== null && <AuditResult summary={summary} />}
    </section>
  );
}

function AuditResult({ summary }: { summary: AuditSummary }) {
  return (
    <>
      <div className="notice notice-ok" role="status" data-testid="audit-summary">
        <p className="notice-title">Audit finished</p>
        <p>
          {countOf(summary.findings, 'finding')} · {countOf(summary.subjects, 'subject')} ·{' '}
          {countOf(summary.events, 'event')}
        </p>
      </div>
      {summary.not_evaluated.length > 0 && (
        <div className="notice notice-warn" data-testid="audit-not-evaluated">
          <p className="notice-title">Not evaluated: these rules lacked the data they need</p>
          <ul className="findings-not-evaluated">
            {summary.not_evaluated.map((entry) => (
              <li key={`${entry.rule}|${entry.purpose ?? ''}`}>
                {ruleTitle(entry.rule)}
                {entry.purpose === null ? '' : ` for purpose ${entry.purpose}`}: {entry.reason}
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}
