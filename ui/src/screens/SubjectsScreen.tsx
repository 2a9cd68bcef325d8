import { useVirtualizer } from '@tanstack/react-virtual';
import { useQueries } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';

import { subjectsPageOptions, useBackend, type SubjectSort, type SubjectSummary } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { countOf, formatCount, identifierSummary, identifierText } from '../format';
import './subjects.css';

/** Rows per backend request: paging happens in SQLite, the list never holds every subject. */
const PAGE_SIZE = 200;
/** Fixed row height (px) so the virtualizer never has to measure; matches `.subject-row` in CSS. */
const ROW_HEIGHT = 48;
/** Wait this long after the last keystroke before searching, so typing does not flood the backend. */
const SEARCH_DELAY_MS = 250;

const SORT_LABELS: Record<SubjectSort, string> = {
  findings: 'Findings',
  events: 'Events',
  id: 'Subject id',
};

/** Counts read best largest first; ids read best in order. */
function defaultDescending(sort: SubjectSort): boolean {
  return sort !== 'id';
}

/** `value` once it has stopped changing for `delayMs`. */
function useDebounced<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => {
      setSettled(value);
    }, delayMs);
    return () => {
      clearTimeout(timer);
    };
  }, [value, delayMs]);
  return settled;
}

/**
 * Subject pages fetched on demand for one query (search, sort, direction), each a cached query
 * (read again, all of them, after a change to the data). `ensureRows` asks for the pages covering
 * a range of row indexes; pages already asked for are not asked twice.
 */
function useSubjectPages(search: string, sort: SubjectSort, descending: boolean) {
  const backend = useBackend();
  const key = JSON.stringify([search, sort, descending]);
  const [wanted, setWanted] = useState<{ key: string; offsets: readonly number[] }>({ key, offsets: [0] });
  const offsets = wanted.key === key ? wanted.offsets : [0];
  const results = useQueries({
    queries: offsets.map((offset) =>
      subjectsPageOptions(backend, { search, sort, descending, limit: PAGE_SIZE, offset }),
    ),
  });

  const pages = new Map<number, SubjectSummary[]>();
  let total: number | null = null;
  let error: unknown = null;
  results.forEach((result, index) => {
    const offset = offsets[index];
    if (result.data !== undefined && offset !== undefined) {
      pages.set(offset, result.data.rows);
      total = result.data.total;
    }
    if (result.isError && error === null) error = result.error;
  });

  const failed = error !== null;
  const ensureRows = useCallback(
    (first: number, last: number) => {
      if (failed) return;
      const firstPage = Math.floor(first / PAGE_SIZE) * PAGE_SIZE;
      setWanted((previous) => {
        const held = previous.key === key ? previous.offsets : [0];
        const more: number[] = [];
        for (let offset = firstPage; offset <= last; offset += PAGE_SIZE) {
          if (!held.includes(offset)) more.push(offset);
        }
        if (more.length === 0 && previous.key === key) return previous;
        return { key, offsets: [...held, ...more] };
      });
    },
    [failed, key],
  );

  const rowAt = (index: number): SubjectSummary | null => {
    const offset = Math.floor(index / PAGE_SIZE) * PAGE_SIZE;
    return pages.get(offset)?.[index - offset] ?? null;
  };

  const retry = () => {
    for (const result of results) {
      if (result.isError) void result.refetch();
    }
  };

  return { key, total: total as number | null, error, rowAt, ensureRows, retry };
}

/** What the subject list shows: the search as typed, and its order. */
export interface SubjectListView {
  searchText: string;
  sort: SubjectSort;
  descending: boolean;
}

export const INITIAL_SUBJECT_LIST_VIEW: SubjectListView = { searchText: '', sort: 'findings', descending: true };

interface SubjectsScreenProps {
  /** Held by the caller, so that coming back from a timeline shows the same search and order. */
  view: SubjectListView;
  onViewChange: (view: SubjectListView) => void;
  onOpenSubject: (subjectId: number) => void;
}

