import { useCallback, useEffect, useRef, useState, type Dispatch, type SetStateAction } from 'react';

import { useBackend, type Finding, type FindingBreakdown, type FindingFilter } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { PrintButton } from '../components/PrintButton';
import { countOf } from '../format';
import { AuditPanel } from './findings/AuditPanel';
import { BreakdownCharts } from './findings/BreakdownCharts';
import { DateRangeFilter } from './findings/DateRangeFilter';
import { ExportButton } from './findings/ExportButton';
import { FilterBar } from './findings/FilterBar';
import { withDimension, type Dimension } from './findings/filters';
import { FindingsList } from './findings/FindingsList';
import './findings.css';

/** Findings per request; "Load more" asks for the next page from SQLite. */
const PAGE_SIZE = 50;

/**
 * The answer to the latest request, tagged with what was asked (`request`) so a screen can tell
 * a fresh answer from one still standing in for a newer request.
 */
type Answer<T> = { request: string; status: 'ready'; value: T } | { request: string; status: 'error'; error: unknown };

/** A breakdown of the findings under `filter`; refetched when the filter or `version` changes. */
function useBreakdown(filter: FindingFilter, version: number): Answer<FindingBreakdown> | null {
  const backend = useBackend();
  const [answer, setAnswer] = useState<Answer<FindingBreakdown> | null>(null);
  useEffect(() => {
    let current = true;
    const request = `${JSON.stringify(filter)}#${String(version)}`;
    backend.findingsBreakdown(filter).then(
      (value) => {
        if (current) setAnswer({ request, status: 'ready', value });
      },
      (error: unknown) => {
        if (current) setAnswer({ request, status: 'error', error });
      },
    );
    return () => {
      current = false;
    };
  }, [backend, filter, version]);
  return answer;
}

/** The unfiltered breakdown: the purposes, systems and months there are to filter by. */
const NO_FILTER: FindingFilter = {};

/**
 * What the Findings screen shows: its filters and how many rows are loaded. Held by the app
 * shell (like `SubjectListView`), so that Back from a subject opened here returns to the same
 * filters and place in the list.
 */
export interface FindingsView {
  filter: FindingFilter;
  /** Rows loaded ("Load more" pages); reloaded up to this many for the same filter. */
  rows: number;
}

export const INITIAL_FINDINGS_VIEW: FindingsView = { filter: NO_FILTER, rows: 0 };

/** The view from the shell when given, else one of the screen's own. */
function useFindingsView(
  view: FindingsView | undefined,
  onViewChange: Dispatch<SetStateAction<FindingsView>> | undefined,
): [FindingsView, Dispatch<SetStateAction<FindingsView>>] {
  const own = useState<FindingsView>(INITIAL_FINDINGS_VIEW);
  return view !== undefined && onViewChange !== undefined ? [view, onViewChange] : own;
}

interface FindingList {
  request: string;
  rows: Finding[];
  total: number;
}

/**
 * The findings under `filter`, a page at a time. A refresh for the same filter (after a decision
 * or an audit) reloads as many rows as were showing, so the officer keeps their place.
 */
function useFindingsList(
  filter: FindingFilter,
  version: number,
  restored: FindingsView,
  onRowsShown: (rows: number) => void,
) {
  const backend = useBackend();
  const request = `${JSON.stringify(filter)}#${String(version)}`;
  const [list, setList] = useState<FindingList | null>(null);
  const [error, setError] = useState<{ request: string; error: unknown } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  // Coming back to the screen: as many rows as were loaded for the filter the shell kept.
  const shownRows = useRef(restored.rows);
  const shownFilter = useRef<FindingFilter | null>(restored.filter);

  useEffect(() => {
    if (list !== null) onRowsShown(list.rows.length);
  }, [list, onRowsShown]);

  useEffect(() => {
    let current = true;
    const sameFilter = shownFilter.current === filter;
    shownFilter.current = filter;
    const limit = sameFilter ? Math.max(PAGE_SIZE, shownRows.current) : PAGE_SIZE;
    const request = `${JSON.stringify(filter)}#${String(version)}`;
    backend.findingsPage(filter, limit, 0).then(
      (page) => {
        if (!current) return;
        shownRows.current = page.rows.length;
        setList({ request, rows: page.rows, total: page.total });
      },
      (reason: unknown) => {
        if (current) setError({ request, error: reason });
      },
    );
    return () => {
      current = false;
    };
  }, [backend, filter, version]);

  const loadMore = () => {
    if (list === null || loadingMore) return;
    setLoadingMore(true);
    const loadedFor = list.request;
    backend.findingsPage(filter, PAGE_SIZE, list.rows.length).then(
      (page) => {
        setLoadingMore(false);
        setList((previous) => {
          if (previous?.request !== loadedFor) return previous;
          // Findings can change between pages (another audit): never show one twice.
          const seen = new Set(previous.rows.map((finding) => finding.id));
          const rows = [...previous.rows, ...page.rows.filter((finding) => !seen.has(finding.id))];
          shownRows.current = rows.length;
          return { ...previous, rows, total: page.total };
        });
      },
      (reason: unknown) => {
        setLoadingMore(false);
        setError({ request: loadedFor, error: reason });
      },
    );
  };

  return {
    list,
    loading: list?.request !== request && error?.request !== request,
    error: error !== null && (error.request === request || error.request === list?.request) ? error.error : null,
    loadingMore,
    loadMore,
  };
}

