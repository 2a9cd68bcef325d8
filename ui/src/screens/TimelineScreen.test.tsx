import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import {
  BackendError,
  type Backend,
  type EventSource,
  type Finding,
  type SubjectTimeline,
  type TimelineEvent,
} from '../api';
import { fakeBackend } from '../test/fakeBackend';
import { parseCsvRecord, splitAgainstHeader } from './timeline/SourceRecord';
import { monthTicks } from './timeline/TimeAxis';
import { TimelineScreen } from './TimelineScreen';
import { TestBackend } from '../test/render';

const MAILCHIMP_FILE = '/exports/mailchimp/subscribed_members_export_2023.csv';

function event(overrides: Partial<TimelineEvent> & Pick<TimelineEvent, 'id' | 'system' | 'kind'>): TimelineEvent {
  const at = overrides.occurred_at_ms ?? null;
  return {
    identifier: 'email:anna.berg@example.org',
    stated_kind: overrides.kind,
    occurred_at_ms: at,
    occurred_at_text: at === null ? null : new Date(at).toISOString(),
    zone_basis: at === null ? null : 'explicit',
    purpose: 'email-marketing',
    purpose_label: null,
    recipients: [],
    channel: 'email',
    method: null,
    capture_source: null,
    collected_by: null,
    notice_version: null,
    evidence_json: null,
    row_id: overrides.id * 10,
    source: {
      id: 1,
      path: `/exports/${overrides.system}.csv`,
      sha256: 'ab'.repeat(32),
      line: overrides.id,
      locator: `line ${String(overrides.id)}`,
      row_id: overrides.id * 10,
    },
    corroborated_by: [],
    partial: null,
    folded_into: null,
    ...overrides,
  };
}

const T = {
  optIn: Date.UTC(2022, 2, 14, 9, 12, 0),
  confirm: Date.UTC(2022, 2, 14, 9, 20, 0),
  adsGrant: Date.UTC(2022, 5, 1, 10, 0, 0),
  disclosure: Date.UTC(2023, 1, 10, 3, 0, 0),
  withdrawal: Date.UTC(2023, 4, 2, 16, 30, 0),
  send: Date.UTC(2023, 5, 1, 8, 0, 0),
};

const EVENTS: TimelineEvent[] = [
  event({ id: 107, system: 'hubspot', kind: 'consent.given', method: 'unknown' }),
  event({
    id: 101,
    system: 'mailchimp',
    kind: 'consent.given',
    occurred_at_ms: T.optIn,
    occurred_at_text: '2022-03-14 09:12:00',
    zone_basis: 'assumed:UTC',
    method: 'explicit-opt-in',
    evidence_json: '{"OPTIN_IP":"203.0.113.7","form":"Spring fair"}',
    source: { id: 3, path: MAILCHIMP_FILE, sha256: 'c0ffee'.repeat(10) + 'abcd', line: 2, locator: 'line 2', row_id: 1010 },
  }),
  event({ id: 102, system: 'mailchimp', kind: 'consent.confirmed', occurred_at_ms: T.confirm }),
  event({
    id: 103,
    system: 'salesforce',
    kind: 'consent.given',
    purpose: 'personalised-ads',
    purpose_label: 'Personalised Advertising',
    occurred_at_ms: T.adsGrant,
    method: 'explicit-opt-in',
    notice_version: 'PN-2021.2',
  }),
  event({
    id: 104,
    system: 'segment',
    kind: 'disclosure',
    purpose: 'personalised-ads',
    occurred_at_ms: T.disclosure,
    recipients: [{ label: 'TikTok Ads', legal_name: 'TikTok Technology Limited' }],
  }),
  event({
    id: 105,
    system: 'salesforce',
    kind: 'consent.withdrawn',
    stated_kind: 'consent.negative',
    occurred_at_ms: T.withdrawal,
  }),
  event({ id: 106, system: 'mailchimp', kind: 'processing', occurred_at_ms: T.send }),
];

function finding(overrides: Partial<Finding> & Pick<Finding, 'id' | 'rule' | 'code'>): Finding {
  return {
    severity: 'high',
    subject: { id: 42, identifiers: [{ kind: 'email', value: 'anna.berg@example.org' }] },
    purpose: 'email-marketing',
    recipient: null,
    at: null,
    occurrences: [],
    event_ids: [],
    systems: [],
    explanation: '',
    legal_reference: '',
    decision: null,
    ...overrides,
  };
}

