import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { BackendContext, BackendError, type Backend, type Profile } from '../api';
import { fakeBackend } from '../test/fakeBackend';
import { ProfileScreen } from './ProfileScreen';

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
    collection_points: [{ system: 'web', label: 'Footer form', method: 'checkbox' }],
    activities: [{ system: 'segment', event: 'Audience Synced', kind: 'disclosure', purpose: 'profiling' }],
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
    <BackendContext value={backend}>
      <ProfileScreen />
    </BackendContext>,
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
