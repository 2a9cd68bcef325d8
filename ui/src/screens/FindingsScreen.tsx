import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useState, type Dispatch, type SetStateAction } from 'react';

import {
  queryKeys,
  useBackend,
  useFindingsBreakdownQuery,
  type Finding,
  type FindingBreakdown,
  type FindingFilter,
} from '../api';
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

/** A breakdown of the findings under `filter`: cached, and read again when the findings change. */
function useBreakdown(filter: FindingFilter): { status: 'ready'; value: FindingBreakdown } | { status: 'error'; error: unknown } | null {
  const query = useFindingsBreakdownQuery(filter);
  if (query.status === 'error') return { status: 'error', error: query.error };
  if (query.status === 'pending') return null;
  return { status: 'ready', value: query.data };
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
  rows: Finding[];
  total: number;
}

/**
 * The findings under `filter`, a page at a time. The cache entry holds every row loaded for the
 * filter ("Load more" appends to it); a re-read after an invalidation (a decision, an audit, an
 * import) asks for as many rows as were showing in one request, so the officer keeps their place.
 * Coming back to the screen with more rows than a page for the filter the shell kept reads them
 * afresh in one request too (`firstLimit` is part of the key).
 */
function useFindingsList(filter: FindingFilter, restored: FindingsView, onRowsShown: (rows: number) => void) {
  const backend = useBackend();
  const client = useQueryClient();
  const firstLimit = filter === restored.filter ? Math.max(PAGE_SIZE, restored.rows) : PAGE_SIZE;
  const key = queryKeys.findings.list(filter, firstLimit);
  const query = useQuery({
    queryKey: key,
    queryFn: async (): Promise<FindingList> => {
      const shown = client.getQueryData<FindingList>(key)?.rows.length ?? 0;
      const page = await backend.findingsPage(filter, Math.max(firstLimit, shown), 0);
      return { rows: page.rows, total: page.total };
    },
    // While another filter loads, the list shown so far stays (busy).
    placeholderData: (previous) => previous,
    // A filter chosen again shows its cached rows at once and reads them again (as the screen
    // always did on a filter change); switching screens still shows the cache without waiting.
    staleTime: 0,
  });
  const [more, setMore] = useState<{ key: string; error: unknown } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const keyText = JSON.stringify(key);
  const list = query.data ?? null;

  useEffect(() => {
    if (list !== null && !query.isPlaceholderData) onRowsShown(list.rows.length);
  }, [list, query.isPlaceholderData, onRowsShown]);

  const loadMore = () => {
    if (list === null || loadingMore || query.isPlaceholderData) return;
    setLoadingMore(true);
    setMore(null);
    backend.findingsPage(filter, PAGE_SIZE, list.rows.length).then(
      (page) => {
        setLoadingMore(false);
        client.setQueryData<FindingList>(key, (previous) => {
          if (previous === undefined) return previous;
          // Findings can change between pages (another audit): never show one twice.
          const seen = new Set(previous.rows.map((finding) => finding.id));
          return { rows: [...previous.rows, ...page.rows.filter((finding) => !seen.has(finding.id))], total: page.total };
        });
      },
      (reason: unknown) => {
        setLoadingMore(false);
        setMore({ key: keyText, error: reason });
      },
    );
  };

  const moreError = more?.key === keyText ? more.error : null;
  return {
    list,
    loading: query.isFetching,
    error: query.isError ? query.error : moreError,
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
  // Read again (through invalidation) after an audit, a decision or a change to the data.
  const facets = useBreakdown(NO_FILTER);
  const breakdown = useBreakdown(filter);
  // The view as the screen opened: where the list was when the user left it.
  const [restored] = useState(view);
  const findings = useFindingsList(filter, restored, setRowsShown);

  // Stable callbacks, so the memoised charts redraw only when their data changes.
  const setDimension = useCallback((dimension: Dimension, value: string | null) => {
    setFilter((previous) => withDimension(previous, dimension, value));
  }, [setFilter]);

  const facetsValue = facets?.status === 'ready' ? facets.value : null;
  return (
    <section className="screen findings-screen" aria-labelledby="findings-title">
      <h2 className="screen-title" id="findings-title">
        Findings
      </h2>
      <AuditPanel auditedAt={facetsValue === null ? undefined : facetsValue.audited_at} />
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
      <FindingsSection findings={findings} filter={filter} onOpenSubject={onOpenSubject} />
    </section>
  );
}

function FindingsSection({
  findings,
  filter,
  onOpenSubject,
}: {
  findings: ReturnType<typeof useFindingsList>;
  /** The filter the list shows: what Export… writes. */
  filter: FindingFilter;
  onOpenSubject: (subjectId: number) => void;
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
        <FindingsList rows={list.rows} onOpenSubject={onOpenSubject} />
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
