import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import {
  BackendError,
  type Backend,
  type Decision,
  type DecisionStatus,
  type Finding,
  type FindingBreakdown,
  type FindingFilter,
} from '../api';
import { fakeBackend } from '../test/fakeBackend';
import { FindingsScreen } from './FindingsScreen';
import { TestBackend } from '../test/render';

function finding(index: number, decision: Decision | null = null): Finding {
  return {
    id: `finding-${String(index)}`,
    rule: 'R2',
    code: 'no-consent',
    severity: 'high',
    subject: { id: 100 + index, identifiers: [{ kind: 'email', value: `person${String(index)}@example.org` }] },
    purpose: 'email-marketing',
    recipient: null,
    at: '2023-02-10T03:00:00Z',
    occurrences: ['2023-02-10T03:00:00Z'],
    event_ids: [index],
    systems: ['mailchimp'],
    explanation: 'Processing for email-marketing without consent.',
    legal_reference: 'Art. 6(1)(a) GDPR',
    decision,
  };
}

const BREAKDOWN: FindingBreakdown = {
  total: 4,
  by_rule: [{ key: 'R2', count: 4 }],
  by_severity: [{ key: 'high', count: 4 }],
  by_purpose: [{ key: 'email-marketing', count: 4 }],
  by_system: [{ key: 'mailchimp', count: 4 }],
  by_month: [{ key: '2023-02', count: 4 }],
  by_status: [{ key: 'open', count: 4 }],
  audited_at: '2024-05-01T09:30:00Z',
};

function decided(status: DecisionStatus, note: string): Decision {
  const taken = { status, note, by: 'DPO', at: '2024-05-02T11:00:00Z', occurrences_seen: ['2023-02-10T03:00:00Z'] };
  return { ...taken, later_occurrences: [], history: [taken] };
}

/** Four open findings; after `decideFindings` succeeds the backend returns them decided. */
function renderBulk(decideFindings: Backend['decideFindings']) {
  let decisions = new Map<string, Decision>();
  const decide = vi.fn<Backend['decideFindings']>(async (ids, status, note, by) => {
    const result = await decideFindings(ids, status, note, by);
    decisions = new Map(ids.map((id) => [id, decided(status, note)]));
    return result;
  });
  const findingsPage = vi.fn((_filter: FindingFilter, limit: number, offset: number) => {
    const rows = [0, 1, 2, 3].map((index) => finding(index, decisions.get(`finding-${String(index)}`) ?? null));
    return Promise.resolve({ total: rows.length, rows: rows.slice(offset, offset + limit) });
  });
  render(
    <TestBackend
      value={fakeBackend({
        findingsPage,
        findingsBreakdown: () => Promise.resolve(BREAKDOWN),
        decideFindings: decide,
      })}
    >
      <FindingsScreen onOpenSubject={() => undefined} />
    </TestBackend>,
  );
  return { decide, findingsPage };
}

describe('Findings: bulk decisions', () => {
  it('decides the selected findings with one note, then clears the selection and shows their new status', async () => {
    const { decide, findingsPage } = renderBulk((ids, status, note) =>
      Promise.resolve(ids.map(() => decided(status, note))),
    );
    const rows = await screen.findAllByTestId('finding-row');
    expect(screen.queryByTestId('bulk-decide')).not.toBeInTheDocument();

    fireEvent.click(within(rows[0] as HTMLElement).getByTestId('finding-select'));
    fireEvent.click(within(rows[2] as HTMLElement).getByTestId('finding-select'));
    const panel = screen.getByTestId('bulk-decide');
    expect(panel).toHaveTextContent('Decide 2 findings at once');
    expect(screen.getByRole('checkbox', { name: 'Select all 4 findings shown' })).toBePartiallyChecked();
    expect(screen.getByTestId('bulk-apply')).toBeDisabled();

    fireEvent.change(screen.getByTestId('bulk-status'), { target: { value: 'false-positive' } });
    fireEvent.change(screen.getByTestId('bulk-by'), { target: { value: 'DPO' } });
    fireEvent.change(screen.getByTestId('bulk-note'), { target: { value: '  test inbox addresses  ' } });
    const pagesBefore = findingsPage.mock.calls.length;
    fireEvent.click(screen.getByTestId('bulk-apply'));

    expect(decide).toHaveBeenCalledWith(['finding-0', 'finding-2'], 'false-positive', 'test inbox addresses', 'DPO');
    expect(await screen.findByTestId('bulk-done')).toHaveTextContent('2 findings marked False positive.');
    await waitFor(() => {
      expect(findingsPage.mock.calls.length).toBeGreaterThan(pagesBefore);
    });
    await waitFor(() => {
      expect(screen.getAllByTestId('finding-row')[2]).toHaveTextContent('False positive');
    });
    expect(screen.queryByTestId('bulk-decide')).not.toBeInTheDocument();
    expect(screen.getAllByTestId('finding-select').some((box) => (box as HTMLInputElement).checked)).toBe(false);
  });

  it('selects every finding shown at once, and keeps the selection when the backend decides none', async () => {
    const { decide } = renderBulk(() =>
      Promise.reject(new BackendError({ code: 'not_found', message: 'no finding with id finding-3 (run the audit first)' })),
    );
    await screen.findAllByTestId('finding-row');
    fireEvent.click(screen.getByTestId('findings-select-page'));
    expect(screen.getAllByTestId('finding-select').every((box) => (box as HTMLInputElement).checked)).toBe(true);
    expect(screen.getByTestId('bulk-decide')).toHaveTextContent('Decide 4 findings at once');

    fireEvent.change(screen.getByTestId('bulk-note'), { target: { value: 'legacy list' } });
    fireEvent.click(screen.getByTestId('bulk-apply'));
    expect(decide).toHaveBeenCalledWith(['finding-0', 'finding-1', 'finding-2', 'finding-3'], 'accepted', 'legacy list', null);
    const alert = await within(screen.getByTestId('bulk-decide')).findByRole('alert');
    expect(alert).toHaveTextContent('None of the decisions was saved');
    expect(alert).toHaveTextContent('finding-3');
    expect(screen.getByTestId('bulk-decide')).toHaveTextContent('Decide 4 findings at once');
    expect(screen.getByTestId('bulk-note')).toHaveValue('legacy list');

    fireEvent.click(screen.getByTestId('findings-select-page'));
    expect(screen.queryByTestId('bulk-decide')).not.toBeInTheDocument();
  });
});