/** Findings: run the audit, filter, see the dashboard, work through the list and decide. */
export function FindingsScreen({
  onOpenSubject,
  view: heldView,
  onViewChange: heldViewChange,
}: {
  onOpenSubject: (subjectId: number) => void;
  /** Held by the caller, so that coming back from a subject shows the same filters and rows. */
  view?: FindingsView;
  onViewChange?: Dispatch<SetStateAction<FindingsView>>;
}) {
  const [view, setView] = useFindingsView(heldView, heldViewChange);
  const { filter } = view;
  const setFilter = useCallback(
    (next: SetStateAction<FindingFilter>) => {
      setView((previous) => ({
        ...previous,
        filter: typeof next === 'function' ? next(previous.filter) : next,
      }));
    },
    [setView],
  );
  const setRowsShown = useCallback(
    (rows: number) => {
      setView((previous) => (previous.rows === rows ? previous : { ...previous, rows }));
    },
    [setView],
  );
  /** Bumped after an audit or a decision: everything on screen is fetched again. */
  const [version, setVersion] = useState(0);
  const facets = useBreakdown(NO_FILTER, version);
  const breakdown = useBreakdown(filter, version);
  // The view as the screen opened: where the list was when the user left it.
  const [restored] = useState(view);
  const findings = useFindingsList(filter, version, restored, setRowsShown);

  // Stable callbacks, so the memoised charts redraw only when their data changes.
  const refresh = useCallback(() => {
    setVersion((previous) => previous + 1);
  }, []);
  const setDimension = useCallback((dimension: Dimension, value: string | null) => {
    setFilter((previous) => withDimension(previous, dimension, value));
  }, [setFilter]);

  const facetsValue = facets?.status === 'ready' ? facets.value : null;
  return (
    <section className="screen findings-screen" aria-labelledby="findings-title">
      <h2 className="screen-title" id="findings-title">
        Findings
      </h2>
      <AuditPanel auditedAt={facetsValue === null ? undefined : facetsValue.audited_at} onAudited={refresh} />
      <FilterBar
        filter={filter}
        facets={facetsValue}
        onChange={setDimension}
        onClear={() => {
          setFilter(NO_FILTER);
        }}
      />
      <DateRangeFilter filter={filter} onChange={setFilter} />
      {facets?.status === 'error' && <ErrorNotice error={facets.error} title="The findings could not be counted" />}
      {breakdown?.status === 'error' && (
        <ErrorNotice error={breakdown.error} title="The dashboard could not be drawn" />
      )}
      {breakdown?.status === 'ready' && (
        <BreakdownCharts breakdown={breakdown.value} filter={filter} onPick={setDimension} />
      )}
      <FindingsSection findings={findings} filter={filter} onOpenSubject={onOpenSubject} onDecided={refresh} />
    </section>
  );
}

function FindingsSection({
  findings,
  filter,
  onOpenSubject,
  onDecided,
}: {
  findings: ReturnType<typeof useFindingsList>;
  /** The filter the list shows: what Export… writes. */
  filter: FindingFilter;
  onOpenSubject: (subjectId: number) => void;
  onDecided: () => void;
}) {
  const { list } = findings;
  return (
    <section className="card" aria-labelledby="findings-list-title" aria-busy={findings.loading}>
      <div className="toolbar">
        <h3 className="card-title" id="findings-list-title">
          List
        </h3>
        <span className="spacer" />
        <span data-testid="findings-total" aria-live="polite">
          {list === null ? '' : countOf(list.total, 'finding')}
        </span>
        <PrintButton testId="findings-print" what="the dashboard and the findings listed, with their filters" />
        <ExportButton filter={filter} />
      </div>
      {findings.loading && (
        <p role="status" className="muted-inline">
          Loading findings…
        </p>
      )}
      {findings.error !== null && <ErrorNotice error={findings.error} title="The findings could not be loaded" />}
      {list !== null && list.rows.length === 0 && !findings.loading && (
        <p className="muted-inline" data-testid="findings-empty">
          No findings match these filters.
        </p>
      )}
      {list !== null && list.rows.length > 0 && (
        <FindingsList rows={list.rows} onOpenSubject={onOpenSubject} onDecided={onDecided} />
      )}
      {list !== null && list.rows.length < list.total && (
        <div className="findings-more">
          <button type="button" onClick={findings.loadMore} disabled={findings.loadingMore} data-testid="load-more">
            {findings.loadingMore ? 'Loading…' : 'Load more'}
          </button>
          <span className="muted-inline">
            Showing {list.rows.length} of {countOf(list.total, 'finding')}
          </span>
        </div>
      )}
    </section>
  );
}
