import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import {
  BackendError,
  type Backend,
  type DatabaseInfo,
  type FindingBreakdown,
  type ImportCatalog,
  type ImportProgress,
  type ImportReport,
} from '../api';
import { App } from '../App';
import { fakeBackend } from '../test/fakeBackend';
import { ImportScreen } from './ImportScreen';
import { TestBackend } from '../test/render';

const CATALOG: ImportCatalog = {
  systems: [
    { id: 'mailchimp', name: 'Mailchimp', file: 'Audience → Export audience: the ZIP, or its members CSVs' },
    { id: 'onetrust', name: 'OneTrust', file: 'Consent → Data subjects export (JSON)' },
  ],
  mappable_fields: [],
  event_kinds: [],
  methods: [],
};

const USERS: DatabaseInfo = { database_path: '/home/dpo/consenttrail.db', sample_data: false };
const DEMO: DatabaseInfo = { database_path: '/home/dpo/consenttrail-sample-data.sqlite', sample_data: true };

const EMPTY_BREAKDOWN: FindingBreakdown = {
  total: 0,
  by_rule: [],
  by_severity: [],
  by_purpose: [],
  by_system: [],
  by_month: [],
  by_status: [],
  audited_at: null,
};

function renderWith(backend: Backend, ui: React.ReactNode) {
  return render(<TestBackend value={backend}>{ui}</TestBackend>);
}

