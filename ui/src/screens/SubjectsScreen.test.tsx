import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { BackendError, type Backend, type SubjectPage, type SubjectQuery, type SubjectSummary } from '../api';
import { fakeBackend } from '../test/fakeBackend';
import { INITIAL_SUBJECT_LIST_VIEW, SubjectsScreen, type SubjectListView } from './SubjectsScreen';
import { TestBackend } from '../test/render';

const ROW_HEIGHT = 48;
const TOTAL = 1000;

/** A realistic subject: an e-mail, a CRM id, sometimes more; findings on some. */
function subject(index: number): SubjectSummary {
  const high = index % 3 === 0 ? 2 : 0;
  const medium = index % 5 === 0 ? 1 : 0;
  const identifiers = [
    { id: index * 10, kind: 'email', value: `person${String(index)}@example.org` },
    { id: index * 10 + 1, kind: 'salesforce:individual', value: `0PK5g00000${String(index).padStart(5, '0')}` },
  ];
  if (index % 2 === 0) {
    identifiers.push({ id: index * 10 + 2, kind: 'phone', value: `+4477009${String(index).padStart(5, '0')}` });
  }
  return {
    id: index + 1,
    identifiers,
    events: 3 + (index % 7),
    systems: ['mailchimp', 'salesforce'],
    findings: high + medium,
    findings_high: high,
    findings_medium: medium,
    findings_low: 0,
    // Every third person's sources recorded a name; every ninth's disagree on it.
    names:
      index % 3 !== 0
        ? []
        : [
            { name: `Person ${String(index)}`, systems: ['mailchimp', 'salesforce'] },
            ...(index % 9 === 0 ? [{ name: `P. Other${String(index)}`, systems: ['hubspot'] }] : []),
          ],
  };
}

function pageOf(query: SubjectQuery, total = TOTAL): SubjectPage {
  const rows: SubjectSummary[] = [];
  for (let index = query.offset; index < Math.min(total, query.offset + query.limit); index += 1) {
    rows.push(subject(index));
  }
  return { total, rows };
}

/** The screen with its view held the way the app holds it: above the screen. */
function StatefulSubjects({ onOpenSubject }: { onOpenSubject: (subjectId: number) => void }) {
  const [view, setView] = useState<SubjectListView>(INITIAL_SUBJECT_LIST_VIEW);
  return <SubjectsScreen view={view} onViewChange={setView} onOpenSubject={onOpenSubject} />;
}

function renderScreen(backend: Backend, onOpenSubject = vi.fn()) {
  render(
    <TestBackend value={backend}>
      <StatefulSubjects onOpenSubject={onOpenSubject} />
    </TestBackend>,
  );
  return onOpenSubject;
}