const FINDINGS: Finding[] = [
  finding({
    id: 'R1-42-personalised-ads-tiktok',
    rule: 'R1',
    code: 'unnamed-recipient',
    purpose: 'personalised-ads',
    recipient: 'TikTok Technology Limited',
    at: '2023-02-10T03:00:00Z',
    occurrences: ['2023-02-10T03:00:00Z'],
    event_ids: [104, 103],
    systems: ['segment', 'salesforce'],
    explanation:
      'Data was disclosed to TikTok Technology Limited for personalised-ads, but the consent in force names only Meta Platforms Ireland Limited.',
    legal_reference: 'Art. 4(11), 6(1)(a), 7 GDPR; EDPB Guidelines 05/2020 ¶64–65',
  }),
  finding({
    id: 'R3-42-email-marketing',
    rule: 'R3',
    code: 'processing-after-withdrawal',
    at: '2023-06-01T08:00:00Z',
    occurrences: ['2023-06-01T08:00:00Z'],
    event_ids: [106, 105],
    systems: ['mailchimp', 'salesforce'],
    explanation: 'A campaign was sent 30 days after the subject withdrew consent for email-marketing.',
    legal_reference: 'Art. 7(3), 21(3) GDPR',
  }),
];

const TIMELINE: SubjectTimeline = {
  subject: {
    id: 42,
    identifiers: [
      { kind: 'email', value: 'anna.berg@example.org' },
      { kind: 'salesforce:individual', value: '0PK5g000000XyZ1' },
    ],
  },
  attributes: [
    { attribute: 'first_name', value: 'Anna', system: 'salesforce', source_path: '/exports/Individual.csv' },
    { attribute: 'date_of_birth', value: '1990-04-02', system: 'hubspot', source_path: '/exports/hubspot.csv' },
  ],
  names: [
    { name: 'Anna Berg', systems: ['mailchimp', 'salesforce'] },
    { name: 'Anna Nowak', systems: ['hubspot'] },
  ],
  events: EVENTS,
  state_bars: [
    {
      purpose: 'email-marketing',
      segments: [
        { state: 'given', from_ms: T.optIn, to_ms: T.withdrawal, event_id: 101 },
        { state: 'withdrawn', from_ms: T.withdrawal, to_ms: null, event_id: 105 },
      ],
      recipient: null,
      as_of_export: [],
    },
    {
      purpose: 'personalised-ads',
      segments: [{ state: 'given', from_ms: T.adsGrant, to_ms: null, event_id: 103 }],
      recipient: null,
      as_of_export: [],
    },
  ],
  findings: FINDINGS,
};

const MAILCHIMP_SOURCE: EventSource = {
  event_id: 101,
  system: 'mailchimp',
  path: MAILCHIMP_FILE,
  sha256: 'c0ffee'.repeat(10) + 'abcd',
  locator: 'line 2',
  line: 2,
  header: ['Email Address', 'First Name', 'OPTIN_TIME', 'OPTIN_IP', 'NOTES'],
  raw: 'anna.berg@example.org,Anna,2022-03-14 09:12:00,203.0.113.7,"Met at the ""Spring"" fair, stand 4"',
  also_in: [{ path: '/exports/mailchimp/audience_2023.zip!/subscribed.csv', locator: 'line 7' }],
};