describe('First run on the empty Import screen', () => {
  it('lists each system with the file its export is', async () => {
    renderWith(
      fakeBackend({ importCatalog: () => Promise.resolve(CATALOG) }),
      <ImportScreen dropped={null} onShowSubjects={vi.fn()} sample={{ open: false, onOpened: vi.fn() }} />,
    );
    const list = await screen.findByTestId('first-run-systems');
    expect(within(list).getByText('Mailchimp')).toBeInTheDocument();
    expect(within(list).getByText('Audience → Export audience: the ZIP, or its members CSVs')).toBeInTheDocument();
    expect(within(list).getByText('OneTrust')).toBeInTheDocument();
    expect(within(list).getByText('Consent → Data subjects export (JSON)')).toBeInTheDocument();
  });

  it('loads the sample data with progress, then hands over to the shell', async () => {
    let report: (value: ImportReport) => void = () => undefined;
    let progress: (p: ImportProgress) => void = () => undefined;
    const openSampleData = vi.fn((onProgress: (p: ImportProgress) => void) => {
      progress = onProgress;
      return new Promise<ImportReport>((resolve) => {
        report = resolve;
      });
    });
    const onOpened = vi.fn();
    renderWith(
      fakeBackend({ importCatalog: () => Promise.resolve(CATALOG), openSampleData }),
      <ImportScreen dropped={null} onShowSubjects={vi.fn()} sample={{ open: false, onOpened }} />,
    );
    const button = screen.getByRole('button', { name: 'Try with sample data' });
    fireEvent.click(button);
    expect(openSampleData).toHaveBeenCalledTimes(1);
    expect(button).toBeDisabled();
    progress({ phase: 'importing', file: 'a.csv', rows: 3, bytes_done: 1, bytes_total: 2, file_number: 3, file_count: 11 });
    expect(await screen.findByTestId('sample-progress')).toHaveTextContent('Importing file 3 of 11');
    expect(onOpened).not.toHaveBeenCalled();
    report({ files: [] });
    await waitFor(() => {
      expect(onOpened).toHaveBeenCalledTimes(1);
    });
  });

  it('says why the sample data could not be opened and lets the user try again', async () => {
    const openSampleData = vi.fn(() =>
      Promise.reject(new BackendError({ code: 'database', message: 'disk full while writing the demo database' })),
    );
    renderWith(
      fakeBackend({ importCatalog: () => Promise.resolve(CATALOG), openSampleData }),
      <ImportScreen dropped={null} onShowSubjects={vi.fn()} sample={{ open: false, onOpened: vi.fn() }} />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Try with sample data' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('disk full while writing the demo database');
    expect(screen.getByRole('button', { name: 'Try with sample data' })).toBeEnabled();
  });

  it('does not offer the sample data again while it is open', async () => {
    renderWith(
      fakeBackend({ importCatalog: () => Promise.resolve(CATALOG) }),
      <ImportScreen dropped={null} onShowSubjects={vi.fn()} sample={{ open: true, onOpened: vi.fn() }} />,
    );
    expect(await screen.findByTestId('first-run-systems')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Try with sample data' })).not.toBeInTheDocument();
  });
});

describe('The sample-data banner in the shell', () => {
  function shellBackend(overrides: Partial<Backend>): Backend {
    return fakeBackend({
      appInfo: () => Promise.resolve({ engine_version: '1', database_path: USERS.database_path }),
      importCatalog: () => Promise.resolve(CATALOG),
      findingsBreakdown: () => Promise.resolve(EMPTY_BREAKDOWN),
      findingsPage: () => Promise.resolve({ total: 0, rows: [] }),
      ...overrides,
    });
  }

  it('after "Try with sample data" shows Findings under the banner, and Leave goes back to the user\'s database', async () => {
    let database = USERS;
    const databaseInfo = vi.fn(() => Promise.resolve(database));
    const openSampleData = vi.fn(() => {
      database = DEMO;
      return Promise.resolve({ files: [] });
    });
    const leaveSampleData = vi.fn(() => {
      database = USERS;
      return Promise.resolve(USERS);
    });
    renderWith(shellBackend({ databaseInfo, openSampleData, leaveSampleData }), <App />);

    expect(screen.queryByTestId('sample-banner')).not.toBeInTheDocument();
    fireEvent.click(await screen.findByRole('button', { name: 'Try with sample data' }));

    const banner = await screen.findByRole('region', { name: 'Sample data' });
    expect(banner).toHaveTextContent("Sample data — not your organisation's records");
    expect(screen.getByTestId('nav-findings')).toHaveAttribute('aria-current', 'page');
    await waitFor(() => {
      expect(screen.getByTestId('database-path')).toHaveTextContent(DEMO.database_path);
    });

    // The banner stays on every screen.
    fireEvent.click(screen.getByTestId('nav-import'));
    expect(screen.getByTestId('sample-banner')).toBeInTheDocument();

    fireEvent.click(within(banner).getByRole('button', { name: 'Leave sample data' }));
    await waitFor(() => {
      expect(screen.queryByTestId('sample-banner')).not.toBeInTheDocument();
    });
    expect(leaveSampleData).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId('nav-import')).toHaveAttribute('aria-current', 'page');
    expect(screen.getByTestId('database-path')).toHaveTextContent(USERS.database_path);
    expect(await screen.findByRole('button', { name: 'Try with sample data' })).toBeEnabled();
  });

  it('starts the Findings filters afresh when the database is switched', async () => {
    let database = DEMO;
    const findingsPage = vi.fn(() => Promise.resolve({ total: 0, rows: [] }));
    renderWith(
      shellBackend({
        databaseInfo: () => Promise.resolve(database),
        findingsPage,
        leaveSampleData: () => {
          database = USERS;
          return Promise.resolve(USERS);
        },
      }),
      <App />,
    );
    await screen.findByTestId('sample-banner');
    fireEvent.click(screen.getByTestId('nav-findings'));
    fireEvent.change(await screen.findByTestId('filter-rule'), { target: { value: 'R3' } });
    await waitFor(() => {
      expect(findingsPage).toHaveBeenLastCalledWith(expect.objectContaining({ rule: 'R3' }), expect.anything(), 0);
    });

    fireEvent.click(screen.getByRole('button', { name: 'Leave sample data' }));
    await waitFor(() => {
      expect(screen.queryByTestId('sample-banner')).not.toBeInTheDocument();
    });
    fireEvent.click(screen.getByTestId('nav-findings'));
    expect(await screen.findByTestId('filter-rule')).toHaveValue('');
    await waitFor(() => {
      expect(findingsPage).toHaveBeenLastCalledWith(expect.not.objectContaining({ rule: 'R3' }), expect.anything(), 0);
    });
  });

  it('shows the banner when the app starts with the demo database open', async () => {
    renderWith(shellBackend({ databaseInfo: () => Promise.resolve(DEMO) }), <App />);
    expect(await screen.findByTestId('sample-banner')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Try with sample data' })).not.toBeInTheDocument();
  });

  it('keeps the banner and says why when the user\'s database cannot be reopened', async () => {
    const leaveSampleData = vi.fn(() =>
      Promise.reject(new BackendError({ code: 'database', message: 'consenttrail.db is locked' })),
    );
    renderWith(shellBackend({ databaseInfo: () => Promise.resolve(DEMO), leaveSampleData }), <App />);
    fireEvent.click(await screen.findByRole('button', { name: 'Leave sample data' }));
    expect(await screen.findByText(/consenttrail\.db is locked/)).toBeInTheDocument();
    expect(screen.getByTestId('sample-banner')).toBeInTheDocument();
  });
});
