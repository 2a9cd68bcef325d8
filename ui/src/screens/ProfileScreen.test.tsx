import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { BackendError, type Backend, type ChosenFile, type Profile } from '../api';
import type { LeaveGuard } from '../leaveGuard';
import { fakeBackend } from '../test/fakeBackend';
import { ProfileScreen } from './ProfileScreen';
import { TestBackend } from '../test/render';

function profile(): Profile {
  return {
    format: 'consenttrail-profile/1',
    organisation: { name: 'Example GmbH', country: 'DE', contact: null },
    purposes: [
      {
        id: 'newsletter',
        label: 'Newsletter',
        lawful_basis: 'consent',
        channel: 'email',
        recipients: ['Mailer Ltd'],
        aliases: { mailchimp: ['Weekly news', 'Offers'] },
      },
      {
        id: 'profiling',
        label: 'Profiling',
        lawful_basis: 'legitimate-interest',
        channel: null,
        recipients: [],
        aliases: {},
      },
    ],
    collection_points: [
      { system: 'web', label: 'Footer form', method: 'explicit-opt-in', collected_by: null, notice_version: null },
    ],
    activities: [
      { system: 'segment', event: 'Audience Synced', kind: 'disclosure', purpose: 'profiling', recipient_property: null },
    ],
    notices: [
      {
        version: 'v3',
        effective_from: '2024-01-01T00:00:00Z',
        purposes: ['newsletter'],
        named_recipients: ['Example GmbH'],
        url: null,
        text: 'We send a weekly newsletter.',
      },
    ],
    third_parties: [{ legal_name: 'Mailer Ltd', aliases: ['Mailer'], tcf_vendor_ids: [12] }],
    policy: {
      withdrawal_grace_hours: 48,
      consent_refresh_months: 24,
      double_opt_in_channels: ['email'],
      age_of_digital_consent: 16,
      assumed_time_zone: { default: 'UTC' },
    },
  };
}

function renderProfile(backend: Backend) {
  return render(
    <TestBackend value={backend}>
      <ProfileScreen />
    </TestBackend>,
  );
}

function purposeBlock(index: number): HTMLElement {
  const block = screen.getAllByTestId('profile-purpose')[index];
  if (block === undefined) throw new Error(`no purpose block ${String(index)}`);
  return block;
}

