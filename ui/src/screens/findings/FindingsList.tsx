import { useEffect, useId, useRef, useState } from 'react';

import type { DecisionStatus, Finding } from '../../api';
import { DecisionForm, FindingDetails, SeverityBadge } from '../../components/FindingCard';
import { countOf, formatInstantText, identifierSummary, statusLabel } from '../../format';
import { ruleName } from '../../rules';
import { BulkDecision } from './BulkDecision';

/**
 * The findings on screen, each expandable to its explanation and decision form, and selectable
 * (one by one or all shown) for one decision with one note on all of them.
 */
export function FindingsList({
  rows,
  onOpenSubject,
  onDecided,
}: {
  rows: readonly Finding[];
  onOpenSubject: (subjectId: number) => void;
  /** After any decision here (the decision itself invalidates the findings, so they are read again). */
  onDecided?: (() => void) | undefined;
}) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const [bulkDone, setBulkDone] = useState<string | null>(null);
  const toggle = (findingId: string) => {
    setExpanded((previous) => {
      const next = new Set(previous);
      if (!next.delete(findingId)) next.add(findingId);
      return next;
    });
  };
  // Only findings on screen can be selected: a filter that hides one drops it from the selection.
  const selected = rows.filter((finding) => picked.has(finding.id)).map((finding) => finding.id);
  const allSelected = rows.length > 0 && selected.length === rows.length;
  const selectAll = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (selectAll.current !== null) selectAll.current.indeterminate = selected.length > 0 && !allSelected;
  }, [selected.length, allSelected]);
  const pick = (findingId: string, on: boolean) => {
    setBulkDone(null);
    setPicked((previous) => {
      const next = new Set([...previous].filter((each) => rows.some((finding) => finding.id === each)));
      if (on) next.add(findingId);
      else next.delete(findingId);
      return next;
    });
  };
  const bulkDecided = (count: number, status: DecisionStatus) => {
    setPicked(new Set());
    setBulkDone(`${countOf(count, 'finding')} marked ${statusLabel(status)}.`);
    onDecided?.();
  };
  return (
    <>
      {selected.length > 0 && (
        <BulkDecision
          selected={selected}
          onClear={() => {
            setPicked(new Set());
          }}
          onDecided={bulkDecided}
        />
      )}
      <p role="status" className="muted-inline bulk-done" data-testid="bulk-done">
        {bulkDone}
      </p>
      <div className="table-scroll findings-list">
        <table className="table">
          <caption className="sr-only">
            Findings; select some to decide them at once, or expand one to read its explanation and record a decision
          </caption>
          <thead>
            <tr>
              <th scope="col" className="finding-select-cell">
                <input
                  ref={selectAll}
                  type="checkbox"
                  checked={allSelected}
                  aria-label={`Select all ${countOf(rows.length, 'finding')} shown`}
                  data-testid="findings-select-page"
                  onChange={(event) => {
                    setBulkDone(null);
                    setPicked(event.target.checked ? new Set(rows.map((finding) => finding.id)) : new Set());
                  }}
                />
              </th>
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
              selected={picked.has(finding.id)}
              onSelect={pick}
              onToggle={toggle}
              onOpenSubject={onOpenSubject}
              onDecided={onDecided}
            />
          ))}
        </table>
      </div>
    </>
  );
}

const COLUMNS = 10;

/** A finding as a row group: the summary line, and when expanded the details below it. */
function FindingRow({
  finding,
  expanded,
  selected,
  onSelect,
  onToggle,
  onOpenSubject,
  onDecided,
}: {
  finding: Finding;
  expanded: boolean;
  selected: boolean;
  onSelect: (findingId: string, on: boolean) => void;
  onToggle: (findingId: string) => void;
  onOpenSubject: (subjectId: number) => void;
  onDecided?: (() => void) | undefined;
}) {
  const detailsId = useId();
  const { shown, more } = identifierSummary(finding.subject.identifiers, 1);
  const subjectName = shown[0] ?? `Subject #${String(finding.subject.id)}`;
  const status = finding.decision?.status ?? 'open';
  return (
    <tbody className="finding-group" data-testid="finding-row" data-finding-id={finding.id}>
      <tr className="finding-summary-row">
        <td className="finding-select-cell">
          <input
            type="checkbox"
            checked={selected}
            aria-label={`Select ${ruleName(finding.rule)} (${finding.rule}) for ${subjectName}`}
            data-testid="finding-select"
            onChange={(event) => {
              onSelect(finding.id, event.target.checked);
            }}
          />
        </td>
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