/** Issue 11's consent model: a DPV record per recipient, a HubSpot flag as of its export, a partial TC string. */
const T_DPV = Date.UTC(2023, 0, 9, 12, 0, 0);
const T_TCF = Date.UTC(2023, 2, 1, 9, 0, 0);
const SCOPED_TIMELINE: SubjectTimeline = {
  ...TIMELINE,
  events: [
    ...EVENTS,
    event({
      id: 110,
      system: 'hubspot',
      kind: 'consent.withdrawn',
      purpose_label: 'Marketing Information',
      evidence_json: '{"state_as_of_export":true}',
    }),
    event({
      id: 108,
      system: 'dpv',
      kind: 'consent.given',
      purpose: 'marketing',
      occurred_at_ms: T_DPV,
      recipients: [{ label: 'Alpha', legal_name: null }],
    }),
    event({
      id: 109,
      system: 'dpv',
      kind: 'consent.refused',
      purpose: 'marketing',
      occurred_at_ms: T_DPV,
      recipients: [{ label: 'Beta', legal_name: null }],
    }),
    event({
      id: 111,
      system: 'tcf',
      kind: 'consent.given',
      purpose: 'personalised-ads',
      occurred_at_ms: T_TCF,
      partial: {
        consented: ['3 Create profiles for personalised advertising', '4 Use profiles to select personalised advertising'],
        not_consented: ['2 Use limited data to select advertising'],
      },
    }),
    event({
      id: 112,
      system: 'tcf',
      kind: 'consent.refused',
      purpose: 'personalised-ads',
      occurred_at_ms: T_TCF,
      folded_into: 111,
    }),
  ],
  state_bars: [
    {
      purpose: 'email-marketing',
      recipient: null,
      segments: [{ state: 'given', from_ms: Date.UTC(2022, 2, 14, 9, 12, 0), to_ms: null, event_id: 101 }],
      as_of_export: [{ system: 'hubspot', state: 'withdrawn', label: 'Marketing Information', event_id: 110 }],
    },
    {
      purpose: 'marketing',
      recipient: null,
      segments: [{ state: 'given', from_ms: T_DPV, to_ms: null, event_id: 108 }],
      as_of_export: [],
    },
    {
      purpose: 'marketing',
      recipient: 'Beta',
      segments: [{ state: 'refused', from_ms: T_DPV, to_ms: null, event_id: 109 }],
      as_of_export: [],
    },
  ],
};

function renderTimeline(methods: Partial<Backend>) {
  const onBack = vi.fn();
  const onMakePack = vi.fn();
  render(
    <TestBackend value={fakeBackend({ subjectTimeline: () => Promise.resolve(TIMELINE), ...methods })}>
      <TimelineScreen subjectId={42} onBack={onBack} onMakePack={onMakePack} />
    </TestBackend>,
  );
  return { onBack, onMakePack };
}

