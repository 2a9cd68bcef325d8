import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { type Backend, type Finding, type FindingBreakdown } from './api';
import { App } from './App';
import { moveToFinding } from './shortcuts';
import { fakeBackend } from './test/fakeBackend';
import { TestBackend } from './test/render';

function finding(index: number): Finding {
  return {
    id: `finding-${String(index)}`,
    rule: 'R1',
    code: 'unnamed-recipient',
    severity: 'high',
    subject: { id: 100 + index, identifiers: [{ kind: 'email', value: `customer${String(index)}@example.org` }] },
    purpose: 'personalised-ads',
    recipient: 'TikTok Technology Limited',
    at: '2023-02-10T03:00:00Z',
    occurrences: ['2023-02-10T03:00:00Z'],
    event_ids: [index],
    systems: ['segment'],
    explanation: 'Disclosed to a recipient the consent does not name.',
    legal_reference: 'Art. 7 GDPR',
    decision: null,
  };
}

const FINDINGS = [finding(1), finding(2), finding(3)];

const BREAKDOWN: FindingBreakdown = {
  total: 3,
  by_rule: [{ key: 'R1', count: 3 }],
  by_severity: [{ key: 'high', count: 3 }],
  by_purpose: [],
  by_system: [],
  by_month: [],
  by_status: [],
  audited_at: '2024-05-01T09:30:00Z',
};

function backend(): Backend {
  return fakeBackend({
    appInfo: () => Promise.resolve({ engine_version: '1.0.0', database_path: '/tmp/consenttrail.db' }),
    importCatalog: () => Promise.resolve({ systems: [], mappable_fields: [], event_kinds: [], methods: [] }),
    listSubjects: () => Promise.resolve({ total: 0, rows: [] }),
    findingsPage: () => Promise.resolve({ total: FINDINGS.length, rows: FINDINGS }),
    findingsBreakdown: () => Promise.resolve(BREAKDOWN),
  });
}

function renderApp() {
  render(
    <TestBackend value={backend()}>
      <App />
    </TestBackend>,
  );
}

/** Keys pressed one after the other, on whatever has the focus (the body when nothing does). */
function press(...keys: string[]) {
  for (const key of keys) {
    const target = document.activeElement ?? document.body;
    // "?" is typed with Shift on most layouts.
    fireEvent.keyDown(target, { key, shiftKey: key === '?' });
  }
}

function currentScreen(): string | null {
  return document.querySelector('[aria-current="page"]')?.getAttribute('data-testid') ?? null;
}

describe('keyboard shortcuts', () => {
  it('run with Object.prototype frozen, as under Tauri’s freezePrototype', () => {
    expect(Object.isFrozen(Object.prototype)).toBe(true);
  });

  it('switches screens with g then a letter', async () => {
    renderApp();
    await screen.findByTestId('engine-version');
    expect(currentScreen()).toBe('nav-import');

    for (const [letter, nav] of [
      ['f', 'nav-findings'],
      ['s', 'nav-subjects'],
      ['e', 'nav-evidence'],
      ['p', 'nav-profile'],
      ['i', 'nav-import'],
    ] as const) {
      press('g', letter);
      expect(currentScreen()).toBe(nav);
    }
    // A letter alone does nothing.
    press('f');
    expect(currentScreen()).toBe('nav-import');
  });

  it('focuses the search with "/", and leaves keys typed into a field to the field', async () => {
    renderApp();
    await screen.findByTestId('engine-version');

    // Import has no search: "/" opens the subjects' search.
    press('/');
    const search = await screen.findByTestId('subject-search');
    await waitFor(() => {
      expect(search).toHaveFocus();
    });
    expect(currentScreen()).toBe('nav-subjects');

    // Typing "g", "f", "?" or "/" into the search is typing, not a shortcut.
    press('g', 'f');
    expect(currentScreen()).toBe('nav-subjects');
    press('?');
    expect(screen.queryByTestId('shortcuts-overlay')).not.toBeInTheDocument();
    press('/');
    expect(search).toHaveFocus();
    // "/" typed with Shift (a German layout's Shift+7) works too.
    search.blur();
    fireEvent.keyDown(document.body, { key: '/', shiftKey: true });
    expect(search).toHaveFocus();
    // Once the focus leaves the field, the letters are shortcuts again.
    search.blur();
    press('g', 'f');
    expect(currentScreen()).toBe('nav-findings');
  });

  it('moves through the findings with j and k', async () => {
    renderApp();
    await screen.findByTestId('engine-version');
    press('g', 'f');
    const rows = await screen.findAllByTestId('finding-row');
    expect(rows).toHaveLength(3);
    const expand = rows.map((row) => row.querySelector('[data-testid="finding-expand"]'));

    press('j');
    expect(expand[0]).toHaveFocus();
    press('j', 'j');
    expect(expand[2]).toHaveFocus();
    press('j');
    expect(expand[2]).toHaveFocus();
    press('k');
    expect(expand[1]).toHaveFocus();
  });

  it('moves through a timeline’s finding cards too, from the one holding the focus', () => {
    render(
      <main>
        {['a', 'b', 'c'].map((id) => (
          <article key={id} data-testid="timeline-finding" tabIndex={-1} id={id}>
            <button type="button">Record decision {id}</button>
          </article>
        ))}
      </main>,
    );
    moveToFinding(-1);
    expect(document.getElementById('c')).toHaveFocus();
    // From a control inside the second card, "next" is the third.
    screen.getByRole('button', { name: 'Record decision b' }).focus();
    moveToFinding(1);
    expect(document.getElementById('c')).toHaveFocus();
    moveToFinding(-1);
    expect(document.getElementById('b')).toHaveFocus();
  });

  it('lists the shortcuts on "?" and closes the list with Escape', async () => {
    renderApp();
    await screen.findByTestId('engine-version');

    press('?');
    const overlay = screen.getByTestId('shortcuts-overlay');
    expect(overlay).toHaveAttribute('role', 'dialog');
    for (const text of ['Go to Findings', 'Next finding', 'Previous finding', 'Search']) {
      expect(overlay).toHaveTextContent(text);
    }
    expect(screen.getByTestId('shortcuts-close')).toHaveFocus();

    press('Escape');
    expect(screen.queryByTestId('shortcuts-overlay')).not.toBeInTheDocument();

    // Also from the navigation, and closed with its button.
    fireEvent.click(screen.getByTestId('shortcuts-open'));
    fireEvent.click(screen.getByTestId('shortcuts-close'));
    expect(screen.queryByTestId('shortcuts-overlay')).not.toBeInTheDocument();
  });
});
