import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import {
  BackendError,
  type Backend,
  type ChosenFile,
  type FilePreview,
  type FileReport,
  type ImportCatalog,
  type ImportProgress,
  type ImportReport,
  type ImportRequest,
} from '../api';
import { fakeBackend } from '../test/fakeBackend';
import { ImportScreen } from './ImportScreen';
import type { DroppedPaths } from './types';
import { TestBackend } from '../test/render';

/** Dropped or picked files as the Rust side hands them over; the fake tokens are the paths. */
function chosen(tokens: string[]): ChosenFile[] {
  return tokens.map((token) => ({ token, name: token.split('/').pop() ?? token }));
}

const CATALOG: ImportCatalog = {
  systems: [
    { id: 'mailchimp', name: 'Mailchimp', file: null },
    { id: 'salesforce', name: 'Salesforce', file: null },
    { id: 'canonical', name: 'ConsentTrail canonical', file: null },
  ],
  mappable_fields: ['subject', 'kind', 'occurred_at', 'purpose', 'method', 'channel'],
  event_kinds: ['consent.given', 'consent.withdrawn', 'consent.refused', 'processing'],
  methods: ['checkbox', 'double-opt-in', 'verbal'],
};

function filePreview(overrides: Partial<FilePreview> = {}): FilePreview {
  return {
    path: '/exports/subscribed.csv',
    dropped_path: '/exports/subscribed.csv',
    status: 'ready',
    system: 'mailchimp',
    system_name: 'Mailchimp',
    sha256: 'ab'.repeat(32),
    bytes: 2048,
    encoding: 'UTF-8',
    format: 'csv',
    header: ['Email Address', 'OPTIN_TIME'],
    rows: [['ada@example.com', '2024-01-02 10:00:00']],
    mapping_name: null,
    message: null,
    ...overrides,
  };
}

function fileReport(overrides: Partial<FileReport> = {}): FileReport {
  return {
    path: '/exports/subscribed.csv',
    system: 'mailchimp',
    sha256: 'ab'.repeat(32),
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
    ...overrides,
  };
}

/** A promise the test settles when it wants to, to look at the screen in between. */
function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  let reject: (reason: unknown) => void = () => undefined;
  const promise = new Promise<T>((settle, fail) => {
    resolve = settle;
    reject = fail;
  });
  return { promise, resolve, reject };
}

function renderImport(backend: Backend, dropped: DroppedPaths | null = null) {
  const onShowSubjects = vi.fn();
  const view = render(
    <TestBackend value={backend}>
      <ImportScreen dropped={dropped} onShowSubjects={onShowSubjects} />
    </TestBackend>,
  );
  return { ...view, onShowSubjects };
}

function progress(overrides: Partial<ImportProgress>): ImportProgress {
  return {
    phase: 'importing',
    file: '/exports/a.csv',
    rows: 0,
    bytes_done: 0,
    bytes_total: 1000,
    file_number: 1,
    file_count: 1,
    ...overrides,
  };
}