describe('ProfileScreen', () => {
  it('edits the profile and saves the edited document, keeping what the editor does not show', async () => {
    const saveProfile = vi.fn(() => Promise.resolve({ events_rederived: 1532 }));
    renderProfile(fakeBackend({ getProfile: () => Promise.resolve(profile()), saveProfile }));

    expect(await screen.findAllByTestId('profile-purpose')).toHaveLength(2);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Example AG' } });
    fireEvent.change(screen.getByLabelText('Contact'), { target: { value: 'dpo@example.com' } });

    const newsletter = purposeBlock(0);
    fireEvent.change(within(newsletter).getByLabelText('Lawful basis'), { target: { value: 'contract' } });
    fireEvent.change(within(newsletter).getByLabelText('Recipients'), { target: { value: 'Mailer Ltd, Analytics Inc' } });
    fireEvent.change(within(newsletter).getByLabelText('Labels meaning this purpose 1'), {
      target: { value: 'Weekly news, Offers, Deals' },
    });
    fireEvent.click(within(newsletter).getByRole('button', { name: 'Add a row to Aliases per system' }));
    fireEvent.change(within(newsletter).getByLabelText('System 2'), { target: { value: 'hubspot' } });
    fireEvent.change(within(newsletter).getByLabelText('Labels meaning this purpose 2'), {
      target: { value: 'Newsletter' },
    });

    fireEvent.click(screen.getByRole('button', { name: 'Add a purpose' }));
    const added = purposeBlock(2);
    fireEvent.change(within(added).getByLabelText('Id'), { target: { value: 'surveys' } });
    fireEvent.change(within(added).getByLabelText('Label'), { target: { value: 'Surveys' } });

    const notice = screen.getByTestId('profile-notice');
    fireEvent.click(within(notice).getByRole('checkbox', { name: 'surveys' }));
    fireEvent.change(within(notice).getByLabelText('Effective from'), { target: { value: '2024-06-01' } });

    fireEvent.change(screen.getByLabelText('TCF vendor ids'), { target: { value: '12, 755' } });
    fireEvent.change(screen.getByLabelText('Withdrawal grace (hours)'), { target: { value: '72' } });
    expect(screen.getByText('Unsaved changes')).toBeInTheDocument();

    fireEvent.click(screen.getByTestId('profile-save'));
    expect(await screen.findByTestId('profile-saved')).toHaveTextContent(
      'Saved; 1532 stored events re-derived, findings re-checked.',
    );

    const expected = profile();
    expected.organisation = { name: 'Example AG', country: 'DE', contact: 'dpo@example.com' };
    expected.purposes = [
      {
        id: 'newsletter',
        label: 'Newsletter',
        lawful_basis: 'contract',
        channel: 'email',
        recipients: ['Mailer Ltd', 'Analytics Inc'],
        aliases: { mailchimp: ['Weekly news', 'Offers', 'Deals'], hubspot: ['Newsletter'] },
      },
      ...profile().purposes.slice(1),
      { id: 'surveys', label: 'Surveys', lawful_basis: 'consent', channel: null, recipients: [], aliases: {} },
    ];
    expected.notices = [
      {
        version: 'v3',
        effective_from: '2024-06-01T00:00:00Z',
        purposes: ['newsletter', 'surveys'],
        named_recipients: ['Example GmbH'],
        url: null,
        text: 'We send a weekly newsletter.',
      },
    ];
    expected.third_parties = [{ legal_name: 'Mailer Ltd', aliases: ['Mailer'], tcf_vendor_ids: [12, 755] }];
    expected.policy = { ...expected.policy, withdrawal_grace_hours: 72 };
    expect(saveProfile).toHaveBeenCalledWith(expected);
    expect(screen.queryByText('Unsaved changes')).not.toBeInTheDocument();
  });

  it('shows the engine’s invalid_input message, which names the JSON path', async () => {
    const saveProfile = vi.fn(() =>
      Promise.reject(
        new BackendError({ code: 'invalid_input', message: "profile $.purposes[1].id: duplicate purpose id 'newsletter'" }),
      ),
    );
    renderProfile(fakeBackend({ getProfile: () => Promise.resolve(profile()), saveProfile }));

    await screen.findAllByTestId('profile-purpose');
    fireEvent.change(within(purposeBlock(1)).getByLabelText('Id'), { target: { value: 'newsletter' } });
    fireEvent.click(screen.getByTestId('profile-save'));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("profile $.purposes[1].id: duplicate purpose id 'newsletter'");
    expect(alert).toHaveTextContent('Correct what the message names and try again.');
    expect(screen.getByText('Unsaved changes')).toBeInTheDocument();
  });

  it('removes a purpose without mixing up the fields of the others', async () => {
    const saveProfile = vi.fn<Backend['saveProfile']>(() => Promise.resolve({ events_rederived: 0 }));
    renderProfile(fakeBackend({ getProfile: () => Promise.resolve(profile()), saveProfile }));

    await screen.findAllByTestId('profile-purpose');
    fireEvent.click(screen.getByRole('button', { name: 'Remove purpose newsletter' }));
    expect(screen.getAllByTestId('profile-purpose')).toHaveLength(1);
    expect(within(purposeBlock(0)).getByLabelText('Id')).toHaveValue('profiling');
    expect(within(purposeBlock(0)).getByLabelText('Recipients')).toHaveValue('');

    fireEvent.click(screen.getByTestId('profile-save'));
    await waitFor(() => {
      expect(saveProfile).toHaveBeenCalledTimes(1);
    });
    expect(saveProfile.mock.calls[0]?.[0].purposes.map((purpose) => purpose.id)).toEqual(['profiling']);
  });

  it('discards changes by loading the saved profile again', async () => {
    const getProfile = vi.fn(() => Promise.resolve(profile()));
    renderProfile(fakeBackend({ getProfile }));

    const name = await screen.findByLabelText('Name');
    fireEvent.change(name, { target: { value: 'Typo Ltd' } });
    fireEvent.click(screen.getByRole('button', { name: 'Discard changes' }));

    await waitFor(() => {
      expect(screen.getByLabelText('Name')).toHaveValue('Example GmbH');
    });
    expect(getProfile).toHaveBeenCalledTimes(2);
    expect(screen.getByRole('button', { name: 'Discard changes' })).toBeDisabled();
  });
});

function itemBlock(testId: string, index: number): HTMLElement {
  const block = screen.getAllByTestId(testId)[index];
  if (block === undefined) throw new Error(`no ${testId} block ${String(index)}`);
  return block;
}

/**
 * The file button once the saved profile has loaded: it is disabled until then, and a click on
 * a disabled button does nothing (a slow machine showed the race).
 */
async function loadedButton(testId: 'profile-import' | 'profile-export'): Promise<HTMLElement> {
  const button = await screen.findByTestId(testId);
  await waitFor(() => {
    expect(button).toBeEnabled();
  });
  return button;
}

