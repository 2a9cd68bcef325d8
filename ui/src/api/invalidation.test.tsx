import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import type { AuditLog, Backend, Decision, DecisionStatus, Finding, FindingBreakdown, SourceInfo } from '.';
import { AuditLogScreen } from '../screens/AuditLogScreen';
import { FindingsScreen } from '../screens/FindingsScreen';
import { SourcesScreen } from '../screens/SourcesScreen';
import { fakeBackend } from '../test/fakeBackend';
import { createTestQueryClient, TestBackend } from '../test/render';

// The screens read through one query cache: a write must make every screen that shows what it
// changed read it again, and a screen shown again must not read what nothing changed.

function source(id: number, path: string): SourceInfo {
  return {
    id,
    path,
    system: 'mailchimp',
    sha256: 'a'.repeat(64),
    bytes: 1024,
    imported_at: '2024-05-01T10:11:12Z',
    rows_imported: 10,
    rows_rejected: 0,
    rows_warned: 0,
  };
}

function log(actions: string[]): AuditLog {
  return {
    entries: actions.map((action, index) => ({
      id: index + 1,
      at: '2024-05-01T10:11:12Z',
      action,
      detail: {},
      prev_hash: '0'.repeat(64),
      hash: '1'.repeat(64),
    })),
    chain: { ok: true, entries: actions.length, head: '1'.repeat(64), broken: null },
  };
}

function finding(index: number, decision: Decision | null): Finding {
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
  total: 2,
  by_rule: [{ key: 'R2', count: 2 }],
  by_severity: [{ key: 'high', count: 2 }],
  by_purpose: [{ key: 'email-marketing', count: 2 }],
  by_system: [{ key: 'mailchimp', count: 2 }],
  by_month: [{ key: '2023-02', count: 2 }],
  by_status: [{ key: 'open', count: 2 }],
  audited_at: '2024-05-01T09:30:00Z',
};

function decided(status: DecisionStatus, note: string): Decision {
  const taken = { status, note, by: null, at: '2024-05-02T11:00:00Z', occurrences_seen: ['2023-02-10T03:00:00Z'] };
  return { ...taken, later_occurrences: [], history: [taken] };
}

