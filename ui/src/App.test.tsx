import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import {
  BackendError,
  type AppInfo,
  type Backend,
  type FileDropEvent,
  type SubjectQuery,
} from './api';
import { App } from './App';
import { fakeBackend as fake } from './test/fakeBackend';
import { TestBackend } from './test/render';

/** A fake backend: the shell must work against the `Backend` interface alone. */
function fakeBackend(appInfo: () => Promise<AppInfo>): Backend {
  return fake({ appInfo });
}

function renderShell(backend: Backend) {
  return render(
    <TestBackend value={backend}>
      <App />
    </TestBackend>,
  );
}

describe('App shell', () => {
  it('shows the product name, the engine version and the database path', async () => {
    renderShell(
      fakeBackend(() =>
        Promise.resolve({
          engine_version: '9.8.7-test',
          database_path: '/home/dpo/.local/share/ConsentTrail/consenttrail.db',
        }),
      ),
    );

    expect(screen.getByTestId('app-title')).toHaveTextContent('ConsentTrail');
    expect(await screen.findByTestId('engine-version')).toHaveTextContent('9.8.7-test');
    expect(screen.getByTestId('database-path')).toHaveTextContent(
      '/home/dpo/.local/share/ConsentTrail/consenttrail.db',
    );
  });

  it('opens the Audit log from the navigation', async () => {
    const auditLog = vi.fn(() =>
      Promise.resolve({ entries: [], chain: { ok: true, entries: 0, head: '0'.repeat(64), broken: null } }),
    );
    renderShell(
      fake({
        appInfo: () => Promise.resolve({ engine_version: '1', database_path: '/x.db' }),
        importCatalog: () => Promise.resolve({ systems: [], mappable_fields: [], event_kinds: [], methods: [] }),
        auditLog,
      }),
    );
    fireEvent.click(screen.getByTestId('nav-log'));
    expect(screen.getByTestId('nav-log')).toHaveAttribute('aria-current', 'page');
    expect(await screen.findByTestId('audit-log-chain')).toHaveTextContent('The log is intact');
    expect(auditLog).toHaveBeenCalledTimes(1);
  });

  it('says it is loading until the backend answers', () => {
    renderShell(fakeBackend(() => new Promise<AppInfo>(() => undefined)));

    expect(screen.getByTestId('app-info-loading')).toBeInTheDocument();
    expect(screen.queryByTestId('engine-version')).not.toBeInTheDocument();
  });

  it('shows a clear error when the database could not be opened', async () => {
    renderShell(
      fakeBackend(() =>
        Promise.reject(
          new BackendError({ code: 'database', message: 'not a ConsentTrail database: /tmp/x.db' }),
        ),
      ),
    );

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('not a ConsentTrail database: /tmp/x.db');
    expect(alert).toHaveTextContent('database');
  });
});

describe('window-wide drops', () => {
  it('routes dropped exports to the import preview and a dropped PDF to verification', async () => {
    let emit: ((event: FileDropEvent) => void) | null = null;
    const previewFiles = vi.fn(() => Promise.resolve([]));
    const verifyPack = vi.fn(() =>
      Promise.resolve({
        ok: true,
        differences: [],
        pack_id: 'p',
        kind: 'subject',
        manifest_sha256: 'm',
        signature: null,
        checked: [],
        not_checked: [],
      }),
    );
    const backend = fake({
      appInfo: () => Promise.resolve({ engine_version: '1', database_path: '/x.db' }),
      importCatalog: () => Promise.resolve({ systems: [], mappable_fields: [], event_kinds: [], methods: [] }),
      onFileDrop: (handler) => {
        emit = handler;
        return Promise.resolve(() => undefined);
      },
      previewFiles,
      verifyPack,
    });
    renderShell(backend);
    await waitFor(() => {
      expect(emit).not.toBeNull();
    });

    act(() => emit?.({ type: 'over' }));
    expect(screen.getByTestId('drop-overlay')).toBeInTheDocument();
    act(() =>
      emit?.({
        type: 'drop',
        files: [
          { token: 'tok-mailchimp', name: 'mailchimp' },
          { token: 'tok-crm', name: 'crm.csv' },
        ],
      }),
    );
    expect(screen.queryByTestId('drop-overlay')).not.toBeInTheDocument();
    await waitFor(() => {
      expect(previewFiles).toHaveBeenCalledWith(['tok-mailchimp', 'tok-crm']);
    });

    act(() => emit?.({ type: 'drop', files: [{ token: 'tok-pack', name: 'evidence.PDF' }] }));
    await waitFor(() => {
      expect(verifyPack).toHaveBeenCalledWith('tok-pack', expect.any(Function));
    });
    expect(screen.getByTestId('nav-evidence')).toHaveAttribute('aria-current', 'page');
  });

  it('says so when drops cannot be received', async () => {
    renderShell(
      fake({
        appInfo: () => Promise.resolve({ engine_version: '1', database_path: '/x.db' }),
        importCatalog: () => Promise.resolve({ systems: [], mappable_fields: [], event_kinds: [], methods: [] }),
        onFileDrop: () => Promise.reject(new BackendError({ code: 'internal', message: 'event.listen not allowed' })),
      }),
    );
    const alert = await screen.findByText(/Dropping files on the window does not work/);
    expect(alert.closest('[role="alert"]')).toHaveTextContent('event.listen not allowed');
  });
});

describe('navigation', () => {
  it('keeps the subject search and order when coming back from a timeline', async () => {
    vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(480);
    const listSubjects = vi.fn((query: SubjectQuery) =>
      Promise.resolve({
        total: 1,
        rows: [
          {
            id: 7,
            identifiers: [{ id: 1, kind: 'email', value: `soren@example.dk (${query.search})` }],
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
    );
    render(
      <TestBackend
        value={fake({
          appInfo: () => Promise.resolve({ engine_version: '1', database_path: '/tmp/x.db' }),
          listSubjects,
        })}
      >
        <App />
      </TestBackend>,
    );

    fireEvent.click(screen.getByTestId('nav-subjects'));
    fireEvent.change(screen.getByTestId('subject-search'), { target: { value: 'soren' } });
    fireEvent.change(screen.getByTestId('subject-sort'), { target: { value: 'id' } });
    await waitFor(() => {
      expect(listSubjects).toHaveBeenLastCalledWith(expect.objectContaining({ search: 'soren', sort: 'id' }));
    });
    const [row] = await screen.findAllByTestId('subject-row');
    if (row === undefined) throw new Error('no subject row');
    fireEvent.click(row);
    fireEvent.click(await screen.findByTestId('timeline-back'));

    expect(screen.getByTestId('subject-search')).toHaveValue('soren');
    expect(screen.getByTestId('subject-sort')).toHaveValue('id');
    expect(screen.getByTestId('subject-descending')).not.toBeChecked();
    await waitFor(() => {
      expect(listSubjects).toHaveBeenLastCalledWith(
        expect.objectContaining({ search: 'soren', sort: 'id', descending: false, offset: 0 }),
      );
    });
  });
});