describe('SubjectsScreen', () => {
  beforeEach(() => {
    // jsdom does no layout: give the scroll container a viewport of ten rows.
    vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(ROW_HEIGHT * 10);
  });

  it('lists the first page with identifiers, systems, counts and severity badges', async () => {
    const listSubjects = vi.fn((query: SubjectQuery) => Promise.resolve(pageOf(query)));
    renderScreen(fakeBackend({ listSubjects }));

    expect(await screen.findByTestId('subject-count')).toHaveTextContent('1,000 subjects');
    expect(listSubjects).toHaveBeenCalledWith({ search: '', sort: 'findings', descending: true, limit: 200, offset: 0 });

    const rows = await screen.findAllByTestId('subject-row');
    // Ten visible rows plus the overscan, never the whole thousand.
    expect(rows.length).toBeGreaterThanOrEqual(10);
    expect(rows.length).toBeLessThan(40);

    const first = rows[0];
    if (first === undefined) throw new Error('no first row');
    expect(first).toHaveAttribute('data-subject-id', '1');
    expect(first).toHaveTextContent('email:person0@example.org');
    expect(first).toHaveTextContent('salesforce:individual:0PK5g0000000000');
    expect(first).toHaveTextContent('+1');
    expect(first).toHaveTextContent('mailchimp, salesforce');
    expect(within(first).getByText('2 high')).toHaveClass('badge-high');
    expect(within(first).getByText('1 medium')).toHaveClass('badge-medium');
    // The name beside the identifier, a differing one flagged; none where no source recorded one.
    expect(within(first).getByTestId('subject-name')).toHaveTextContent('Person 0');
    expect(within(first).getByTestId('subject-name-conflict')).toHaveTextContent('also P. Other0');
    expect(within(first).getByTestId('subject-name-conflict')).toHaveAttribute(
      'title',
      'Also recorded as: P. Other0 (hubspot)',
    );
    const second = rows[1];
    if (second === undefined) throw new Error('no second row');
    expect(within(second).queryByTestId('subject-name')).not.toBeInTheDocument();
    const fourth = rows[3];
    if (fourth === undefined) throw new Error('no fourth row');
    expect(within(fourth).getByTestId('subject-name')).toHaveTextContent('Person 3');
    expect(within(fourth).queryByTestId('subject-name-conflict')).not.toBeInTheDocument();
  });

  it('searches by the typed text after a pause in typing', async () => {
    const listSubjects = vi.fn((query: SubjectQuery) => Promise.resolve(pageOf(query, query.search === '' ? TOTAL : 1)));
    renderScreen(fakeBackend({ listSubjects }));
    await screen.findAllByTestId('subject-row');

    fireEvent.change(screen.getByTestId('subject-search'), { target: { value: 'person0@' } });

    await waitFor(() => {
      expect(listSubjects).toHaveBeenLastCalledWith({
        search: 'person0@',
        sort: 'findings',
        descending: true,
        limit: 200,
        offset: 0,
      });
    });
    await waitFor(() => {
      expect(screen.getByTestId('subject-count')).toHaveTextContent('1 subject matching “person0@”');
    });
    expect(screen.getAllByTestId('subject-row')).toHaveLength(1);
  });

  it('refetches from the top when the sort or its direction changes', async () => {
    const listSubjects = vi.fn((query: SubjectQuery) => Promise.resolve(pageOf(query)));
    renderScreen(fakeBackend({ listSubjects }));
    await screen.findAllByTestId('subject-row');

    fireEvent.change(screen.getByTestId('subject-sort'), { target: { value: 'events' } });
    await waitFor(() => {
      expect(listSubjects).toHaveBeenLastCalledWith({ search: '', sort: 'events', descending: true, limit: 200, offset: 0 });
    });

    fireEvent.click(screen.getByTestId('subject-descending'));
    await waitFor(() => {
      expect(listSubjects).toHaveBeenLastCalledWith({ search: '', sort: 'events', descending: false, limit: 200, offset: 0 });
    });

    // A column header sorts too: a new column starts in its natural order.
    fireEvent.click(screen.getByTestId('subject-sort-id'));
    await waitFor(() => {
      expect(listSubjects).toHaveBeenLastCalledWith({ search: '', sort: 'id', descending: false, limit: 200, offset: 0 });
    });
    expect(screen.getByTestId('subject-sort-id').closest('[role="columnheader"]')).toHaveAttribute(
      'aria-sort',
      'ascending',
    );
    fireEvent.click(screen.getByTestId('subject-sort-id'));
    await waitFor(() => {
      expect(listSubjects).toHaveBeenLastCalledWith({ search: '', sort: 'id', descending: true, limit: 200, offset: 0 });
    });
  });

  it('opens a subject on click and with Enter', async () => {
    const onOpen = renderScreen(
      fakeBackend({ listSubjects: (query: SubjectQuery) => Promise.resolve(pageOf(query)) }),
    );
    const rows = await screen.findAllByTestId('subject-row');
    const [first, second] = rows;
    if (first === undefined || second === undefined) throw new Error('rows missing');

    fireEvent.click(second);
    expect(onOpen).toHaveBeenLastCalledWith(2);

    expect(first).toHaveAttribute('tabindex', '0');
    first.focus();
    fireEvent.keyDown(first, { key: 'Enter' });
    expect(onOpen).toHaveBeenLastCalledWith(1);
  });

  it('requests a later page when scrolled there, showing placeholders until it arrives', async () => {
    let releaseLater: (page: SubjectPage) => void = () => undefined;
    const listSubjects = vi.fn((query: SubjectQuery) =>
      query.offset === 0
        ? Promise.resolve(pageOf(query))
        : new Promise<SubjectPage>((resolve) => {
            releaseLater = resolve;
          }),
    );
    renderScreen(fakeBackend({ listSubjects }));
    await screen.findAllByTestId('subject-row');
    expect(listSubjects).toHaveBeenCalledTimes(1);

    const scroller = screen.getByTestId('subject-scroll');
    scroller.scrollTop = ROW_HEIGHT * 500;
    fireEvent.scroll(scroller);

    await waitFor(() => {
      expect(listSubjects).toHaveBeenCalledWith(expect.objectContaining({ offset: 400, limit: 200 }));
    });
    expect(screen.getAllByTestId('subject-row-placeholder').length).toBeGreaterThan(0);
    expect(screen.queryAllByTestId('subject-row')).toHaveLength(0);

    const laterCall = listSubjects.mock.calls.find(([query]) => query.offset === 400);
    if (laterCall === undefined) throw new Error('page 400 not requested');
    releaseLater(pageOf(laterCall[0]));

    const rows = await screen.findAllByTestId('subject-row');
    expect(rows.some((row) => row.getAttribute('data-subject-id') === '501')).toBe(true);
    expect(screen.queryAllByTestId('subject-row-placeholder')).toHaveLength(0);
  });

  it('says how to get subjects when there are none', async () => {
    renderScreen(fakeBackend({ listSubjects: () => Promise.resolve({ total: 0, rows: [] }) }));

    expect(await screen.findByText('No subjects yet — import consent exports on the Import screen.')).toBeVisible();
    expect(screen.getByTestId('subject-count')).toHaveTextContent('0 subjects');
  });

  it('explains a failure in words and can try again', async () => {
    const listSubjects = vi
      .fn<(query: SubjectQuery) => Promise<SubjectPage>>()
      .mockRejectedValueOnce(new BackendError({ code: 'database', message: 'database is locked' }))
      .mockImplementation((query) => Promise.resolve(pageOf(query)));
    renderScreen(fakeBackend({ listSubjects }));

    expect(await screen.findByRole('alert')).toHaveTextContent('database is locked');
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));

    expect(await screen.findAllByTestId('subject-row')).not.toHaveLength(0);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});