describe('query invalidation', () => {
  it('after a source removal, the sources and the audit log are read again and show the new data', async () => {
    let sources = [source(3, '/exports/members.csv'), source(4, '/exports/calls.csv')];
    let actions = ['import', 'import'];
    const listSources = vi.fn(() => Promise.resolve(sources));
    const auditLog = vi.fn(() => Promise.resolve(log(actions)));
    const removeSource = vi.fn((id: number) => {
      sources = sources.filter((each) => each.id !== id);
      actions = [...actions, 'remove-source'];
      return Promise.resolve({ removed: 1, events_removed: 5 });
    });
    render(
      <TestBackend value={fakeBackend({ listSources, auditLog, removeSource })}>
        <SourcesScreen />
        <AuditLogScreen />
      </TestBackend>,
    );
    const rows = await screen.findAllByTestId('source-row');
    expect(await screen.findAllByTestId('audit-log-row')).toHaveLength(2);

    fireEvent.click(within(rows[1] as HTMLElement).getByTestId('source-remove'));
    fireEvent.click(screen.getByTestId('source-remove-confirm'));

    await waitFor(() => {
      expect(screen.getAllByTestId('source-row')).toHaveLength(1);
    });
    await waitFor(() => {
      expect(screen.getAllByTestId('audit-log-row')).toHaveLength(3);
    });
    expect(listSources).toHaveBeenCalledTimes(2);
    expect(auditLog).toHaveBeenCalledTimes(2);
    expect(screen.getAllByTestId('audit-log-row')[0]).toHaveTextContent('Source removed');
  });

  it('after a decision, the findings and the audit log are read again; an unrelated read is not', async () => {
    let decisions = new Map<string, Decision>();
    let actions: string[] = ['import'];
    const findingsPage = vi.fn(() =>
      Promise.resolve({ total: 2, rows: [0, 1].map((index) => finding(index, decisions.get(`finding-${String(index)}`) ?? null)) }),
    );
    const findingsBreakdown = vi.fn(() => Promise.resolve(BREAKDOWN));
    const auditLog = vi.fn(() => Promise.resolve(log(actions)));
    const listSources = vi.fn(() => Promise.resolve([source(3, '/exports/members.csv')]));
    const decideFindings = vi.fn((ids: string[], status: DecisionStatus, note: string) => {
      decisions = new Map(ids.map((id) => [id, decided(status, note)]));
      actions = [...actions, 'decide'];
      return Promise.resolve(ids.map(() => decided(status, note)));
    });
    render(
      <TestBackend value={fakeBackend({ findingsPage, findingsBreakdown, auditLog, listSources, decideFindings })}>
        <FindingsScreen onOpenSubject={() => undefined} />
        <AuditLogScreen />
        <SourcesScreen />
      </TestBackend>,
    );
    const rows = await screen.findAllByTestId('finding-row');
    await screen.findAllByTestId('audit-log-row');
    await screen.findAllByTestId('source-row');
    const pagesBefore = findingsPage.mock.calls.length;

    fireEvent.click(within(rows[1] as HTMLElement).getByTestId('finding-select'));
    fireEvent.change(screen.getByTestId('bulk-status'), { target: { value: 'false-positive' } });
    fireEvent.change(screen.getByTestId('bulk-note'), { target: { value: 'test inbox' } });
    fireEvent.click(screen.getByTestId('bulk-apply'));

    await waitFor(() => {
      expect(screen.getAllByTestId('finding-row')[1]).toHaveTextContent('False positive');
    });
    await waitFor(() => {
      expect(screen.getAllByTestId('audit-log-row')).toHaveLength(2);
    });
    expect(findingsPage.mock.calls.length).toBeGreaterThan(pagesBefore);
    expect(auditLog).toHaveBeenCalledTimes(2);
    // The sources did not change: not read again.
    expect(listSources).toHaveBeenCalledTimes(1);
  });

  it('a screen shown again reads nothing, until a write in between invalidated what it shows', async () => {
    let actions = ['import'];
    const auditLog = vi.fn(() => Promise.resolve(log(actions)));
    const listSources = vi.fn(() => Promise.resolve([source(3, '/exports/members.csv')]));
    const removeSource = vi.fn(() => {
      actions = [...actions, 'remove-source'];
      return Promise.resolve({ removed: 1, events_removed: 5 });
    });
    const backend: Backend = fakeBackend({ auditLog, listSources, removeSource });
    const client = createTestQueryClient();
    const { rerender } = render(
      <TestBackend value={backend} client={client}>
        <AuditLogScreen />
      </TestBackend>,
    );
    expect(await screen.findAllByTestId('audit-log-row')).toHaveLength(1);

    // Another screen, and back: the log comes from the cache.
    rerender(
      <TestBackend value={backend} client={client}>
        <SourcesScreen />
      </TestBackend>,
    );
    const [row] = await screen.findAllByTestId('source-row');
    rerender(
      <TestBackend value={backend} client={client}>
        <AuditLogScreen />
      </TestBackend>,
    );
    expect(screen.getAllByTestId('audit-log-row')).toHaveLength(1);
    expect(auditLog).toHaveBeenCalledTimes(1);

    // A removal on the Sources screen: the log, not on screen then, is read again when shown.
    rerender(
      <TestBackend value={backend} client={client}>
        <SourcesScreen />
      </TestBackend>,
    );
    fireEvent.click(within((await screen.findAllByTestId('source-row'))[0] ?? (row as HTMLElement)).getByTestId('source-remove'));
    fireEvent.click(screen.getByTestId('source-remove-confirm'));
    await screen.findByTestId('sources-removed');
    rerender(
      <TestBackend value={backend} client={client}>
        <AuditLogScreen />
      </TestBackend>,
    );
    await waitFor(() => {
      expect(screen.getAllByTestId('audit-log-row')).toHaveLength(2);
    });
    expect(auditLog).toHaveBeenCalledTimes(2);
  });
});