describe('ProfileScreen: import and export', () => {
  it('exports the saved profile to the file chosen in the save dialog', async () => {
    const pickProfileSavePath = vi.fn(() =>
      Promise.resolve<ChosenFile | null>({ token: 'tok-profile', name: 'profile.json' }),
    );
    const exportProfile = vi.fn((token: string) => Promise.resolve({ path: token === 'tok-profile' ? '/home/dpo/profile.json' : '?' }));
    renderProfile(fakeBackend({ getProfile: () => Promise.resolve(profile()), pickProfileSavePath, exportProfile }));

    fireEvent.click(await loadedButton('profile-export'));
    expect(await screen.findByTestId('profile-file-done')).toHaveTextContent(
      'Saved profile exported to /home/dpo/profile.json.',
    );
    expect(pickProfileSavePath).toHaveBeenCalledWith('consenttrail-profile.json');
    expect(exportProfile).toHaveBeenCalledWith('tok-profile');

    // A cancelled dialog writes nothing.
    pickProfileSavePath.mockResolvedValueOnce(null);
    fireEvent.click(screen.getByTestId('profile-export'));
    await waitFor(() => {
      expect(pickProfileSavePath).toHaveBeenCalledTimes(2);
    });
    expect(exportProfile).toHaveBeenCalledTimes(1);
  });

  it('previews an import, lists what would change, and imports only when confirmed', async () => {
    const imported = profile();
    imported.organisation.name = 'Fernhill Outdoor Ltd';
    const getProfile = vi.fn().mockResolvedValueOnce(profile()).mockResolvedValueOnce(imported);
    const previewProfileImport = vi.fn((token: string) =>
      Promise.resolve({
        path: token === 'tok-fernhill' ? '/home/dpo/fernhill.json' : '?',
        sha256: 'ab'.repeat(32),
        organisation: 'Fernhill Outdoor Ltd',
        purposes: 2,
        changes: ['Organisation: Example GmbH (DE) → Fernhill Outdoor Ltd (DE)', 'Activity added: web / Form Sent'],
      }),
    );
    const importProfile = vi.fn(() => Promise.resolve({ events_rederived: 12 }));
    renderProfile(
      fakeBackend({
        getProfile,
        pickProfileFile: () => Promise.resolve({ token: 'tok-fernhill', name: 'fernhill.json' }),
        previewProfileImport,
        importProfile,
      }),
    );

    fireEvent.click(await loadedButton('profile-import'));
    const preview = await screen.findByTestId('profile-import-preview');
    expect(preview).toHaveTextContent('Import /home/dpo/fernhill.json?');
    expect(within(preview).getByRole('list', { name: 'What would change' })).toHaveTextContent(
      'Activity added: web / Form Sent',
    );
    expect(importProfile).not.toHaveBeenCalled();

    fireEvent.click(screen.getByTestId('profile-import-confirm'));
    expect(await screen.findByTestId('profile-file-done')).toHaveTextContent(
      'Imported /home/dpo/fernhill.json; 12 stored events re-derived, findings re-checked.',
    );
    expect(importProfile).toHaveBeenCalledWith('tok-fernhill', 'ab'.repeat(32));
    await waitFor(() => {
      expect(screen.getByLabelText('Name')).toHaveValue('Fernhill Outdoor Ltd');
    });
    expect(screen.queryByTestId('profile-import-preview')).not.toBeInTheDocument();
  });

  it('shows why a file cannot be imported, naming the JSON path, and saves nothing', async () => {
    const importProfile = vi.fn();
    renderProfile(
      fakeBackend({
        getProfile: () => Promise.resolve(profile()),
        pickProfileFile: () => Promise.resolve({ token: 'tok-bad', name: 'bad.json' }),
        previewProfileImport: () =>
          Promise.reject(
            new BackendError({
              code: 'invalid_input',
              message: "/home/dpo/bad.json: profile $.purposes[1].lawful_basis: 'vibes' is not one of consent, …",
            }),
          ),
        importProfile,
      }),
    );

    fireEvent.click(await loadedButton('profile-import'));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The profile file cannot be imported');
    expect(alert).toHaveTextContent('$.purposes[1].lawful_basis');
    expect(screen.queryByTestId('profile-import-preview')).not.toBeInTheDocument();
    expect(importProfile).not.toHaveBeenCalled();
  });

  it('does not import over unsaved edits', async () => {
    renderProfile(fakeBackend({ getProfile: () => Promise.resolve(profile()) }));
    fireEvent.change(await screen.findByLabelText('Name'), { target: { value: 'Typo Ltd' } });
    expect(screen.getByTestId('profile-import')).toBeDisabled();
    expect(screen.getByTestId('profile-files-dirty')).toHaveTextContent('save or discard your changes before importing');
  });
});