describe('TimelineScreen', () => {
  it('shows who the subject is and offers back and an evidence pack', async () => {
    const subjectTimeline = vi.fn(() => Promise.resolve(TIMELINE));
    const { onBack, onMakePack } = renderTimeline({ subjectTimeline });

    expect(screen.getByRole('status')).toHaveTextContent('Loading the timeline of subject #42');
    const identifiers = await screen.findByTestId('timeline-identifiers');
    expect(subjectTimeline).toHaveBeenCalledWith(42);
    expect(identifiers).toHaveTextContent('email:anna.berg@example.org');
    expect(identifiers).toHaveTextContent('salesforce:individual:0PK5g000000XyZ1');
    const attributes = screen.getByTestId('timeline-attributes');
    expect(within(attributes).getByText('Anna')).toBeInTheDocument();
    expect(within(attributes).getByText('1990-04-02')).toBeInTheDocument();
    // The name as recorded, with the systems that agree, and the one that differs flagged.
    expect(screen.getByTestId('timeline-name')).toHaveTextContent('Anna Berg — mailchimp, salesforce');
    expect(screen.getByTestId('timeline-name-conflicts')).toHaveTextContent(
      'Names differ also recorded as: Anna Nowak (hubspot)',
    );

    expect(screen.getByTestId('timeline-print')).toHaveTextContent('Print…');
    fireEvent.click(screen.getByTestId('make-pack'));
    expect(onMakePack).toHaveBeenCalledWith(42, 'anna.berg@example.org');
    fireEvent.click(screen.getByRole('button', { name: '← Back to subjects' }));
    expect(onBack).toHaveBeenCalled();
  });

  it('draws a lane per system, a bar per purpose, and the findings on the axis', async () => {
    renderTimeline({});
    await screen.findByTestId('timeline-chart');

    const lanes = screen.getAllByTestId('timeline-lane').map((lane) => lane.getAttribute('data-system'));
    expect(lanes).toEqual(['hubspot', 'mailchimp', 'salesforce', 'segment']);
    const mailchimpLane = screen.getAllByTestId('timeline-lane')[1];
    if (mailchimpLane === undefined) throw new Error('no mailchimp lane');
    expect(within(mailchimpLane).getAllByTestId('timeline-event-marker')).toHaveLength(3);

    // Six dated events on the chart; the undated HubSpot grant is listed instead.
    expect(screen.getAllByTestId('timeline-event-marker')).toHaveLength(6);
    expect(screen.getByRole('button', { name: 'consent.given email-marketing at 2022-03-14 09:12:00 UTC, mailchimp' })).toHaveAttribute(
      'tabindex',
      '0',
    );
    expect(screen.getByTestId('timeline-undated')).toHaveTextContent('No time in the source (1)');
    expect(screen.getByTestId('timeline-undated-event')).toHaveTextContent('consent.given email-marketing — hubspot');

    const bars = screen.getAllByTestId('timeline-purpose-bar');
    expect(bars.map((bar) => bar.getAttribute('data-purpose'))).toEqual(['email-marketing', 'personalised-ads']);
    const [emailBar] = bars;
    if (emailBar === undefined) throw new Error('no bar');
    expect(
      within(emailBar)
        .getAllByTestId('timeline-segment')
        .map((segment) => segment.getAttribute('data-state')),
    ).toEqual(['given', 'withdrawn']);

    const markers = screen.getAllByTestId('timeline-finding-marker');
    expect(markers).toHaveLength(2);
    expect(markers[0]).toHaveAttribute('aria-label', 'Finding: Unnamed recipient (R1), high at 2023-02-10 03:00:00 UTC');
    expect(markers[0]?.closest('.tl-finding')).toHaveClass('tl-sev-high');
  });

  it('shows the raw source row when an event marker is chosen', async () => {
    const eventSource = vi.fn(() => Promise.resolve(MAILCHIMP_SOURCE));
    renderTimeline({ eventSource });
    const marker = await screen.findByRole('button', {
      name: 'consent.given email-marketing at 2022-03-14 09:12:00 UTC, mailchimp',
    });

    marker.focus();
    fireEvent.click(marker);

    expect(eventSource).toHaveBeenCalledWith(101);
    const panel = await screen.findByTestId('event-source');
    expect(await within(panel).findByTestId('event-source-raw')).toHaveTextContent(
      'anna.berg@example.org,Anna,2022-03-14 09:12:00,203.0.113.7,"Met at the ""Spring"" fair, stand 4"',
    );
    expect(within(panel).getByTestId('event-source-path')).toHaveTextContent(MAILCHIMP_FILE);
    expect(panel).toHaveTextContent('c0ffee');
    expect(within(panel).getByTestId('event-source-header')).toHaveTextContent(
      'Email Address,First Name,OPTIN_TIME,OPTIN_IP,NOTES',
    );

    // The CSV line read field by field, quotes and the comma inside them respected.
    const fields = within(panel).getByTestId('event-source-fields');
    const notesRow = within(fields).getByText('NOTES').closest('tr');
    if (notesRow === null) throw new Error('no NOTES row');
    expect(notesRow).toHaveTextContent('Met at the "Spring" fair, stand 4');

    expect(within(panel).getByTestId('event-source-also-in')).toHaveTextContent(
      '/exports/mailchimp/audience_2023.zip!/subscribed.csv',
    );
    expect(within(panel).getByTestId('event-evidence')).toHaveTextContent('"OPTIN_IP": "203.0.113.7"');
    expect(within(panel).getByTestId('event-fields')).toHaveTextContent('assumed:UTC');
    expect(marker).toHaveAttribute('aria-pressed', 'true');

    expect(within(panel).getByRole('heading', { name: 'Source of event #101' })).toHaveFocus();

    fireEvent.click(within(panel).getByRole('button', { name: 'Close' }));
    expect(screen.queryByTestId('event-source')).not.toBeInTheDocument();
    // Keyboard users are taken back to the marker they came from.
    expect(marker).toHaveFocus();
  });

  it('opens the source from the events table with the keyboard, and shows JSON rows as they are', async () => {
    const eventSource = vi.fn((eventId: number) =>
      Promise.resolve<EventSource>({
        event_id: eventId,
        system: 'segment',
        path: '/exports/segment/events.jsonl',
        sha256: 'ef'.repeat(32),
        locator: '/3',
        line: null,
        header: null,
        raw: '{"type":"track","event":"Audience Synced","userId":"u123","properties":{"destination":"TikTok Ads"}}',
        also_in: [],
      }),
    );
    renderTimeline({ eventSource });
    const rows = await screen.findAllByTestId('timeline-event');
    expect(rows).toHaveLength(7);

    const disclosure = rows.find((row) => row.getAttribute('data-event-id') === '104');
    if (disclosure === undefined) throw new Error('no disclosure row');
    expect(disclosure).toHaveTextContent('TikTok Technology Limited');
    expect(disclosure).toHaveTextContent('segment');
    disclosure.focus();
    fireEvent.keyDown(disclosure, { key: 'Enter' });

    expect(eventSource).toHaveBeenCalledWith(104);
    const raw = await screen.findByTestId('event-source-raw');
    expect(raw).toHaveTextContent('"event":"Audience Synced"');
    expect(screen.queryByTestId('event-source-fields')).not.toBeInTheDocument();
    expect(screen.getByTestId('event-source')).toHaveTextContent('Location/3');
  });

  it('shows the time as recorded with its zone basis', async () => {
    renderTimeline({});
    const rows = await screen.findAllByTestId('timeline-event');
    const optIn = rows.find((row) => row.getAttribute('data-event-id') === '101');
    expect(optIn).toHaveTextContent('2022-03-14 09:12:00');
    expect(optIn).toHaveTextContent('assumed:UTC');
    const withdrawal = rows.find((row) => row.getAttribute('data-event-id') === '105');
    expect(withdrawal).toHaveTextContent('stated: consent.negative');
    const undated = rows.find((row) => row.getAttribute('data-event-id') === '107');
    expect(undated).toHaveTextContent('no time in the source');
  });

  it('lists the findings and records a decision with its note', async () => {
    const taken = {
      status: 'false-positive' as const,
      note: 'TikTok was named in notice PN-2022.1',
      by: 'Jo Auditor',
      at: '2024-05-02T10:00:00Z',
      occurrences_seen: [],
    };
    const decideFinding = vi.fn(() => Promise.resolve({ ...taken, later_occurrences: [], history: [taken] }));
    renderTimeline({ decideFinding });
    const cards = await screen.findAllByTestId('timeline-finding');
    expect(cards).toHaveLength(2);
    const [r1] = cards;
    if (r1 === undefined) throw new Error('no finding');
    // The rule's name, with its code beside it (the end-to-end test looks for "R1").
    expect(within(r1).getByText('Unnamed recipient')).toBeInTheDocument();
    expect(within(r1).getByText('R1')).toHaveAttribute('title', 'unnamed-recipient');
    expect(within(r1).getByText('high')).toHaveClass('badge-high');
    expect(r1).toHaveTextContent('Purpose: personalised-ads');
    expect(r1).toHaveTextContent('Recipient: TikTok Technology Limited');
    expect(r1).toHaveTextContent('names only Meta Platforms Ireland Limited');
    expect(r1).toHaveTextContent('EDPB Guidelines 05/2020 ¶64–65');
    expect(r1).toHaveTextContent('No decision yet.');

    const submit = within(r1).getByTestId('decision-submit');
    expect(submit).toBeDisabled();
    fireEvent.change(within(r1).getByTestId('decision-status'), { target: { value: 'false-positive' } });
    fireEvent.change(within(r1).getByTestId('decision-note'), {
      target: { value: 'TikTok was named in notice PN-2022.1' },
    });
    fireEvent.change(within(r1).getByTestId('decision-by'), { target: { value: 'Jo Auditor' } });
    fireEvent.click(submit);

    expect(decideFinding).toHaveBeenCalledWith(
      'R1-42-personalised-ads-tiktok',
      'false-positive',
      'TikTok was named in notice PN-2022.1',
      'Jo Auditor',
    );
    const decision = await within(r1).findByTestId('finding-decision');
    expect(decision).toHaveTextContent('False positive');
    expect(decision).toHaveTextContent('TikTok was named in notice PN-2022.1');
    expect(decision).toHaveTextContent('by Jo Auditor, 2024-05-02 10:00:00 UTC');
    expect(within(r1).getByTestId('decision-note')).toHaveValue('');
  });

  it('selects a finding’s events from its card', async () => {
    const eventSource = vi.fn(() => Promise.resolve(MAILCHIMP_SOURCE));
    renderTimeline({ eventSource });
    const [r1] = await screen.findAllByTestId('timeline-finding');
    if (r1 === undefined) throw new Error('no finding');

    fireEvent.click(within(r1).getByRole('button', { name: '#104' }));
    expect(eventSource).toHaveBeenCalledWith(104);
  });

  it('says why a decision was not saved', async () => {
    renderTimeline({
      decideFinding: () => Promise.reject(new BackendError({ code: 'not_found', message: 'no such finding' })),
    });
    const [r1] = await screen.findAllByTestId('timeline-finding');
    if (r1 === undefined) throw new Error('no finding');
    fireEvent.change(within(r1).getByTestId('decision-note'), { target: { value: 'checked' } });
    fireEvent.click(within(r1).getByTestId('decision-submit'));

    expect(await within(r1).findByRole('alert')).toHaveTextContent('no such finding');
  });

  it('draws a named recipient whose state differs under its purpose, and states as of an export beside it', async () => {
    const eventSource = vi.fn(() => Promise.resolve(MAILCHIMP_SOURCE));
    renderTimeline({ subjectTimeline: () => Promise.resolve(SCOPED_TIMELINE), eventSource });
    await screen.findByTestId('timeline-chart');

    // Purpose bars stay one per purpose; Beta's refusal gets its own bar, right under marketing.
    expect(screen.getAllByTestId('timeline-purpose-bar').map((bar) => bar.getAttribute('data-purpose'))).toEqual([
      'email-marketing',
      'marketing',
    ]);
    const [marketingBar] = screen.getAllByTestId('timeline-purpose-bar').slice(1);
    const [recipientBar] = screen.getAllByTestId('timeline-recipient-bar');
    if (marketingBar === undefined || recipientBar === undefined) throw new Error('missing bars');
    expect(recipientBar).toHaveAttribute('data-purpose', 'marketing');
    expect(recipientBar).toHaveAttribute('data-recipient', 'Beta');
    expect(recipientBar).toHaveTextContent('↳ for Beta');
    expect(recipientBar.querySelector('.tl-row-label')).toHaveAttribute('x', '26');
    expect(marketingBar.querySelector('.tl-row-label')).toHaveAttribute('x', '12');
    const [refused] = within(recipientBar).getAllByTestId('timeline-segment');
    expect(refused).toHaveAttribute('data-state', 'refused');
    expect(refused).toHaveTextContent('marketing for Beta: refused from 2023-01-09 12:00:00 UTC until now');
    expect(within(marketingBar).getByTestId('timeline-segment')).toHaveAttribute('data-state', 'given');
    // The recipient's bar is drawn below its purpose's.
    const yOf = (bar: Element) => Number(bar.querySelector('.tl-bar-track')?.getAttribute('y'));
    expect(yOf(recipientBar)).toBeGreaterThan(yOf(marketingBar));

    // The HubSpot opt-out has no date: a tag beside email-marketing's (dated, given) bar.
    const [emailBar] = screen.getAllByTestId('timeline-purpose-bar');
    if (emailBar === undefined) throw new Error('no email bar');
    const tag = within(emailBar).getByTestId('timeline-export-state');
    expect(tag).toHaveTextContent('opted out per hubspot (as of its export)');
    expect(tag).toHaveAttribute('aria-label', 'opted out per hubspot (as of its export): “Marketing Information”');
    expect(within(marketingBar).queryByTestId('timeline-export-state')).not.toBeInTheDocument();
    fireEvent.keyDown(tag, { key: 'Enter' });
    expect(eventSource).toHaveBeenCalledWith(110);
  });

  it('marks a partial grant with the source purposes agreed and not, and folded statements as part of it', async () => {
    renderTimeline({ subjectTimeline: () => Promise.resolve(SCOPED_TIMELINE) });
    const rows = await screen.findAllByTestId('timeline-event');
    const partial = rows.find((row) => row.getAttribute('data-event-id') === '111');
    const folded = rows.find((row) => row.getAttribute('data-event-id') === '112');
    if (partial === undefined || folded === undefined) throw new Error('missing rows');

    const marker = within(partial).getByTestId('timeline-event-partial');
    expect(marker).toHaveTextContent(
      'partial consented: 3 Create profiles for personalised advertising, 4 Use profiles to select personalised advertising; not consented: 2 Use limited data to select advertising',
    );
    expect(within(folded).queryByTestId('timeline-event-partial')).not.toBeInTheDocument();
    expect(within(folded).getByTestId('timeline-event-folded')).toHaveTextContent('part of #111');
    expect(folded).toHaveClass('tl-row-folded');
    expect(partial).not.toHaveClass('tl-row-folded');
    // Events without either say nothing about it.
    const plain = rows.find((row) => row.getAttribute('data-event-id') === '101');
    expect(plain?.querySelector('[data-testid="timeline-event-partial"], [data-testid="timeline-event-folded"]')).toBeNull();

    // "part of #111" leads to the statement that speaks for the record.
    fireEvent.click(within(folded).getByRole('button', { name: '#111' }));
    expect(await screen.findByTestId('event-source')).toBeInTheDocument();
    expect(partial).toHaveClass('tl-row-selected');
  });

  it('explains a timeline that cannot be loaded', async () => {
    renderTimeline({
      subjectTimeline: () => Promise.reject(new BackendError({ code: 'not_found', message: 'no subject 42' })),
    });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The timeline could not be loaded');
    expect(alert).toHaveTextContent('no subject 42');
    await waitFor(() => {
      expect(screen.getByTestId('timeline-screen')).toBeInTheDocument();
    });
  });
});

