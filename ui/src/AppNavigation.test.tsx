import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import {
  type Backend,
  type FileDropEvent,
  type FilePreview,
  type Finding,
  type FindingBreakdown,
  type FindingFilter,
  type ImportProgress,
  type ImportReport,
} from './api';
import { App } from './App';
import { fakeBackend } from './test/fakeBackend';
import { TestBackend } from './test/render';

const APP_INFO = () => Promise.resolve({ engine_version: '1', database_path: '/tmp/x.db' });

function renderApp(methods: Partial<Backend>) {
  return render(
    <TestBackend value={fakeBackend({ appInfo: APP_INFO, ...methods })}>
      <App />
    </TestBackend>,
  );
}

function finding(index: number): Finding {
  const r1 = index % 2 === 0;
  return {
    id: `finding-${String(index)}`,
    rule: r1 ? 'R1' : 'R2',
    code: r1 ? 'unnamed-recipient' : 'no-consent',
    severity: 'high',
    subject: { id: 100 + index, identifiers: [{ kind: 'email', value: `person${String(index)}@example.org` }] },
    purpose: 'email-marketing',
    recipient: null,
    at: '2023-02-10T03:00:00Z',
    occurrences: ['2023-02-10T03:00:00Z'],
    event_ids: [index],
    systems: ['mailchimp'],
    explanation: 'An explanation.',
    legal_reference: 'Art. 6(1)(a) GDPR',
    decision: null,
  };
}

const FINDINGS = Array.from({ length: 160 }, (_, index) => finding(index));

const BREAKDOWN: FindingBreakdown = {
  total: 160,
  by_rule: [
    { key: 'R1', count: 80 },
    { key: 'R2', count: 80 },
  ],
  by_severity: [{ key: 'high', count: 160 }],
  by_purpose: [{ key: 'email-marketing', count: 160 }],
  by_system: [{ key: 'mailchimp', count: 160 }],
  by_month: [{ key: '2023-02', count: 160 }],
  by_status: [{ key: 'open', count: 160 }],
  audited_at: '2024-05-01T09:30:00Z',
};

/** A promise the test settles when it wants to. */
function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

describe('Back returns where the subject was opened from', { timeout: 15_000 }, () => {
  it('from Findings: back to Findings with its filter and the rows loaded', async () => {
    const findingsPage = vi.fn((filter: FindingFilter, limit: number, offset: number) => {
      const matching = FINDINGS.filter((each) => (filter.rule ?? each.rule) === each.rule);
      return Promise.resolve({ total: matching.length, rows: matching.slice(offset, offset + limit) });
    });
    renderApp({ findingsPage, findingsBreakdown: () => Promise.resolve(BREAKDOWN) });

    fireEvent.click(screen.getByTestId('nav-findings'));
    await screen.findAllByTestId('finding-row');
    fireEvent.change(screen.getByTestId('filter-rule'), { target: { value: 'R2' } });
    await waitFor(() => {
      expect(findingsPage).toHaveBeenLastCalledWith({ rule: 'R2' }, 50, 0);
    });
    await waitFor(() => {
      expect(screen.getAllByTestId('finding-row')[0]).toHaveAttribute('data-finding-id', 'finding-1');
    });
    fireEvent.click(screen.getByTestId('load-more'));
    await waitFor(() => {
      expect(screen.getAllByTestId('finding-row')).toHaveLength(80);
    });

    const [row] = screen.getAllByTestId('finding-row');
    fireEvent.click(within(row as HTMLElement).getByTestId('finding-subject'));
    // The timeline is the Findings screen's: the navigation says so and Back names it.
    const back = await screen.findByTestId('timeline-back');
    expect(back).toHaveTextContent('Back to findings');
    expect(screen.getByTestId('nav-findings')).toHaveAttribute('aria-current', 'page');

    findingsPage.mockClear();
    fireEvent.click(back);
    expect(await screen.findByTestId('filter-rule')).toHaveValue('R2');
    // As many rows as were loaded, for the same filter, in one request.
    await waitFor(() => {
      expect(screen.getAllByTestId('finding-row')).toHaveLength(80);
    });
    expect(findingsPage).toHaveBeenCalledWith({ rule: 'R2' }, 80, 0);
  });

  it('from Evidence: back to Evidence with the subject still chosen', async () => {
    renderApp({
      listSubjects: () =>
        Promise.resolve({
          total: 1,
          rows: [
            {
              id: 7,
              identifiers: [{ id: 1, kind: 'email', value: 'soren@example.dk' }],
              events: 3,
              systems: ['mailchimp'],
              findings: 0,
              findings_high: 0,
              findings_medium: 0,
              findings_low: 0,
              names: [],
            },
          ],
        }),
      signingKey: () => Promise.resolve(null),
    });
    fireEvent.click(screen.getByTestId('nav-evidence'));
    fireEvent.click(screen.getByRole('radio', { name: /Subject pack/ }));
    fireEvent.change(screen.getByTestId('pack-subject-search'), { target: { value: 'soren' } });
    const [option] = await screen.findAllByTestId('pack-subject-option');
    fireEvent.click(option as HTMLElement);
    fireEvent.click(await screen.findByTestId('pack-subject-timeline'));

    const back = await screen.findByTestId('timeline-back');
    expect(back).toHaveTextContent('Back to evidence');
    expect(screen.getByTestId('nav-evidence')).toHaveAttribute('aria-current', 'page');
    fireEvent.click(back);
    expect(await screen.findByTestId('pack-subject')).toHaveTextContent('soren@example.dk');
  });
});

