import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import {
  type Backend,
  type ChosenFile,
  type FindingBreakdown,
  type FindingFilter,
  type FindingPage,
  type FindingsExport,
} from '../api';
import { fakeBackend } from '../test/fakeBackend';
import { FindingsScreen } from './FindingsScreen';
import { TestBackend } from '../test/render';

const BREAKDOWN: FindingBreakdown = {
  total: 0,
  by_rule: [],
  by_severity: [],
  by_purpose: [],
  by_system: [],
  by_month: [],
  by_status: [],
  audited_at: '2024-05-01T09:30:00Z',
};

const EMPTY: FindingPage = { total: 0, rows: [] };

function renderFindings(methods: Partial<Backend> = {}) {
  const findingsPage = vi.fn<(filter: FindingFilter, limit: number, offset: number) => Promise<FindingPage>>(() =>
    Promise.resolve(EMPTY),
  );
  const findingsBreakdown = vi.fn<(filter: FindingFilter) => Promise<FindingBreakdown>>(() =>
    Promise.resolve(BREAKDOWN),
  );
  render(
    <TestBackend value={fakeBackend({ findingsPage, findingsBreakdown, ...methods })}>
      <FindingsScreen onOpenSubject={vi.fn()} />
    </TestBackend>,
  );
  return { findingsPage, findingsBreakdown };
}

describe('Findings date range', { timeout: 15_000 }, () => {
  it('sends one range to the list and the dashboard, keeping the other filters', async () => {
    const { findingsPage, findingsBreakdown } = renderFindings();
    await screen.findByTestId('findings-empty');
    expect(screen.getByLabelText('From (UTC)')).toBe(screen.getByTestId('findings-from'));
    expect(screen.getByTestId('findings-dates-clear')).toBeDisabled();

    fireEvent.change(screen.getByTestId('filter-severity'), { target: { value: 'high' } });
    fireEvent.change(screen.getByTestId('findings-from'), { target: { value: '2024-01-01' } });
    fireEvent.change(screen.getByTestId('findings-to'), { target: { value: '2024-12-31' } });
    const ranged = { severity: 'high', from: '2024-01-01', to: '2024-12-31' };
    await waitFor(() => {
      expect(findingsPage).toHaveBeenLastCalledWith(ranged, 50, 0);
    });
    expect(findingsBreakdown).toHaveBeenCalledWith(ranged);
    expect(screen.getByText(/Findings with no date .* are kept/)).toBeInTheDocument();
    // Said in words too: the date inputs are not printed.
    expect(screen.getByTestId('findings-dates-note')).toHaveTextContent('Occurring from 2024-01-01 to 2024-12-31 (UTC).');

    // Another filter changed later carries the range along.
    fireEvent.change(screen.getByTestId('filter-severity'), { target: { value: 'low' } });
    await waitFor(() => {
      expect(findingsPage).toHaveBeenLastCalledWith({ ...ranged, severity: 'low' }, 50, 0);
    });

    fireEvent.click(screen.getByTestId('findings-include-undated'));
    await waitFor(() => {
      expect(findingsPage).toHaveBeenLastCalledWith({ ...ranged, severity: 'low', exclude_undated: true }, 50, 0);
    });
    expect(screen.getByText(/Findings with no date are left out/)).toBeInTheDocument();

    fireEvent.click(screen.getByTestId('findings-dates-clear'));
    await waitFor(() => {
      expect(findingsPage).toHaveBeenLastCalledWith({ severity: 'low' }, 50, 0);
    });
    expect(screen.getByTestId('findings-from')).toHaveValue('');
    expect(screen.getByTestId('findings-dates-clear')).toBeDisabled();
  });

  it('explains a range that starts after it ends and does not send it', async () => {
    const { findingsPage } = renderFindings();
    await screen.findByTestId('findings-empty');
    fireEvent.change(screen.getByTestId('findings-to'), { target: { value: '2024-01-31' } });
    await waitFor(() => {
      expect(findingsPage).toHaveBeenLastCalledWith({ to: '2024-01-31' }, 50, 0);
    });
    const calls = findingsPage.mock.calls.length;

    fireEvent.change(screen.getByTestId('findings-from'), { target: { value: '2024-03-01' } });
    expect(await screen.findByRole('alert')).toHaveTextContent('The range starts after it ends');
    expect(screen.getByTestId('findings-from')).toHaveAttribute('aria-invalid', 'true');
    expect(findingsPage.mock.calls.length).toBe(calls);

    fireEvent.click(screen.getByTestId('findings-dates-clear'));
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    await waitFor(() => {
      expect(findingsPage).toHaveBeenLastCalledWith({}, 50, 0);
    });
  });

  it('exports under the same range', async () => {
    const pickExportPath = vi.fn<(name: string) => Promise<ChosenFile | null>>(() =>
      Promise.resolve({ token: 'tok-csv', name: 'findings.csv' }),
    );
    const exportFindings = vi.fn<(filter: FindingFilter, token: string) => Promise<FindingsExport>>(() =>
      Promise.resolve({ rows: 0, path: '/tmp/findings.csv' }),
    );
    renderFindings({ pickExportPath, exportFindings });
    await screen.findByTestId('findings-empty');
    fireEvent.change(screen.getByTestId('findings-from'), { target: { value: '2023-06-01' } });
    await waitFor(() => {
      expect(screen.getByTestId('findings-from')).toHaveValue('2023-06-01');
    });
    fireEvent.click(screen.getByTestId('findings-export'));
    await waitFor(() => {
      expect(exportFindings).toHaveBeenCalledWith({ from: '2023-06-01' }, 'tok-csv');
    });
  });
});