describe('ProfileScreen: collection points and activities', () => {
  it('edits, adds and removes collection points, naming the field of each problem', async () => {
    const saveProfile = vi.fn<Backend['saveProfile']>(() => Promise.resolve({ events_rederived: 3 }));
    renderProfile(fakeBackend({ getProfile: () => Promise.resolve(profile()), saveProfile }));

    await screen.findAllByTestId('profile-collection-point');
    const footer = itemBlock('profile-collection-point', 0);
    expect(within(footer).getByLabelText('Method')).toHaveValue('explicit-opt-in');
    fireEvent.change(within(footer).getByLabelText('Method'), { target: { value: 'double-opt-in' } });
    fireEvent.change(within(footer).getByLabelText('Notice version'), { target: { value: 'v9' } });
    expect(within(footer).getByText('Notice version: “v9” is not a notice version of this profile.')).toBeInTheDocument();
    fireEvent.change(within(footer).getByLabelText('Notice version'), { target: { value: 'v3' } });

    fireEvent.click(screen.getByTestId('profile-add-collection-point'));
    const added = itemBlock('profile-collection-point', 1);
    expect(within(added).getByText(/^System: required/)).toBeInTheDocument();
    expect(within(added).getByLabelText('System')).toHaveAttribute('aria-invalid', 'true');

    // A row without a system or label is not saved; the message names the item and the field.
    fireEvent.click(screen.getByTestId('profile-save'));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Collection point 2: System: required');
    expect(alert).toHaveTextContent('Label: required');
    expect(saveProfile).not.toHaveBeenCalled();

    fireEvent.change(within(added).getByLabelText('System'), { target: { value: 'web' } });
    fireEvent.change(within(added).getByLabelText('Label'), { target: { value: 'footer form' } });
    expect(within(added).getByText(/Label: “footer form” is already a collection point of web/)).toBeInTheDocument();
    fireEvent.change(within(added).getByLabelText('System'), { target: { value: 'salesforce' } });
    fireEvent.change(within(added).getByLabelText('Label'), { target: { value: 'Purchased List – DataCo 2022' } });
    fireEvent.change(within(added).getByLabelText('Method'), { target: { value: 'imported-list' } });
    fireEvent.change(within(added).getByLabelText('Collected by'), { target: { value: 'DataCo List Services Ltd' } });

    fireEvent.click(screen.getByTestId('profile-save'));
    await waitFor(() => {
      expect(saveProfile).toHaveBeenCalledTimes(1);
    });
    expect(saveProfile.mock.calls[0]?.[0].collection_points).toEqual([
      { system: 'web', label: 'Footer form', method: 'double-opt-in', collected_by: null, notice_version: 'v3' },
      {
        system: 'salesforce',
        label: 'Purchased List – DataCo 2022',
        method: 'imported-list',
        collected_by: 'DataCo List Services Ltd',
        notice_version: null,
      },
    ]);

    fireEvent.click(screen.getByRole('button', { name: 'Remove collection point web / Footer form' }));
    expect(screen.getAllByTestId('profile-collection-point')).toHaveLength(1);
    expect(within(itemBlock('profile-collection-point', 0)).getByLabelText('System')).toHaveValue('salesforce');
  });

  it('edits, adds and removes activities, with the purposes offered and problems named by field', async () => {
    const saveProfile = vi.fn<Backend['saveProfile']>(() => Promise.resolve({ events_rederived: 3 }));
    renderProfile(fakeBackend({ getProfile: () => Promise.resolve(profile()), saveProfile }));

    await screen.findAllByTestId('profile-activity');
    const synced = itemBlock('profile-activity', 0);
    const purpose = within(synced).getByLabelText('Purpose');
    expect(purpose).toHaveValue('profiling');
    expect(within(purpose).getAllByRole('option').map((option) => option.textContent)).toEqual([
      '(choose a purpose)',
      'newsletter',
      'profiling',
    ]);
    fireEvent.change(within(synced).getByLabelText('Recipient property'), { target: { value: 'destination' } });
    fireEvent.change(within(synced).getByLabelText('Kind'), { target: { value: 'processing' } });
    expect(within(synced).getByText(/^Recipient property: only a disclosure names a recipient/)).toBeInTheDocument();
    fireEvent.change(within(synced).getByLabelText('Kind'), { target: { value: 'disclosure' } });

    fireEvent.click(screen.getByTestId('profile-add-activity'));
    const added = itemBlock('profile-activity', 1);
    expect(within(added).getByLabelText('Purpose')).toHaveValue('newsletter');
    fireEvent.change(within(added).getByLabelText('System'), { target: { value: 'segment' } });
    fireEvent.change(within(added).getByLabelText('Event'), { target: { value: 'Audience Synced' } });
    expect(within(added).getByText(/^Event: “Audience Synced” of segment is listed already/)).toBeInTheDocument();
    fireEvent.change(within(added).getByLabelText('Event'), { target: { value: 'Email Sent' } });

    // Removing the purpose an activity names flags the activity's purpose.
    fireEvent.click(screen.getByRole('button', { name: 'Remove purpose profiling' }));
    expect(within(synced).getByText('Purpose: “profiling” is not a purpose of this profile.')).toBeInTheDocument();
    fireEvent.change(within(synced).getByLabelText('Purpose'), { target: { value: 'newsletter' } });

    fireEvent.click(screen.getByTestId('profile-save'));
    await waitFor(() => {
      expect(saveProfile).toHaveBeenCalledTimes(1);
    });
    expect(saveProfile.mock.calls[0]?.[0].activities).toEqual([
      {
        system: 'segment',
        event: 'Audience Synced',
        kind: 'disclosure',
        purpose: 'newsletter',
        recipient_property: 'destination',
      },
      { system: 'segment', event: 'Email Sent', kind: 'processing', purpose: 'newsletter', recipient_property: null },
    ]);

    fireEvent.click(screen.getByRole('button', { name: 'Remove activity segment / Audience Synced' }));
    expect(screen.getAllByTestId('profile-activity')).toHaveLength(1);
    expect(within(itemBlock('profile-activity', 0)).getByLabelText('Event')).toHaveValue('Email Sent');
  });
});