/** Subjects: search by any identifier, sort, and scroll a virtualised list of any length. */
export function SubjectsScreen({ view, onViewChange, onOpenSubject }: SubjectsScreenProps) {
  const { searchText, sort, descending } = view;
  const search = useDebounced(searchText.trim(), SEARCH_DELAY_MS);
  const subjects = useSubjectPages(search, sort, descending);

  const setSearchText = (text: string) => {
    onViewChange({ ...view, searchText: text });
  };
  const setOrder = (column: SubjectSort, columnDescending: boolean) => {
    onViewChange({ ...view, sort: column, descending: columnDescending });
  };
  const sortBy = (column: SubjectSort) => {
    setOrder(column, column === sort ? !descending : defaultDescending(column));
  };

  return (
    <section className="screen subjects-screen" aria-labelledby="subjects-title">
      <h2 className="screen-title" id="subjects-title">
        Subjects
      </h2>
      <div className="toolbar">
        <label>
          Search
          <input
            type="search"
            value={searchText}
            placeholder="E-mail, phone, system id or name"
            className="subject-search"
            data-testid="subject-search"
            onChange={(event) => {
              setSearchText(event.target.value);
            }}
          />
        </label>
        <label>
          Sort by
          <select
            value={sort}
            data-testid="subject-sort"
            onChange={(event) => {
              const column = event.target.value as SubjectSort;
              setOrder(column, defaultDescending(column));
            }}
          >
            {(Object.keys(SORT_LABELS) as SubjectSort[]).map((column) => (
              <option key={column} value={column}>
                {SORT_LABELS[column]}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input
            type="checkbox"
            checked={descending}
            data-testid="subject-descending"
            onChange={(event) => {
              setOrder(sort, event.target.checked);
            }}
          />
          Descending
        </label>
        <span className="spacer" />
        <SubjectCount total={subjects.total} search={search} failed={subjects.error !== null} />
      </div>

      {subjects.error !== null && (
        <div className="subjects-error">
          <ErrorNotice error={subjects.error} title="The subjects could not be loaded" />
          <button type="button" onClick={subjects.retry}>
            Try again
          </button>
        </div>
      )}

      {subjects.total === 0 ? (
        <EmptySubjects search={search} />
      ) : (
        <SubjectTable
          key={subjects.key}
          total={subjects.total ?? 0}
          loading={subjects.total === null && subjects.error === null}
          rowAt={subjects.rowAt}
          ensureRows={subjects.ensureRows}
          sort={sort}
          descending={descending}
          onSort={sortBy}
          onOpenSubject={onOpenSubject}
        />
      )}
    </section>
  );
}

/** "N subjects", or that the count is on its way. */
function SubjectCount({ total, search, failed }: { total: number | null; search: string; failed: boolean }) {
  const pending = failed ? 'Not counted' : 'Counting…';
  return (
    <span className="subject-count" data-testid="subject-count" aria-live="polite">
      {total === null ? pending : countOf(total, 'subject')}
      {total !== null && search !== '' && <span className="muted-inline"> matching “{search}”</span>}
    </span>
  );
}

function EmptySubjects({ search }: { search: string }) {
  return (
    <div className="card subjects-empty" data-testid="subjects-empty">
      {search === '' ? (
        <p>No subjects yet — import consent exports on the Import screen.</p>
      ) : (
        <p>No subject has an identifier or name containing “{search}”.</p>
      )}
    </div>
  );
}

interface SubjectTableProps {
  total: number;
  loading: boolean;
  rowAt: (index: number) => SubjectSummary | null;
  ensureRows: (first: number, last: number) => void;
  sort: SubjectSort;
  descending: boolean;
  onSort: (column: SubjectSort) => void;
  onOpenSubject: (subjectId: number) => void;
}

/**
 * The list as an ARIA table whose body is virtualised: only the rows in view (plus a margin)
 * exist in the DOM, and the pages they need are requested as they come into view.
 */
function SubjectTable(props: SubjectTableProps) {
  const { total, rowAt, ensureRows } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  // The virtualizer keeps mutable state outside React; this component is not compiled by the
  // React Compiler, so the warning about memoising its results does not apply.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    // React 19 warns about flushSync inside effects; plain re-renders are smooth enough here.
    useFlushSync: false,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    ensureRows(first, last);
  }, [ensureRows, first, last]);

  /** Arrow keys move between rows, scrolling the next one into view first. */
  const focusRow = (index: number) => {
    if (index < 0 || index >= total) return;
    virtualizer.scrollToIndex(index);
    requestAnimationFrame(() => {
      scrollRef.current?.querySelector<HTMLElement>(`[data-index="${String(index)}"]`)?.focus();
    });
  };

  return (
    <>
      {props.loading && (
        <p role="status" className="subject-loading">
          Loading subjects…
        </p>
      )}
      <div
        className="card subject-table"
        role="table"
        aria-label="Subjects"
        aria-rowcount={total + 1}
        aria-busy={props.loading}
      >
        <SubjectHeader sort={props.sort} descending={props.descending} onSort={props.onSort} />
        <div className="subject-scroll" ref={scrollRef} role="rowgroup" data-testid="subject-scroll">
          <div className="subject-canvas" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const subject = rowAt(item.index);
              const position = { transform: `translateY(${String(item.start)}px)`, height: ROW_HEIGHT };
              return subject === null ? (
                <PlaceholderRow key={item.key} index={item.index} style={position} />
              ) : (
                <SubjectRow
                  key={item.key}
                  index={item.index}
                  subject={subject}
                  style={position}
                  onOpen={props.onOpenSubject}
                  onMove={focusRow}
                />
              );
            })}
          </div>
        </div>
      </div>
    </>
  );
}

