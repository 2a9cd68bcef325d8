import { useId, useState } from 'react';

import type { Decision, Finding } from '../../api';
import { DecisionForm, FindingDetails, SeverityBadge } from '../../components/FindingCard';
import { formatInstantText, identifierSummary, statusLabel } from '../../format';
import { ruleName } from '../../rules';

/** The findings on screen, each expandable to its explanation and decision form. */
export function FindingsList({
  rows,
  onOpenSubject,
  onDecided,
}: {
  rows: readonly Finding[];
  onOpenSubject: (subjectId: number) => void;
  onDecided: (decision: Decision) => void;
}) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const toggle = (findingId: string) => {
    setExpanded((previous) => {
      const next = new Set(previous);
      if (!next.delete(findingId)) next.add(findingId);
      return next;
    });
  };
  return (
    <div className="table-scroll findings-list">
      <table className="table">
        <caption className="sr-only">Findings; expand one to read its explanation and record a decision</caption>
        <thead>
          <tr>
            <th scope="col">
              <span className="sr-only">Details</span>
            </th>
            <th scope="col">Severity</th>
            <th scope="col">Rule</th>
            <th scope="col">Subject</th>
            <th scope="col">Purpose</th>
            <th scope="col">Recipient</th>
            <th scope="col">At</th>
            <th scope="col">Systems</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        {rows.map((finding) => (
          <FindingRow
            key={finding.id}
            finding={finding}
            expanded={expanded.has(finding.id)}
            onToggle={toggle}
            onOpenSubject={onOpenSubject}
            onDecided={onDecided}
          />
        ))}
      </table>
    </div>
  );
}

const COLUMNS = 9;

/** A finding as a row group: the summary line, and when expanded the details below it. */
function FindingRow({
  finding,
  expanded,
  onToggle,
  onOpenSubject,
  onDecided,
}: {
  finding: Finding;
  expanded: boolean;
  onToggle: (findingId: string) => void;
  onOpenSubject: (subjectId: number) => void;
  onDecided: (decision: Decision) => void;
}) {
  const detailsId = useId();
  const { shown, more } = identifierSummary(finding.subject.identifiers, 1);
  const subjectName = shown[0] ?? `Subject #${String(finding.subject.id)}`;
  const status = finding.decision?.status ?? 'open';
  return (
    <tbody className="finding-group" data-testid="finding-row" data-finding-id={finding.id}>
      <tr className="finding-summary-row">
        <td>
          <button
            type="button"
            className="finding-expand"
            aria-expanded={expanded}
            aria-controls={expanded ? detailsId : undefined}
            aria-label={`${expanded ? 'Hide' : 'Show'} details of ${ruleName(finding.rule)} (${finding.rule}) for ${subjectName}`}
            data-testid="finding-expand"
            onClick={() => {
              onToggle(finding.id);
            }}
          >
            {expanded ? '▾' : '▸'}
          </button>
        </td>
        <td>
          <SeverityBadge severity={finding.severity} />
        </td>
        <td className="finding-rule">
          <strong>{ruleName(finding.rule)}</strong>{' '}
          <span className="muted-inline rule-code" title={finding.code}>
            {finding.rule}
          </span>
        </td>
        <td>
          <button
            type="button"
            className="link-button"
            data-testid="finding-subject"
            title="Open this subject's timeline"
            onClick={() => {
              onOpenSubject(finding.subject.id);
            }}
          >
            {subjectName}
          </button>
          {more > 0 && <span className="muted-inline"> +{more}</span>}
        </td>
        <td>{finding.purpose ?? '—'}</td>
        <td>{finding.recipient ?? '—'}</td>
        <td>{formatInstantText(finding.at)}</td>
        <td>{finding.systems.join(', ')}</td>
        <td>
          <span className={`badge decision-${status}`}>{statusLabel(status)}</span>
        </td>
      </tr>
      {expanded && (
        <tr className="finding-detail-row" id={detailsId}>
          <td colSpan={COLUMNS}>
            <FindingDetails finding={finding} />
            <DecisionForm finding={finding} onDecided={onDecided} />
          </td>
        </tr>
      )}
    </tbody>
  );
}
