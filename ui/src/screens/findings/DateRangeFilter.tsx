import { useState } from 'react';

import type { FindingFilter } from '../../api';
import { dateRangeProblem, hasDates, withDates } from './filters';

/** The range in words, as it reads on screen and on paper (where the date inputs are not printed). */
function rangeText(from: string, to: string): string {
  if (from !== '' && to !== '') return `Occurring from ${from} to ${to} (UTC)`;
  return from !== '' ? `Occurring on or after ${from} (UTC)` : `Occurring on or before ${to} (UTC)`;
}

/**
 * The Findings date range: a finding is listed when one of its occurrences (the offending
 * events' times) falls on a day from "From" to "To", both included, in UTC. Findings with no
 * time at all ("as of the export") are kept unless the officer leaves them out, so a range never
 * hides them silently. A range that starts after it ends is shown as such and not applied.
 */
export function DateRangeFilter({
  filter,
  onChange,
}: {
  filter: FindingFilter;
  onChange: (next: FindingFilter) => void;
}) {
  // The dates typed but not applied (a backwards range); null when the filter's are shown.
  const [draft, setDraft] = useState<{ from: string; to: string } | null>(null);
  const from = draft?.from ?? filter.from ?? '';
  const to = draft?.to ?? filter.to ?? '';
  const excludeUndated = filter.exclude_undated === true;
  const problem = dateRangeProblem(from, to);
  const ranged = hasDates(filter) || draft !== null;

  const change = (nextFrom: string, nextTo: string) => {
    if (dateRangeProblem(nextFrom, nextTo) !== null) {
      setDraft({ from: nextFrom, to: nextTo });
      return;
    }
    setDraft(null);
    onChange(withDates(filter, nextFrom, nextTo, excludeUndated));
  };

  return (
    <div className="findings-dates" role="group" aria-label="Date range (UTC)">
      <label>
        From (UTC)
        <input
          type="date"
          value={from}
          max={to || undefined}
          className={from === '' ? undefined : 'findings-filter-active'}
          aria-invalid={problem !== null}
          aria-describedby={problem === null ? 'findings-dates-note' : 'findings-dates-problem'}
          data-testid="findings-from"
          onChange={(event) => {
            change(event.target.value, to);
          }}
        />
      </label>
      <label>
        To (UTC)
        <input
          type="date"
          value={to}
          min={from || undefined}
          className={to === '' ? undefined : 'findings-filter-active'}
          aria-invalid={problem !== null}
          aria-describedby={problem === null ? 'findings-dates-note' : 'findings-dates-problem'}
          data-testid="findings-to"
          onChange={(event) => {
            change(from, event.target.value);
          }}
        />
      </label>
      <label className="findings-dates-undated">
        <input
          type="checkbox"
          checked={!excludeUndated}
          disabled={!hasDates(filter)}
          data-testid="findings-include-undated"
          onChange={(event) => {
            onChange(withDates(filter, filter.from ?? '', filter.to ?? '', !event.target.checked));
          }}
        />
        Include undated findings
      </label>
      <button
        type="button"
        disabled={!ranged}
        data-testid="findings-dates-clear"
        onClick={() => {
          setDraft(null);
          onChange(withDates(filter, '', '', false));
        }}
      >
        Clear dates
      </button>
      {problem !== null ? (
        <p role="alert" className="findings-dates-problem" id="findings-dates-problem" data-testid="findings-dates-problem">
          {problem} The list still shows the last valid range.
        </p>
      ) : (
        <p className="muted-inline findings-dates-note" id="findings-dates-note" data-testid="findings-dates-note">
          {hasDates(filter) && <strong>{rangeText(filter.from ?? '', filter.to ?? '')}. </strong>}
          Days run from 00:00 to 24:00 UTC, both included; a finding counts when any of its occurrences falls in the
          range.
          {hasDates(filter) &&
            (excludeUndated
              ? ' Findings with no date are left out.'
              : ' Findings with no date (recorded “as of the export”) are kept.')}
        </p>
      )}
    </div>
  );
}