describe('ProfileScreen: unsaved changes', () => {
  it('lets the app leave at once when nothing is unsaved, and asks when something is', async () => {
    let guard: LeaveGuard | null = null;
    render(
      <TestBackend value={fakeBackend({ getProfile: () => Promise.resolve(profile()) })}>
        <ProfileScreen
          onGuard={(registered) => {
            guard = registered;
          }}
        />
      </TestBackend>,
    );
    const name = await screen.findByLabelText('Name');
    const ask = (to: string, proceed: () => void) => {
      if (guard === null) throw new Error('no guard registered');
      let answer = false;
      act(() => {
        answer = guard?.(to, proceed) ?? true;
      });
      return answer;
    };
    const leave = vi.fn();
    expect(ask('findings', leave)).toBe(true);

    fireEvent.change(name, { target: { value: 'Typo Ltd' } });
    expect(ask('profile', leave)).toBe(true);
    expect(ask('findings', leave)).toBe(false);
    const dialog = screen.getByRole('alertdialog', { name: 'Discard unsaved changes?' });
    expect(screen.getByTestId('profile-leave-keep')).toHaveFocus();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Keep editing' }));
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(leave).not.toHaveBeenCalled();
    expect(screen.getByLabelText('Name')).toHaveValue('Typo Ltd');

    expect(ask('subjects', leave)).toBe(false);
    fireEvent.click(screen.getByTestId('profile-leave-discard'));
    expect(leave).toHaveBeenCalledTimes(1);
  });

  it('asks before the window closes while there are unsaved edits', async () => {
    let mayClose: (() => Promise<boolean>) | null = null;
    const unlisten = vi.fn();
    const onCloseRequested = vi.fn((handler: () => Promise<boolean>) => {
      mayClose = handler;
      return Promise.resolve(unlisten);
    });
    renderProfile(fakeBackend({ getProfile: () => Promise.resolve(profile()), onCloseRequested }));
    const name = await screen.findByLabelText('Name');
    expect(onCloseRequested).not.toHaveBeenCalled();

    fireEvent.change(name, { target: { value: 'Typo Ltd' } });
    await waitFor(() => {
      expect(onCloseRequested).toHaveBeenCalledTimes(1);
    });
    const close = () => {
      if (mayClose === null) throw new Error('no close listener');
      let answer: Promise<boolean> = Promise.resolve(true);
      act(() => {
        answer = mayClose?.() ?? answer;
      });
      return answer;
    };

    const kept = close();
    fireEvent.click(await screen.findByTestId('profile-leave-keep'));
    await expect(kept).resolves.toBe(false);

    const closed = close();
    fireEvent.click(await screen.findByTestId('profile-leave-discard'));
    await expect(closed).resolves.toBe(true);
    // Discarded: nothing is unsaved any more, so the listener goes.
    await waitFor(() => {
      expect(unlisten).toHaveBeenCalled();
    });
  });
});