describe('ImportScreen', () => {
  it('previews dropped files: status, detection, encoding, size, mapping and the first rows', async () => {
    const previewFiles = vi.fn(() =>
      Promise.resolve([
        filePreview({ mapping_name: 'Newsletter layout' }),
        filePreview({
          path: '/exports/broken.json',
          dropped_path: '/exports/broken.json',
          status: 'unreadable',
          system: null,
          system_name: null,
          message: 'not JSON: expected value at line 1 column 1',
          format: null,
          header: null,
          rows: [],
        }),
      ]),
    );
    const backend = fakeBackend({ importCatalog: () => Promise.resolve(CATALOG), previewFiles });
    const { rerender } = renderImport(backend, { files: chosen(['/exports/subscribed.csv', '/exports/broken.json']), seq: 1 });

    const files = await screen.findAllByTestId('import-preview-file');
    expect(previewFiles).toHaveBeenCalledWith(['/exports/subscribed.csv', '/exports/broken.json']);
    expect(files).toHaveLength(2);
    const [ready, unreadable] = files;
    expect(ready).toHaveAttribute('data-status', 'ready');
    expect(ready).toHaveTextContent('Mailchimp');
    expect(ready).toHaveTextContent('UTF-8');
    expect(ready).toHaveTextContent('2.0 KB');
    expect(ready).toHaveTextContent('Newsletter layout');
    expect(within(ready as HTMLElement).getByText('ada@example.com')).toBeInTheDocument();
    expect(unreadable).toHaveAttribute('data-status', 'unreadable');
    expect(unreadable).toHaveTextContent('not JSON: expected value at line 1 column 1');
    expect(screen.getByTestId('import-start')).toHaveTextContent('Import 2 files');

    // The same drop again (a new seq) reads the files again.
    rerender(
      <TestBackend value={backend}>
        <ImportScreen dropped={{ files: chosen(['/exports/other.csv']), seq: 2 }} onShowSubjects={() => undefined} />
      </TestBackend>,
    );
    await waitFor(() => {
      expect(previewFiles).toHaveBeenLastCalledWith(['/exports/other.csv']);
    });
  });

  it('previews picked files and does nothing when the chooser is cancelled', async () => {
    const pickPaths = vi
      .fn<Backend['pickPaths']>()
      .mockResolvedValueOnce(null)
      .mockResolvedValueOnce(chosen(['/exports/folder']));
    const previewFiles = vi.fn(() => Promise.resolve([filePreview({ dropped_path: '/exports/folder' })]));
    renderImport(fakeBackend({ importCatalog: () => Promise.resolve(CATALOG), previewFiles, pickPaths }));

    fireEvent.click(screen.getByTestId('import-pick-files'));
    await waitFor(() => {
      expect(pickPaths).toHaveBeenCalledWith({ folders: false });
    });
    expect(previewFiles).not.toHaveBeenCalled();

    fireEvent.click(screen.getByTestId('import-pick-folder'));
    expect(await screen.findByTestId('import-preview-file')).toBeInTheDocument();
    expect(pickPaths).toHaveBeenLastCalledWith({ folders: true });
    expect(previewFiles).toHaveBeenCalledWith(['/exports/folder']);
  });

  it('maps an unknown layout: Save waits for subject and kind, then saves the mapping and reads the file again', async () => {
    const unknown = filePreview({
      path: '/exports/Call log.csv',
      dropped_path: '/exports/Call log.csv',
      status: 'needs-mapping',
      system: null,
      system_name: null,
      header: ['Caller', 'Call time', 'Outcome'],
      rows: [
        ['ada@example.com', '2024-01-02 10:00', 'Agreed'],
        ['bob@example.com', '2024-01-03 11:00', 'Declined'],
        ['cy@example.com', '2024-01-04 12:00', 'Agreed'],
      ],
    });
    const previewFiles = vi
      .fn<Backend['previewFiles']>()
      .mockResolvedValueOnce([unknown])
      .mockResolvedValueOnce([{ ...unknown, status: 'ready', system: 'mapped', system_name: 'Column mapping', mapping_name: 'Call log' }]);
    const saveMapping = vi.fn(() => Promise.resolve());
    renderImport(fakeBackend({ importCatalog: () => Promise.resolve(CATALOG), previewFiles, saveMapping }), {
      files: chosen(['/exports/Call log.csv']),
      seq: 1,
    });

    const mapper = await screen.findByTestId('column-mapper');
    const save = within(mapper).getByRole('button', { name: 'Save mapping' });
    expect(save).toBeDisabled();
    expect(mapper).toHaveTextContent('choose the column that holds the subject');

    fireEvent.change(within(mapper).getByLabelText('Subject (e-mail, phone or customer id)'), {
      target: { value: 'Caller' },
    });
    expect(save).toBeDisabled();
    expect(mapper).toHaveTextContent('choose a kind column, or one kind for every row');

    fireEvent.change(within(mapper).getByLabelText('When it happened'), { target: { value: 'Call time' } });
    fireEvent.change(within(mapper).getByLabelText('Kind of event'), { target: { value: 'Outcome' } });
    fireEvent.change(within(mapper).getByLabelText('Event kind for “Agreed”'), { target: { value: 'consent.given' } });
    fireEvent.change(within(mapper).getByLabelText('Event kind for “Declined”'), {
      target: { value: 'consent.refused' },
    });
    fireEvent.change(within(mapper).getByLabelText('How consent was collected for every row'), {
      target: { value: 'verbal' },
    });
    fireEvent.change(within(mapper).getByLabelText('Channel for every row'), { target: { value: 'phone' } });
    expect(save).toBeEnabled();

    fireEvent.click(save);
    await waitFor(() => {
      expect(saveMapping).toHaveBeenCalledTimes(1);
    });
    expect(saveMapping).toHaveBeenCalledWith(['Caller', 'Call time', 'Outcome'], {
      format: 'consenttrail-mapping/1',
      name: 'Call log',
      system: 'call-log',
      columns: { subject: 'Caller', occurred_at: 'Call time', kind: 'Outcome' },
      constants: { method: 'verbal', channel: 'phone' },
      values: { kind: { Agreed: 'consent.given', Declined: 'consent.refused' } },
    });
    await waitFor(() => {
      expect(screen.getByTestId('import-preview-file')).toHaveAttribute('data-status', 'ready');
    });
    expect(previewFiles).toHaveBeenCalledTimes(2);
    expect(screen.getByTestId('import-preview-file')).toHaveTextContent('Call log');
    expect(screen.queryByTestId('column-mapper')).not.toBeInTheDocument();
  });

  it('accepts one kind for every row instead of a kind column', async () => {
    const saveMapping = vi.fn(() => Promise.resolve());
    const unknown = filePreview({ status: 'needs-mapping', header: ['Who'], rows: [['ada@example.com']] });
    renderImport(
      fakeBackend({
        importCatalog: () => Promise.resolve(CATALOG),
        previewFiles: () => Promise.resolve([unknown]),
        saveMapping,
      }),
      { files: chosen([unknown.path]), seq: 1 },
    );
    const mapper = await screen.findByTestId('column-mapper');
    fireEvent.change(within(mapper).getByLabelText('Subject (e-mail, phone or customer id)'), { target: { value: 'Who' } });
    fireEvent.change(within(mapper).getByLabelText('Kind of event for every row'), { target: { value: 'processing' } });
    fireEvent.click(within(mapper).getByRole('button', { name: 'Save mapping' }));
    await waitFor(() => {
      expect(saveMapping).toHaveBeenCalledWith(['Who'], expect.objectContaining({
        columns: { subject: 'Who' },
        constants: { kind: 'processing' },
        values: {},
      }));
    });
  });

  it('imports one run per system override, shows progress, then the report with rejected rows', async () => {
    const previews = [
      filePreview({ path: '/exports/a.csv', dropped_path: '/exports/a.csv' }),
      filePreview({ path: '/exports/b.csv', dropped_path: '/exports/b.csv', system: null, system_name: null }),
      filePreview({ path: '/exports/dir/c.csv', dropped_path: '/exports/dir' }),
      filePreview({ path: '/exports/dir/d.csv', dropped_path: '/exports/dir' }),
    ];
    const firstRun = deferred<ImportReport>();
    let report: ((progress: ImportProgress) => void) | null = null;
    const importFiles = vi
      .fn<Backend['importFiles']>()
      .mockImplementationOnce((_request, onProgress) => {
        report = onProgress;
        return firstRun.promise;
      })
      .mockResolvedValueOnce({
        files: [
          fileReport({
            path: '/exports/b.csv',
            system: 'salesforce',
            rows_imported: 4,
            rows_rejected: 1,
            rows_warned: 1,
            rejections: [{ locator: 'line 7', field: 'CaptureDate', message: 'not a date: 31/31/2024' }],
            warnings: [{ locator: 'line 3', field: 'DataUsePurposeId', message: 'unknown purpose 0ZW000' }],
          }),
        ],
      });
    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    renderImport(
      fakeBackend({ importCatalog: () => Promise.resolve(CATALOG), previewFiles: () => Promise.resolve(previews), importFiles }),
      { files: chosen(['/exports/a.csv', '/exports/b.csv', '/exports/dir']), seq: 1 },
    );

    const cards = await screen.findAllByTestId('import-preview-file');
    await waitFor(() => {
      expect(within(cards[1] as HTMLElement).getByLabelText('System')).toBeEnabled();
    });
    fireEvent.change(within(cards[1] as HTMLElement).getByLabelText('System'), { target: { value: 'salesforce' } });
    fireEvent.change(screen.getByLabelText('Time zone for times without an offset'), {
      target: { value: 'Europe/Berlin' },
    });
    fireEvent.change(screen.getByLabelText('Day/month order for slash dates'), { target: { value: 'dmy' } });
    fireEvent.click(screen.getByTestId('import-start'));

    const panel = await screen.findByTestId('import-progress');
    expect(importFiles).toHaveBeenCalledTimes(1);
    act(() => {
      clock = 1000;
      report?.(progress({ file: '/exports/a.csv', rows: 100, bytes_done: 100 }));
      clock = 2000;
      report?.(progress({ file: '/exports/a.csv', rows: 600, bytes_done: 500 }));
    });
    expect(panel).toHaveTextContent('/exports/a.csv');
    expect(panel).toHaveTextContent('600');
    expect(panel).toHaveTextContent('500 rows/s');
    expect(within(panel).getByRole('progressbar', { name: 'Progress of the current file' })).toHaveAttribute(
      'value',
      '500',
    );
    act(() => {
      report?.(progress({ phase: 'auditing', file: '', rows: 300, bytes_done: 300, bytes_total: 1000 }));
    });
    expect(panel).toHaveTextContent('Checking the rules: 300 of 1,000 subjects');

    await act(async () => {
      firstRun.resolve({
        files: [
          fileReport({ path: '/exports/a.csv' }),
          fileReport({ path: '/exports/dir/c.csv' }),
          fileReport({ path: '/exports/dir/d.csv', status: 'already-imported', rows_imported: 0, events: 0 }),
        ],
      });
      await firstRun.promise;
    });

    const reportView = await screen.findByTestId('import-report');
    expect(screen.queryByTestId('import-progress')).not.toBeInTheDocument();
    const expected: Partial<ImportRequest> = { assume_tz: { '*': 'Europe/Berlin' }, date_order: 'dmy' };
    expect(importFiles.mock.calls.map(([request]) => request)).toEqual([
      { tokens: ['/exports/a.csv', '/exports/dir'], system: null, ...expected },
      { tokens: ['/exports/b.csv'], system: 'salesforce', ...expected },
    ]);
    const rows = within(reportView).getAllByTestId('import-report-file');
    expect(rows.map((row) => row.getAttribute('data-status'))).toEqual([
      'imported',
      'imported',
      'already-imported',
      'imported',
    ]);
    expect(rows[2]).toHaveTextContent('no change');
    const salesforce = rows[3] as HTMLElement;
    expect(within(salesforce).getByText('line 7')).toBeVisible();
    expect(within(salesforce).getByText('not a date: 31/31/2024')).toBeVisible();
    expect(salesforce).toHaveTextContent('unknown purpose 0ZW000');
  });

  it('cancels a running import and says what was kept', async () => {
    const running = deferred<ImportReport>();
    const cancelImport = vi.fn(() => {
      running.reject(new BackendError({ code: 'cancelled', message: 'import cancelled' }));
      return Promise.resolve();
    });
    renderImport(
      fakeBackend({
        importCatalog: () => Promise.resolve(CATALOG),
        previewFiles: () => Promise.resolve([filePreview()]),
        importFiles: () => running.promise,
        cancelImport,
      }),
      { files: chosen(['/exports/subscribed.csv']), seq: 1 },
    );
    fireEvent.click(await screen.findByTestId('import-start'));
    fireEvent.click(await screen.findByTestId('import-cancel'));

    expect(cancelImport).toHaveBeenCalledTimes(1);
    expect(await screen.findByTestId('import-report')).toHaveTextContent(
      'Import cancelled — the file in progress was rolled back; files finished before it stay imported',
    );
    expect(screen.queryByTestId('import-progress')).not.toBeInTheDocument();
  });

  it('points to the date-order option when dates are ambiguous, and imports again with it', async () => {
    const ambiguous = fileReport({
      status: 'failed',
      rows_imported: 0,
      events: 0,
      error: "subscribed.csv: column 'Signed up': dates like '03/04/2023' could be day/month or month/day; give the date order",
    });
    const importFiles = vi
      .fn<Backend['importFiles']>()
      .mockResolvedValueOnce({ files: [ambiguous] })
      .mockResolvedValueOnce({ files: [fileReport()] });
    const { onShowSubjects } = renderImport(
      fakeBackend({
        importCatalog: () => Promise.resolve(CATALOG),
        previewFiles: () => Promise.resolve([filePreview()]),
        importFiles,
      }),
      { files: chosen(['/exports/subscribed.csv']), seq: 1 },
    );
    fireEvent.click(await screen.findByTestId('import-start'));
    const reportView = await screen.findByTestId('import-report');
    expect(within(reportView).getByTestId('import-report-file')).toHaveAttribute('data-status', 'failed');
    expect(reportView).toHaveTextContent("dates like '03/04/2023'");
    expect(reportView).toHaveTextContent('Day/month order for slash dates');

    fireEvent.change(screen.getByLabelText('Day/month order for slash dates'), { target: { value: 'mdy' } });
    fireEvent.click(within(reportView).getByRole('button', { name: 'Import again' }));
    await waitFor(() => {
      expect(screen.getByTestId('import-report-file')).toHaveAttribute('data-status', 'imported');
    });
    expect(importFiles).toHaveBeenLastCalledWith(
      { tokens: ['/exports/subscribed.csv'], system: null, date_order: 'mdy' },
      expect.any(Function),
    );

    fireEvent.click(screen.getByTestId('import-show-subjects'));
    expect(onShowSubjects).toHaveBeenCalledTimes(1);
  });

  it('shows why files could not be read', async () => {
    renderImport(
      fakeBackend({
        importCatalog: () => Promise.resolve(CATALOG),
        previewFiles: () => Promise.reject(new BackendError({ code: 'not_found', message: 'no such file: /gone.csv' })),
      }),
      { files: chosen(['/gone.csv']), seq: 1 },
    );
    expect(await screen.findByRole('alert')).toHaveTextContent('no such file: /gone.csv');
  });
});