describe('The import is kept by the shell', { timeout: 15_000 }, () => {
  it('keeps running while other screens are open, and its report stays; the drop is not offered again', async () => {
    let drop: ((event: FileDropEvent) => void) | null = null;
    let report: ((progress: ImportProgress) => void) | null = null;
    const run = deferred<ImportReport>();
    const previewFiles = vi.fn((tokens: string[]) =>
      Promise.resolve(
        ['a.csv', 'b.csv', 'c.csv'].map((name): FilePreview => ({
          path: `/exports/${name}`,
          dropped_path: tokens[0] ?? '',
          status: 'ready',
          system: 'mailchimp',
          system_name: 'Mailchimp',
          sha256: null,
          bytes: 1000,
          encoding: 'UTF-8',
          format: 'csv',
          header: ['Email Address'],
          rows: [['ada@example.com']],
          mapping_name: null,
          message: null,
        })),
      ),
    );
    const importFiles = vi.fn<Backend['importFiles']>((_request, onProgress) => {
      report = onProgress;
      return run.promise;
    });
    renderApp({
      onFileDrop: (handler) => {
        drop = handler;
        return Promise.resolve(() => undefined);
      },
      importCatalog: () => Promise.resolve({ systems: [], mappable_fields: [], event_kinds: [], methods: [] }),
      previewFiles,
      importFiles,
      auditLog: () => Promise.resolve({ entries: [], chain: { ok: true, entries: 0, head: '0'.repeat(64), broken: null } }),
    });
    await waitFor(() => {
      expect(drop).not.toBeNull();
    });
    act(() => {
      drop?.({ type: 'drop', files: [{ token: 'tok-exports', name: 'exports' }] });
    });
    fireEvent.click(await screen.findByTestId('import-start'));
    act(() => {
      report?.({ phase: 'importing', file: '/exports/b.csv', rows: 10, bytes_done: 500, bytes_total: 1000, file_number: 2, file_count: 3 });
    });
    const overall = await screen.findByTestId('import-overall-progress');
    expect(overall).toHaveAttribute('max', '3');
    expect(overall).toHaveAttribute('value', '1.5');
    expect(screen.getByTestId('import-progress')).toHaveTextContent('Importing file 2 of 3');

    // Elsewhere, the navigation shows the import running.
    fireEvent.click(screen.getByTestId('nav-log'));
    expect(screen.queryByTestId('import-progress')).not.toBeInTheDocument();
    const badge = screen.getByTestId('nav-import-running');
    expect(badge).toHaveTextContent('2/3');
    expect(badge).toHaveTextContent('import running: file 2 of 3');
    act(() => {
      report?.({ phase: 'importing', file: '/exports/c.csv', rows: 0, bytes_done: 0, bytes_total: 1000, file_number: 3, file_count: 3 });
    });
    expect(screen.getByTestId('nav-import-running')).toHaveTextContent('3/3');

    // Back on Import: the same import, still running, where it is now.
    fireEvent.click(screen.getByTestId('nav-import'));
    expect(screen.getByTestId('import-progress')).toHaveTextContent('Importing file 3 of 3');
    expect(screen.getByTestId('import-progress')).toHaveTextContent('/exports/c.csv');

    fireEvent.click(screen.getByTestId('nav-log'));
    await act(async () => {
      run.resolve({
        files: ['a.csv', 'b.csv', 'c.csv'].map((name) => ({
          path: `/exports/${name}`,
          system: 'mailchimp',
          sha256: null,
          status: 'imported',
          rows_imported: 10,
          rows_rejected: 0,
          rows_warned: 0,
          events: 12,
          duplicate_events: 0,
          source_id: 1,
          encoding: 'UTF-8',
          warnings: [],
          rejections: [],
          warnings_omitted: 0,
          rejections_omitted: 0,
          error: null,
        })),
      });
      await run.promise;
    });
    expect(screen.queryByTestId('nav-import-running')).not.toBeInTheDocument();

    // Back on Import: the report, and the imported files are not offered again.
    fireEvent.click(screen.getByTestId('nav-import'));
    expect(screen.getByTestId('import-report')).toHaveTextContent('3 files: 3 imported');
    fireEvent.click(screen.getByRole('button', { name: /Show the 3 files/ }));
    expect(screen.getByTestId('import-start')).toBeDisabled();
    expect(screen.getByTestId('import-finished')).toHaveTextContent('These files are imported');
    expect(previewFiles).toHaveBeenCalledTimes(1);
    expect(importFiles).toHaveBeenCalledTimes(1);
  });
});
