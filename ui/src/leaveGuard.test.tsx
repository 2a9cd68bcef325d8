import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { type Profile } from './api';
import { App } from './App';
import { fakeBackend } from './test/fakeBackend';
import { TestBackend } from './test/render';

const PROFILE: Profile = {
  format: 'consenttrail-profile/1',
  organisation: { name: 'Example GmbH', country: null, contact: null },
  purposes: [],
  collection_points: [],
  activities: [],
  notices: [],
  third_parties: [],
  policy: {
    withdrawal_grace_hours: 48,
    consent_refresh_months: 24,
    double_opt_in_channels: [],
    age_of_digital_consent: 16,
    assumed_time_zone: { default: 'UTC' },
  },
};

function currentScreen(): string | null {
  return document.querySelector('[aria-current="page"]')?.getAttribute('data-testid') ?? null;
}

describe('leaving the Profile screen with unsaved edits', () => {
  it('asks "Discard unsaved changes?" on navigation and on shortcuts, and keeps or discards', async () => {
    render(
      <TestBackend
        value={fakeBackend({
          appInfo: () => Promise.resolve({ engine_version: '1', database_path: '/x.db' }),
          importCatalog: () => Promise.resolve({ systems: [], mappable_fields: [], event_kinds: [], methods: [] }),
          getProfile: () => Promise.resolve(PROFILE),
          auditLog: () =>
            Promise.resolve({ entries: [], chain: { ok: true, entries: 0, head: '0'.repeat(64), broken: null } }),
        })}
      >
        <App />
      </TestBackend>,
    );
    await screen.findByTestId('engine-version');
    fireEvent.click(screen.getByTestId('nav-profile'));
    fireEvent.change(await screen.findByLabelText('Name'), { target: { value: 'Typo Ltd' } });

    // The navigation: kept, the edit is still there.
    fireEvent.click(screen.getByTestId('nav-log'));
    expect(screen.getByRole('alertdialog', { name: 'Discard unsaved changes?' })).toBeInTheDocument();
    fireEvent.click(screen.getByTestId('profile-leave-keep'));
    expect(currentScreen()).toBe('nav-profile');
    expect(screen.getByLabelText('Name')).toHaveValue('Typo Ltd');

    // The Profile entry itself does not ask.
    fireEvent.click(screen.getByTestId('nav-profile'));
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();

    // A shortcut (g then i) asks too; discarding leaves.
    (document.activeElement as HTMLElement | null)?.blur();
    fireEvent.keyDown(document.body, { key: 'g' });
    fireEvent.keyDown(document.body, { key: 'i' });
    expect(screen.getByRole('alertdialog', { name: 'Discard unsaved changes?' })).toBeInTheDocument();
    expect(currentScreen()).toBe('nav-profile');
    fireEvent.click(screen.getByTestId('profile-leave-discard'));
    expect(currentScreen()).toBe('nav-import');

    // Back on Profile, nothing is unsaved: leaving does not ask.
    fireEvent.click(screen.getByTestId('nav-profile'));
    await screen.findByLabelText('Name');
    fireEvent.click(screen.getByTestId('nav-log'));
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(currentScreen()).toBe('nav-log');
  });
});
