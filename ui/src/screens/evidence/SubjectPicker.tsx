import { useEffect, useId, useState } from 'react';

import { useSubjectsPageQuery, type SubjectPage } from '../../api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { countOf, identifierText, subjectLabel } from '../../format';

/** Matches offered at once; more means the search should be narrowed. */
const SHOWN = 8;
/** Wait this long after the last keystroke before asking (one query per pause, not per key). */
const PAUSE_MS = 200;

type Matches = { search: string; status: 'ready'; page: SubjectPage } | { search: string; status: 'error'; error: unknown };

/**
 * Finds the subject a pack is for by any identifier (part of an e-mail, a phone, a system id),
 * through the same paged subject query as the Subjects screen.
 */
export function SubjectPicker({
  disabled,
  onPick,
}: {
  disabled: boolean;
  onPick: (subject: { subjectId: number; label: string }) => void;
}) {
  const id = useId();
  const [search, setSearch] = useState('');
  const wanted = search.trim();
  // The search as it stands once typing pauses: one query per pause, not per key.
  const [settled, setSettled] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => {
      setSettled(wanted);
    }, PAUSE_MS);
    return () => {
      clearTimeout(timer);
    };
  }, [wanted]);
  const query = useSubjectsPageQuery(
    { search: settled, sort: 'id', descending: false, limit: SHOWN, offset: 0 },
    settled !== '',
  );

  const matches: Matches | null =
    query.status === 'error'
      ? { search: settled, status: 'error', error: query.error }
      : query.status === 'success'
        ? { search: settled, status: 'ready', page: query.data }
        : null;
  const shown = wanted !== '' && matches?.search === wanted ? matches : null;
  return (
    <div className="evidence-field evidence-picker" data-testid="pack-subject-picker">
      <label htmlFor={`${id}-search`}>Find the subject</label>
      <input
        id={`${id}-search`}
        type="search"
        data-testid="pack-subject-search"
        value={search}
        placeholder="E-mail, phone or system id"
        disabled={disabled}
        aria-describedby={`${id}-hint`}
        onChange={(event) => {
          setSearch(event.target.value);
        }}
      />
      <span id={`${id}-hint`} className="muted-inline">
        Any part of an identifier; then choose the person below.
      </span>
      {wanted !== '' && shown === null && (
        <p role="status" className="muted-inline">
          Searching…
        </p>
      )}
      {shown?.status === 'error' && <ErrorNotice error={shown.error} title="The subjects could not be searched" />}
      {shown?.status === 'ready' && shown.page.rows.length === 0 && (
        <p className="muted-inline" data-testid="pack-subject-none">
          No subject has an identifier containing “{shown.search}”.
        </p>
      )}
      {shown?.status === 'ready' && shown.page.rows.length > 0 && (
        <>
          <ul className="evidence-picker-list" aria-label="Matching subjects">
            {shown.page.rows.map((subject) => {
              const label = subjectLabel(subject);
              return (
                <li key={subject.id}>
                  <button
                    type="button"
                    className="evidence-picker-option"
                    data-testid="pack-subject-option"
                    disabled={disabled}
                    onClick={() => {
                      onPick({ subjectId: subject.id, label });
                    }}
                  >
                    <strong>{label}</strong>
                    <span className="muted-inline">
                      {' '}
                      · {subject.identifiers.slice(1, 3).map(identifierText).join(', ')}
                      {subject.identifiers.length > 3 ? ` +${String(subject.identifiers.length - 3)}` : ''}
                      {subject.identifiers.length > 1 ? ' · ' : ''}
                      {countOf(subject.events, 'event')} · {countOf(subject.findings, 'finding')}
                    </span>
                  </button>
                </li>
              );
            })}
          </ul>
          {shown.page.total > shown.page.rows.length && (
            <p className="muted-inline" data-testid="pack-subject-more">
              Showing {shown.page.rows.length} of {countOf(shown.page.total, 'matching subject')}: type more to narrow.
            </p>
          )}
        </>
      )}
    </div>
  );
}