describe('reading a raw CSV row against its header', () => {
  it('honours quotes, doubled quotes and delimiters inside quotes', () => {
    expect(parseCsvRecord('a,"b,c","say ""hi""",', ',')).toEqual(['a', 'b,c', 'say "hi"', '']);
    expect(parseCsvRecord('"multi\nline",x', ',')).toEqual(['multi\nline', 'x']);
    expect(parseCsvRecord('"open,x', ',')).toBeNull();
    expect(parseCsvRecord('one\ntwo', ',')).toBeNull();
  });

  it('finds the delimiter that matches the header, and leaves JSON alone', () => {
    expect(splitAgainstHeader('x@example.org;"Müller; Anna";2023-01-01', ['Email', 'Name', 'Date'])).toEqual({
      delimiter: ';',
      fields: ['x@example.org', 'Müller; Anna', '2023-01-01'],
    });
    expect(splitAgainstHeader('{"a":1}', ['a'])).toBeNull();
    expect(splitAgainstHeader('a,b', null)).toBeNull();
  });
});

describe('the time axis', () => {
  it('puts calendar-aligned month ticks between the ends, years as major ticks', () => {
    const ticks = monthTicks(Date.UTC(2022, 1, 20), Date.UTC(2023, 6, 10), 8);
    expect(ticks.map((tick) => tick.label)).toEqual(['Apr 2022', 'Jul', 'Oct', '2023', 'Apr', 'Jul']);
    expect(ticks.filter((tick) => tick.major).map((tick) => tick.label)).toEqual(['2023']);
  });

  it('names the month when a short window crosses no month start', () => {
    expect(monthTicks(Date.UTC(2023, 0, 2), Date.UTC(2023, 0, 30), 10).map((tick) => tick.label)).toEqual(['Jan 2023']);
  });
});

