import { fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { BackendError, type AuditLog, type AuditLogEntry, type Backend } from '../api';
import { fakeBackend } from '../test/fakeBackend';
import { AuditLogScreen } from './AuditLogScreen';
import { TestBackend } from '../test/render';

const HASH_1 = '1'.repeat(64);
const HASH_2 = '2'.repeat(64);
const HASH_3 = '3'.repeat(64);

function entry(id: number, action: string, detail: unknown, hash: string, prev: string): AuditLogEntry {
  return { id, at: `2024-05-0${String(id)}T10:00:00Z`, action, detail, prev_hash: prev, hash };
}

const ENTRIES: AuditLogEntry[] = [
  entry(1, 'import', { path: '/exports/members.csv', system: 'mailchimp', rows_imported: 1200 }, HASH_1, '0'.repeat(64)),
  entry(2, 'decide', { finding: 'F-0a1b2c3d4e5f', status: 'remediated', note: 'list cleaned', by: null }, HASH_2, HASH_1),
  entry(3, 'future-action', 'as recorded', HASH_3, HASH_2),
];

function renderLog(auditLog: Backend['auditLog']) {
  return render(
    <TestBackend value={fakeBackend({ auditLog })}>
      <AuditLogScreen />
    </TestBackend>,
  );
}

describe('AuditLogScreen', () => {
  it('lists every entry newest first with when, action and details, and says the chain holds', async () => {
    const log: AuditLog = { entries: ENTRIES, chain: { ok: true, entries: 3, head: HASH_3, broken: null } };
    renderLog(() => Promise.resolve(log));

    const rows = await screen.findAllByTestId('audit-log-row');
    expect(rows.map((row) => row.getAttribute('data-entry-id'))).toEqual(['3', '2', '1']);
    const [future, decide, imported] = rows as [HTMLElement, HTMLElement, HTMLElement];
    expect(imported).toHaveTextContent('2024-05-01 10:00:00 UTC');
    expect(imported).toHaveTextContent('File imported');
    expect(imported).toHaveTextContent('path/exports/members.csv');
    expect(imported).toHaveTextContent('rows_imported1200');
    expect(decide).toHaveTextContent('Decision recorded');
    expect(decide).toHaveTextContent('statusremediated');
    expect(decide).not.toHaveTextContent('by');
    expect(future).toHaveTextContent('future-action');
    expect(future).toHaveTextContent('as recorded');

    const chain = screen.getByTestId('audit-log-chain');
    expect(chain).toHaveTextContent('The log is intact');
    expect(chain).toHaveTextContent('3 entries');
    expect(chain).toHaveTextContent(HASH_3);
  });

  it('names the first broken link when the chain does not hold and marks that entry', async () => {
    const reason = 'entry 2 (decide at 2024-05-02T10:00:00Z) was changed after it was written';
    const log: AuditLog = {
      entries: ENTRIES,
      chain: {
        ok: false,
        entries: 2,
        head: null,
        broken: { entry_id: 2, field: 'hash', expected: HASH_1, found: HASH_2, reason },
      },
    };
    renderLog(() => Promise.resolve(log));

    const chain = await screen.findByTestId('audit-log-chain');
    expect(chain).toHaveAttribute('role', 'alert');
    expect(chain).toHaveTextContent('The log has been tampered with');
    expect(chain).toHaveTextContent(`Entry 2: ${reason}.`);
    const marked = screen.getAllByTestId('audit-log-row').filter((row) => row.classList.contains('audit-log-broken'));
    expect(marked.map((row) => row.getAttribute('data-entry-id'))).toEqual(['2']);
  });

  it('says so when nothing has been done, reloads on request, and shows a failure', async () => {
    const auditLog = vi
      .fn<Backend['auditLog']>()
      .mockResolvedValueOnce({ entries: [], chain: { ok: true, entries: 0, head: '0'.repeat(64), broken: null } })
      .mockRejectedValueOnce(new BackendError({ code: 'database', message: 'disk I/O error' }));
    renderLog(auditLog);

    expect(await screen.findByTestId('audit-log-empty')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    const alert = await screen.findByText('The audit log could not be read');
    expect(within(alert.parentElement as HTMLElement).getByText('disk I/O error')).toBeInTheDocument();
    expect(auditLog).toHaveBeenCalledTimes(2);
  });
});
