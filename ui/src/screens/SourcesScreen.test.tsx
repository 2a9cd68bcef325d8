import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { BackendError, type Backend, type SourceInfo } from '../api';
import { fakeBackend } from '../test/fakeBackend';
import { SourcesScreen } from './SourcesScreen';
import { TestBackend } from '../test/render';

const HASH = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

function source(overrides: Partial<SourceInfo> = {}): SourceInfo {
  return {
    id: 3,
    path: '/exports/subscribed_members.csv',
    system: 'mailchimp',
    sha256: HASH,
    bytes: 5 * 1024 * 1024,
    imported_at: '2024-05-01T10:11:12Z',
    rows_imported: 1200,
    rows_rejected: 2,
    rows_warned: 1,
    ...overrides,
  };
}

function renderSources(backend: Backend) {
  return render(
    <TestBackend value={backend}>
      <SourcesScreen />
    </TestBackend>,
  );
}

describe('SourcesScreen', () => {
  it('lists imported files with hash, size, time and counts, and shows a file’s issues on request', async () => {
    const sourceIssues = vi.fn(() =>
      Promise.resolve([
        { severity: 'rejected' as const, locator: 'line 12', field: 'Email Address', message: 'not an e-mail address', raw: null },
        { severity: 'warning' as const, locator: 'line 40', field: null, message: 'unknown status "pending"', raw: null },
      ]),
    );
    renderSources(fakeBackend({ listSources: () => Promise.resolve([source()]), sourceIssues }));

    const row = await screen.findByTestId('source-row');
    expect(row).toHaveAttribute('data-source-id', '3');
    expect(row).toHaveTextContent('/exports/subscribed_members.csv');
    expect(row).toHaveTextContent('mailchimp');
    expect(row).toHaveTextContent('5.0 MB');
    expect(row).toHaveTextContent('2024-05-01 10:11:12 UTC');
    expect(row).toHaveTextContent('1,200');
    expect(within(row).getByTitle(HASH)).toHaveTextContent(HASH);

    const toggle = within(row).getByRole('button', { name: 'Issues of subscribed_members.csv' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    fireEvent.click(toggle);
    const issues = await screen.findByTestId('source-issues');
    expect(sourceIssues).toHaveBeenCalledWith(3);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(issues).toHaveTextContent('line 12');
    expect(issues).toHaveTextContent('not an e-mail address');
    expect(issues).toHaveTextContent('unknown status "pending"');
  });

  it('removes a file only after confirmation, reports the events removed and reloads', async () => {
    const listSources = vi
      .fn<Backend['listSources']>()
      .mockResolvedValueOnce([source(), source({ id: 4, path: '/exports/calls.csv' })])
      .mockResolvedValueOnce([source()]);
    const removeSource = vi.fn(() => Promise.resolve({ removed: 1, events_removed: 87 }));
    renderSources(fakeBackend({ listSources, removeSource }));

    const rows = await screen.findAllByTestId('source-row');
    const calls = rows[1] as HTMLElement;
    fireEvent.click(within(calls).getByTestId('source-remove'));
    expect(removeSource).not.toHaveBeenCalled();
    expect(screen.getByText('Remove calls.csv and everything derived from it?')).toBeInTheDocument();

    // Cancel leaves everything as it was.
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByTestId('source-remove-confirm')).not.toBeInTheDocument();

    fireEvent.click(within(calls).getByTestId('source-remove'));
    fireEvent.click(screen.getByTestId('source-remove-confirm'));
    expect(await screen.findByTestId('sources-removed')).toHaveTextContent('Removed 87 events derived from calls.csv.');
    expect(removeSource).toHaveBeenCalledWith(4);
    await waitFor(() => {
      expect(screen.getAllByTestId('source-row')).toHaveLength(1);
    });
    expect(listSources).toHaveBeenCalledTimes(2);
  });

  it('keeps the file and explains when removal fails', async () => {
    renderSources(
      fakeBackend({
        listSources: () => Promise.resolve([source()]),
        removeSource: () => Promise.reject(new BackendError({ code: 'database', message: 'database is locked' })),
      }),
    );
    fireEvent.click(await screen.findByTestId('source-remove'));
    fireEvent.click(screen.getByTestId('source-remove-confirm'));
    expect(await screen.findByRole('alert')).toHaveTextContent('database is locked');
    expect(screen.getByTestId('source-row')).toBeInTheDocument();
  });

  it('points to Import when nothing has been imported', async () => {
    renderSources(fakeBackend({ listSources: () => Promise.resolve([]) }));
    expect(await screen.findByTestId('sources-empty')).toHaveTextContent('Import');
    expect(screen.queryByTestId('sources-table')).not.toBeInTheDocument();
  });
});