describe('the timeline’s date range and zoom', () => {
  it('shows only the events, findings and state in the range, undated events still listed', async () => {
    renderTimeline({});
    await screen.findByTestId('timeline-chart');
    expect(screen.getAllByTestId('timeline-event-marker')).toHaveLength(6);

    fireEvent.change(screen.getByLabelText('From (UTC)'), { target: { value: '2023-01-01' } });
    fireEvent.change(screen.getByTestId('timeline-to'), { target: { value: '2023-05-31' } });

    expect(screen.getByTestId('timeline-range-note')).toHaveTextContent(
      '2023-01-01 to 2023-05-31 (UTC): showing 3 of 7 events and 1 of 2 findings in the range',
    );
    const markers = screen.getAllByTestId('timeline-event-marker').map((marker) => marker.getAttribute('aria-label'));
    expect(markers).toHaveLength(2);
    expect(markers.join(' | ')).toMatch(/disclosure .*2023-02-10.* \| consent\.withdrawn .*2023-05-02/);
    expect(screen.getAllByTestId('timeline-event')).toHaveLength(3);
    expect(screen.getAllByTestId('timeline-finding-marker').map((m) => m.dataset.findingId)).toEqual([
      'R1-42-personalised-ads-tiktok',
    ]);
    // The email-marketing grant is cut at the range's start; the withdrawal runs to its end.
    const states = screen.getAllByTestId('timeline-segment').map((segment) => segment.dataset.state);
    expect(states).toEqual(['given', 'withdrawn', 'given']);
  });

  it('includes both ends of the range as whole UTC days', async () => {
    renderTimeline({});
    await screen.findByTestId('timeline-chart');
    fireEvent.change(screen.getByTestId('timeline-from'), { target: { value: '2023-06-01' } });
    fireEvent.change(screen.getByTestId('timeline-to'), { target: { value: '2023-06-01' } });
    const markers = screen.getAllByTestId('timeline-event-marker');
    expect(markers).toHaveLength(1);
    expect(markers[0]).toHaveAccessibleName(/processing .*2023-06-01 08:00/);
    expect(screen.getAllByTestId('timeline-finding-marker')).toHaveLength(1);
  });

  it('explains a range that ends before it starts and keeps the whole history', async () => {
    renderTimeline({});
    await screen.findByTestId('timeline-chart');
    fireEvent.change(screen.getByTestId('timeline-from'), { target: { value: '2023-06-01' } });
    fireEvent.change(screen.getByTestId('timeline-to'), { target: { value: '2023-01-01' } });
    expect(screen.getByRole('alert')).toHaveTextContent('The range starts after it ends');
    expect(screen.getAllByTestId('timeline-event-marker')).toHaveLength(6);
  });

  it('offers the last year, the last 90 days and all of it, ending on the latest dated day', async () => {
    renderTimeline({});
    await screen.findByTestId('timeline-chart');
    fireEvent.click(screen.getByRole('button', { name: '90 days' }));
    expect(screen.getByTestId('timeline-from')).toHaveValue('2023-03-04');
    expect(screen.getByTestId('timeline-to')).toHaveValue('2023-06-01');
    expect(screen.getByRole('button', { name: '90 days' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getAllByTestId('timeline-event-marker')).toHaveLength(2);

    fireEvent.click(screen.getByRole('button', { name: '1 year' }));
    expect(screen.getByTestId('timeline-from')).toHaveValue('2022-06-02');
    expect(screen.getAllByTestId('timeline-event-marker')).toHaveLength(3);

    fireEvent.click(screen.getByRole('button', { name: 'All' }));
    expect(screen.getByTestId('timeline-from')).toHaveValue('');
    expect(screen.queryByTestId('timeline-range-note')).not.toBeInTheDocument();
    expect(screen.getAllByTestId('timeline-event-marker')).toHaveLength(6);
  });

  it('zooms the time axis in and out with buttons that have names, and resets', async () => {
    renderTimeline({});
    const chart = await screen.findByTestId('timeline-chart');
    const fittedWidth = Number(chart.getAttribute('width'));
    expect(screen.getByRole('button', { name: 'Zoom out' })).toBeDisabled();
    expect(screen.getByTestId('timeline-zoom-reset')).toBeDisabled();

    fireEvent.click(screen.getByRole('button', { name: 'Zoom in' }));
    fireEvent.click(screen.getByTestId('timeline-zoom-in'));
    expect(screen.getByTestId('timeline-zoom-level')).toHaveTextContent('4×');
    const zoomed = screen.getByTestId('timeline-chart');
    expect(zoomed).toHaveAttribute('data-zoom', '4');
    // The label column keeps its width; the time axis gets four times the room.
    expect(Number(zoomed.getAttribute('width'))).toBe(194 + (fittedWidth - 194) * 4);

    fireEvent.click(screen.getByTestId('timeline-zoom-out'));
    expect(screen.getByTestId('timeline-zoom-level')).toHaveTextContent('2×');
    fireEvent.click(screen.getByTestId('timeline-zoom-reset'));
    expect(screen.getByTestId('timeline-chart')).toHaveAttribute('width', String(fittedWidth));
  });
});