/** Column headers; the sortable ones are buttons and announce their order with `aria-sort`. */
function SubjectHeader({
  sort,
  descending,
  onSort,
}: {
  sort: SubjectSort;
  descending: boolean;
  onSort: (column: SubjectSort) => void;
}) {
  const header = (column: SubjectSort, label: string) => {
    const active = column === sort;
    const direction = descending ? 'descending' : 'ascending';
    return (
      <div role="columnheader" aria-sort={active ? direction : 'none'} className={`subject-cell subject-${column}`}>
        <button
          type="button"
          className="subject-sort-button"
          data-testid={`subject-sort-${column}`}
          onClick={() => {
            onSort(column);
          }}
        >
          {label}
          <span aria-hidden="true" className="subject-sort-arrow">
            {active ? (descending ? '▼' : '▲') : ''}
          </span>
        </button>
      </div>
    );
  };
  return (
    <div role="rowgroup">
      <div role="row" className="subject-grid subject-head" aria-rowindex={1}>
        {header('id', 'Identifiers')}
        <div role="columnheader" className="subject-cell">
          Systems
        </div>
        {header('events', 'Events')}
        {header('findings', 'Findings')}
      </div>
    </div>
  );
}

interface RowPosition {
  transform: string;
  height: number;
}

/** One subject; the whole row opens its timeline (click, Enter or Space). */
function SubjectRow({
  index,
  subject,
  style,
  onOpen,
  onMove,
}: {
  index: number;
  subject: SubjectSummary;
  style: RowPosition;
  onOpen: (subjectId: number) => void;
  onMove: (index: number) => void;
}) {
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onOpen(subject.id);
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      onMove(event.key === 'ArrowDown' ? index + 1 : index - 1);
    }
  };
  return (
    <div
      role="row"
      tabIndex={0}
      className="subject-grid subject-row"
      style={style}
      aria-rowindex={index + 2}
      data-index={index}
      data-testid="subject-row"
      data-subject-id={subject.id}
      title="Open this subject's timeline"
      onClick={() => {
        onOpen(subject.id);
      }}
      onKeyDown={onKeyDown}
    >
      <IdentifierCell subject={subject} />
      <div role="cell" className="subject-cell subject-systems">
        {subject.systems.join(', ')}
      </div>
      <div role="cell" className="subject-cell subject-events">
        {formatCount(subject.events)}
      </div>
      <FindingsCell subject={subject} />
    </div>
  );
}

function IdentifierCell({ subject }: { subject: SubjectSummary }) {
  const { shown, more } = identifierSummary(subject.identifiers);
  return (
    <div role="cell" className="subject-cell subject-id" title={subject.identifiers.map(identifierText).join('\n')}>
      <span className="subject-identifiers">{shown.length > 0 ? shown.join(', ') : `#${String(subject.id)}`}</span>
      <SubjectName subject={subject} />
      {more > 0 && (
        <span className="badge subject-more" aria-label={`and ${String(more)} more identifiers`}>
          +{more}
        </span>
      )}
    </div>
  );
}

/**
 * The person's name beside the identifier, as most sources recorded it; a mark when another
 * source recorded a different one (the timeline lists them).
 */
function SubjectName({ subject }: { subject: SubjectSummary }) {
  const [name, ...others] = subject.names;
  if (name === undefined) return null;
  return (
    <span className="subject-name" data-testid="subject-name" title={`${name.name} — ${name.systems.join(', ')}`}>
      {name.name}
      {others.length > 0 && (
        <span
          className="badge subject-name-conflict"
          data-testid="subject-name-conflict"
          title={`Also recorded as: ${others.map((other) => `${other.name} (${other.systems.join(', ')})`).join('; ')}`}
        >
          also {others.map((other) => other.name).join(', ')}
        </span>
      )}
    </span>
  );
}

/** Total findings, then a badge per severity that has any (the word travels with the colour). */
function FindingsCell({ subject }: { subject: SubjectSummary }) {
  const bySeverity = [
    { severity: 'high', count: subject.findings_high },
    { severity: 'medium', count: subject.findings_medium },
    { severity: 'low', count: subject.findings_low },
  ].filter((entry) => entry.count > 0);
  return (
    <div role="cell" className="subject-cell subject-findings">
      <span className={subject.findings === 0 ? 'muted-inline' : 'subject-findings-total'}>
        {formatCount(subject.findings)}
      </span>
      {bySeverity.map((entry) => (
        <span key={entry.severity} className={`badge badge-${entry.severity}`}>
          {formatCount(entry.count)} {entry.severity}
        </span>
      ))}
    </div>
  );
}

/** A row whose page has not arrived yet: same height, so the scrollbar does not jump. */
function PlaceholderRow({ index, style }: { index: number; style: RowPosition }) {
  return (
    <div
      role="row"
      className="subject-grid subject-row subject-placeholder"
      style={style}
      aria-rowindex={index + 2}
      data-testid="subject-row-placeholder"
    >
      <div role="cell" className="subject-cell">
        Loading…
      </div>
    </div>
  );
}
