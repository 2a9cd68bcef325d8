import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import {
  BackendError,
  type AuditProgress,
  type AuditSummary,
  type Backend,
  type ChosenFile,
  type Decision,
  type Finding,
  type FindingBreakdown,
  type FindingFilter,
  type FindingPage,
  type FindingsExport,
} from '../api';
import { fakeBackend } from '../test/fakeBackend';
import { monthSeries } from './findings/BreakdownCharts';
import { FindingsScreen } from './FindingsScreen';
import { TestBackend } from '../test/render';

function finding(index: number, overrides: Partial<Finding> = {}): Finding {
  const r1 = index % 3 !== 2;
  return {
    id: `finding-${String(index)}`,
    rule: r1 ? 'R1' : 'R3',
    code: r1 ? 'unnamed-recipient' : 'processing-after-withdrawal',
    severity: 'high',
    subject: {
      id: 100 + index,
      identifiers: [
        { kind: 'email', value: `customer${String(index)}@example.org` },
        { kind: 'hubspot:record', value: String(5500 + index) },
      ],
    },
    purpose: r1 ? 'personalised-ads' : 'email-marketing',
    recipient: r1 ? 'TikTok Technology Limited' : null,
    at: '2023-02-10T03:00:00Z',
    occurrences: ['2023-02-10T03:00:00Z', '2023-03-10T03:00:00Z'],
    event_ids: [index * 10, index * 10 + 1],
    systems: r1 ? ['segment', 'salesforce'] : ['mailchimp', 'salesforce'],
    explanation: r1
      ? 'Data was disclosed to TikTok Technology Limited, whom the consent in force does not name.'
      : 'A campaign was sent after the subject withdrew consent.',
    legal_reference: r1 ? 'Art. 4(11), 6(1)(a), 7 GDPR; EDPB Guidelines 05/2020 ¶64–65' : 'Art. 7(3), 21(3) GDPR',
    decision: null,
    ...overrides,
  };
}

const ALL = Array.from({ length: 120 }, (_, index) => finding(index));

/** A page of the 120 findings, honouring the rule filter like the backend's SQL would. */
function page(filter: FindingFilter, limit: number, offset: number): FindingPage {
  const matching = ALL.filter((each) => (filter.rule ?? each.rule) === each.rule);
  return { total: matching.length, rows: matching.slice(offset, offset + limit) };
}

const BREAKDOWN: FindingBreakdown = {
  total: 120,
  by_rule: [
    { key: 'R3', count: 40 },
    { key: 'R1', count: 80 },
  ],
  by_severity: [{ key: 'high', count: 120 }],
  by_purpose: [
    { key: 'email-marketing', count: 40 },
    { key: 'personalised-ads', count: 80 },
  ],
  by_system: [
    { key: 'salesforce', count: 120 },
    { key: 'segment', count: 80 },
    { key: 'mailchimp', count: 40 },
  ],
  by_month: [
    { key: '2023-02', count: 100 },
    { key: '2023-06', count: 20 },
  ],
  by_status: [
    { key: 'open', count: 119 },
    { key: 'accepted', count: 1 },
  ],
  audited_at: '2024-05-01T09:30:00Z',
};

function renderFindings(methods: Partial<Backend> = {}) {
  const findingsPage = vi.fn((filter: FindingFilter, limit: number, offset: number) =>
    Promise.resolve(page(filter, limit, offset)),
  );
  const findingsBreakdown = vi.fn<(filter: FindingFilter) => Promise<FindingBreakdown>>(() => Promise.resolve(BREAKDOWN));
  const onOpenSubject = vi.fn();
  render(
    <TestBackend value={fakeBackend({ findingsPage, findingsBreakdown, ...methods })}>
      <FindingsScreen onOpenSubject={onOpenSubject} />
    </TestBackend>,
  );
  return { findingsPage, findingsBreakdown, onOpenSubject };
}

// Generous: six charts and fifty rows render slowly in jsdom on a machine shared with Rust builds.
describe('FindingsScreen', { timeout: 15_000 }, () => {
  it('shows the stored audit, the dashboard by every dimension, and the first page', async () => {
    const { findingsPage, findingsBreakdown } = renderFindings();

    expect(await screen.findByTestId('findings-total')).toHaveTextContent('120 findings');
    expect(findingsPage).toHaveBeenCalledWith({}, 50, 0);
    expect(findingsBreakdown).toHaveBeenCalledWith({});
    expect(screen.getByTestId('audited-at')).toHaveTextContent('2024-05-01 09:30:00 UTC');
    expect(screen.getAllByTestId('finding-row')).toHaveLength(50);
    expect(screen.getByTestId('findings-print')).toHaveTextContent('Print…');

    for (const [dimension, heading] of [
      ['rule', 'By rule'],
      ['severity', 'By severity'],
      ['purpose', 'By purpose'],
      ['system', 'By system'],
      ['month', 'By month of first occurrence'],
      ['status', 'By status'],
    ] as const) {
      const chart = screen.getByTestId(`findings-chart-${dimension}`);
      expect(within(chart).getByRole('heading', { name: heading })).toBeInTheDocument();
    }
    // Rules in their natural order, by name with the code beside it, with their counts.
    const ruleRows = within(screen.getByTestId('findings-counts-rule')).getAllByRole('row').slice(1);
    expect(ruleRows.map((row) => row.textContent)).toEqual([
      'Unnamed recipient (R1)80',
      'Processing after withdrawal (R3)40',
    ]);
    // The rule filter offers names too.
    expect(within(screen.getByTestId('filter-rule')).getByRole('option', { name: 'Stale consent (R8)' })).toHaveValue(
      'R8',
    );
    expect(within(screen.getByTestId('findings-counts-status')).getByText('Open')).toBeInTheDocument();
    expect(within(screen.getByTestId('findings-counts-month')).getByText('Feb 2023')).toBeInTheDocument();
  });

  it('exports the filtered findings to the path chosen in the save dialog', async () => {
    const pickExportPath = vi.fn<(name: string) => Promise<ChosenFile | null>>(() =>
      Promise.resolve({ token: 'tok-xlsx', name: 'findings.xlsx' }),
    );
    let finish: (result: FindingsExport) => void = () => undefined;
    const exportFindings = vi.fn<(filter: FindingFilter, token: string) => Promise<FindingsExport>>(
      () =>
        new Promise<FindingsExport>((resolve) => {
          finish = resolve;
        }),
    );
    renderFindings({ pickExportPath, exportFindings });
    await screen.findAllByTestId('finding-row');
    fireEvent.change(screen.getByTestId('filter-rule'), { target: { value: 'R3' } });
    await waitFor(() => {
      expect(screen.getByTestId('findings-total')).toHaveTextContent('40 findings');
    });

    fireEvent.click(screen.getByTestId('findings-export'));
    await waitFor(() => {
      expect(exportFindings).toHaveBeenCalledWith({ rule: 'R3' }, 'tok-xlsx');
    });
    expect(pickExportPath.mock.calls[0]?.[0]).toMatch(/^findings-\d{4}-\d{2}-\d{2}\.xlsx$/);
    expect(screen.getByTestId('findings-export')).toBeDisabled();
    act(() => {
      finish({ path: '/home/dpo/findings.xlsx', rows: 40 });
    });
    expect(await screen.findByTestId('findings-export-result')).toHaveTextContent(
      'Exported 40 findings to /home/dpo/findings.xlsx',
    );
    expect(screen.getByTestId('findings-export')).toBeEnabled();
  });

  it('writes nothing when the save dialog is cancelled, and shows a failed export', async () => {
    const pickExportPath = vi
      .fn<(name: string) => Promise<ChosenFile | null>>()
      .mockResolvedValueOnce(null)
      .mockResolvedValueOnce({ token: 'tok-csv', name: 'findings.csv' });
    const exportFindings = vi.fn(() =>
      Promise.reject(new BackendError({ code: 'invalid_input', message: '/read-only/findings.csv: cannot write the export' })),
    );
    renderFindings({ pickExportPath, exportFindings });
    await screen.findAllByTestId('finding-row');

    fireEvent.click(screen.getByTestId('findings-export'));
    await waitFor(() => {
      expect(pickExportPath).toHaveBeenCalledTimes(1);
    });
    expect(exportFindings).not.toHaveBeenCalled();

    fireEvent.click(screen.getByTestId('findings-export'));
    expect(await screen.findByText(/cannot write the export/)).toBeInTheDocument();
    expect(screen.getByText('The findings could not be exported')).toBeInTheDocument();
    expect(exportFindings).toHaveBeenCalledWith({}, 'tok-csv');
  });

  it('sends the chosen filters to the list and the dashboard, and clears them', async () => {
    const { findingsPage, findingsBreakdown } = renderFindings();
    await screen.findAllByTestId('finding-row');

    fireEvent.change(screen.getByTestId('filter-rule'), { target: { value: 'R3' } });
    await waitFor(() => {
      expect(findingsPage).toHaveBeenLastCalledWith({ rule: 'R3' }, 50, 0);
    });
    expect(findingsBreakdown).toHaveBeenCalledWith({ rule: 'R3' });
    await waitFor(() => {
      expect(screen.getByTestId('findings-total')).toHaveTextContent('40 findings');
    });

    fireEvent.change(screen.getByTestId('filter-severity'), { target: { value: 'high' } });
    fireEvent.change(screen.getByTestId('filter-purpose'), { target: { value: 'email-marketing' } });
    fireEvent.change(screen.getByTestId('filter-system'), { target: { value: 'mailchimp' } });
    fireEvent.change(screen.getByTestId('filter-month'), { target: { value: '2023-06' } });
    fireEvent.change(screen.getByTestId('filter-status'), { target: { value: 'open' } });
    const everything = {
      rule: 'R3',
      severity: 'high',
      purpose: 'email-marketing',
      system: 'mailchimp',
      month: '2023-06',
      status: 'open',
    };
    await waitFor(() => {
      expect(findingsPage).toHaveBeenLastCalledWith(everything, 50, 0);
    });
    expect(findingsBreakdown).toHaveBeenLastCalledWith(everything);

    fireEvent.click(screen.getByTestId('clear-filters'));
    await waitFor(() => {
      expect(findingsPage).toHaveBeenLastCalledWith({}, 50, 0);
    });
    expect(screen.getByTestId('clear-filters')).toBeDisabled();
  });

  it('filters by a value chosen on a chart, and choosing it again clears it', async () => {
    const { findingsPage } = renderFindings();
    await screen.findAllByTestId('finding-row');

    const systems = screen.getByTestId('findings-chart-system');
    fireEvent.click(within(systems).getByRole('button', { name: 'segment' }));
    await waitFor(() => {
      expect(findingsPage).toHaveBeenLastCalledWith({ system: 'segment' }, 50, 0);
    });
    expect(screen.getByTestId('filter-system')).toHaveValue('segment');
    expect(within(systems).getByRole('button', { name: 'segment' })).toHaveAttribute('aria-pressed', 'true');

    fireEvent.click(within(screen.getByTestId('findings-chart-month')).getByRole('button', { name: 'Jun 2023' }));
    await waitFor(() => {
      expect(findingsPage).toHaveBeenLastCalledWith({ system: 'segment', month: '2023-06' }, 50, 0);
    });

    fireEvent.click(within(systems).getByRole('button', { name: 'segment' }));
    await waitFor(() => {
      expect(findingsPage).toHaveBeenLastCalledWith({ month: '2023-06' }, 50, 0);
    });
  });

  it('draws a bar per value and a bar click filters by it', async () => {
    const { findingsPage } = renderFindings();
    await screen.findAllByTestId('finding-row');
    const severity = screen.getByTestId('findings-chart-severity');
    expect(severity.querySelectorAll('.findings-bar')).toHaveLength(1);
    const rules = screen.getByTestId('findings-chart-rule');
    const ruleBars = [...rules.querySelectorAll('.findings-bar')];
    expect(ruleBars.map((bar) => bar.querySelector('title')?.textContent)).toEqual([
      'Unnamed recipient (R1): 80 findings',
      'Processing after withdrawal (R3): 40 findings',
    ]);
    // Rules are charted sideways, each bar labelled with the rule's name (not a bare code).
    expect(
      within(rules)
        .getAllByTestId('findings-chart-row')
        .map((row) => row.querySelector('.findings-row-label')?.textContent),
    ).toEqual(['Unnamed recipient', 'Processing after withdrawal']);
    // Systems and purposes too: names like disclosure-log overlapped each other under bars.
    const rowLabels = (dimension: string) =>
      within(screen.getByTestId(`findings-chart-${dimension}`))
        .getAllByTestId('findings-chart-row')
        .map((row) => row.querySelector('.findings-row-label')?.textContent);
    expect(rowLabels('system')).toEqual(['salesforce', 'segment', 'mailchimp']);
    expect(rowLabels('purpose')).toEqual(['personalised-ads', 'email-marketing']);
    const [long, short] = ruleBars.map((bar) => Number(bar.getAttribute('width')));
    expect(long).toBeCloseTo(2 * (short ?? 0), 5);
    const bar = severity.querySelector('.findings-bar');
    expect(bar).toHaveClass('findings-bar-high');
    if (bar === null) throw new Error('no bar');

    fireEvent.click(bar);
    await waitFor(() => {
      expect(findingsPage).toHaveBeenLastCalledWith({ severity: 'high' }, 50, 0);
    });
  });

  it('opens the subject of a finding', async () => {
    const { onOpenSubject } = renderFindings();
    const [first] = await screen.findAllByTestId('finding-row');
    if (first === undefined) throw new Error('no row');

    expect(within(first).getByText('Unnamed recipient')).toBeInTheDocument();
    expect(within(first).getByText('R1')).toHaveAttribute('title', 'unnamed-recipient');
    expect(first).toHaveTextContent('personalised-ads');
    expect(first).toHaveTextContent('TikTok Technology Limited');
    expect(first).toHaveTextContent('2023-02-10 03:00:00 UTC');
    expect(first).toHaveTextContent('segment, salesforce');
    expect(first).toHaveTextContent('Open');
    fireEvent.click(within(first).getByRole('button', { name: 'email:customer0@example.org' }));
    expect(onOpenSubject).toHaveBeenCalledWith(100);
  });

  it('expands a finding, records a decision, and refreshes the list and dashboard', async () => {
    const taken = {
      status: 'remediated' as const,
      note: 'Audience sync to TikTok switched off on 2024-04-30',
      by: null,
      at: '2024-05-02T11:00:00Z',
      occurrences_seen: ['2023-02-10T03:00:00Z'],
    };
    const decision: Decision = { ...taken, later_occurrences: [], history: [taken] };
    const decideFinding = vi.fn(() => Promise.resolve(decision));
    const { findingsPage, findingsBreakdown } = renderFindings({ decideFinding });
    const [first] = await screen.findAllByTestId('finding-row');
    if (first === undefined) throw new Error('no row');

    fireEvent.click(within(first).getByTestId('finding-expand'));
    expect(within(first).getByTestId('finding-expand')).toHaveAttribute('aria-expanded', 'true');
    expect(first).toHaveTextContent('whom the consent in force does not name');
    expect(first).toHaveTextContent('EDPB Guidelines 05/2020 ¶64–65');
    expect(first).toHaveTextContent('2023-03-10 03:00:00 UTC');

    const pagesBefore = findingsPage.mock.calls.length;
    const breakdownsBefore = findingsBreakdown.mock.calls.length;
    fireEvent.change(within(first).getByTestId('decision-status'), { target: { value: 'remediated' } });
    fireEvent.change(within(first).getByTestId('decision-note'), { target: { value: decision.note } });
    fireEvent.click(within(first).getByTestId('decision-submit'));

    expect(decideFinding).toHaveBeenCalledWith('finding-0', 'remediated', decision.note, null);
    expect(await within(first).findByTestId('finding-decision')).toHaveTextContent('Remediated');
    await waitFor(() => {
      expect(findingsPage.mock.calls.length).toBeGreaterThan(pagesBefore);
    });
    expect(findingsPage).toHaveBeenLastCalledWith({}, 50, 0);
    expect(findingsBreakdown.mock.calls.length).toBeGreaterThan(breakdownsBefore);
  });

  it('shows a remediated finding that occurred again as reopened, the remediation kept', async () => {
    const remediated = {
      status: 'remediated' as const,
      note: 'Audience deleted',
      by: 'DPO',
      at: '2024-05-02T11:00:00Z',
      occurrences_seen: ['2023-02-10T03:00:00Z'],
    };
    const reopened = finding(0, {
      decision: { ...remediated, status: 'reopened', later_occurrences: ['2023-03-10T03:00:00Z'], history: [remediated] },
    });
    renderFindings({ findingsPage: () => Promise.resolve({ total: 1, rows: [reopened] }) });
    const [row] = await screen.findAllByTestId('finding-row');
    if (row === undefined) throw new Error('no row');
    expect(row).toHaveTextContent('Reopened');

    fireEvent.click(within(row).getByTestId('finding-expand'));
    expect(within(row).getByTestId('finding-reopened')).toHaveTextContent(
      'remediated, then occurred again on 2023-03-10 03:00:00 UTC',
    );
    expect(within(row).getByTestId('finding-decision')).toHaveTextContent('“Audience deleted” by DPO');
    // A new decision starts from the remediation it reopened.
    expect(within(row).getByTestId('decision-status')).toHaveValue('remediated');
    // The status filter offers reopened findings.
    expect(screen.getByRole('option', { name: 'Reopened' })).toBeInTheDocument();
  });

  it('loads more findings a page at a time', async () => {
    const { findingsPage } = renderFindings();
    await screen.findAllByTestId('finding-row');

    fireEvent.click(screen.getByTestId('load-more'));
    await waitFor(() => {
      expect(screen.getAllByTestId('finding-row')).toHaveLength(100);
    });
    expect(findingsPage).toHaveBeenLastCalledWith({}, 50, 50);

    fireEvent.click(screen.getByTestId('load-more'));
    await waitFor(() => {
      expect(screen.getAllByTestId('finding-row')).toHaveLength(120);
    });
    expect(screen.queryByTestId('load-more')).not.toBeInTheDocument();
  });

  it('runs the audit and reports what it could not evaluate', async () => {
    const summary: AuditSummary = {
      findings: 118,
      by_rule: { R2: 80, R4: 38 },
      by_severity: { high: 80, medium: 38 },
      by_purpose: { 'email-marketing': 118 },
      by_system: { mailchimp: 118 },
      subjects: 1204,
      events: 18311,
      rules_run: ['R1', 'R2', 'R4', 'R10'],
      not_evaluated: [
        { rule: 'R1', purpose: 'email-marketing', reason: 'no disclosure data and no recipients in the profile' },
        { rule: 'R10', purpose: null, reason: 'no date of birth in any source' },
      ],
    };
    let finish: (value: AuditSummary) => void = () => undefined;
    const runAudit = vi.fn((onProgress: (progress: AuditProgress) => void) => {
      onProgress({ done: 512, total: 1204 });
      return new Promise<AuditSummary>((resolve) => {
        finish = resolve;
      });
    });
    const { findingsBreakdown } = renderFindings({ runAudit });
    await screen.findAllByTestId('finding-row');
    const breakdownsBefore = findingsBreakdown.mock.calls.length;

    fireEvent.click(screen.getByTestId('run-audit'));
    expect(screen.getByTestId('run-audit')).toBeDisabled();
    const progress = await screen.findByTestId('audit-progress');
    expect(progress).toHaveTextContent('512 subjects of 1,204 checked');
    expect(progress.querySelector('progress')).toHaveAttribute('value', '512');
    act(() => {
      finish(summary);
    });

    const result = await screen.findByTestId('audit-summary');
    expect(runAudit).toHaveBeenCalled();
    expect(result).toHaveTextContent('118 findings · 1,204 subjects · 18,311 events');
    const warning = screen.getByTestId('audit-not-evaluated');
    expect(warning).toHaveClass('notice-warn');
    expect(warning).toHaveTextContent(
      'Unnamed recipient (R1) for purpose email-marketing: no disclosure data and no recipients in the profile',
    );
    expect(warning).toHaveTextContent('Child consent (R10): no date of birth in any source');
    await waitFor(() => {
      expect(findingsBreakdown.mock.calls.length).toBeGreaterThan(breakdownsBefore);
    });
  });

  it('says when there has been no audit yet', async () => {
    renderFindings({
      findingsBreakdown: () =>
        Promise.resolve({
          ...BREAKDOWN,
          total: 0,
          by_rule: [],
          by_severity: [],
          by_purpose: [],
          by_system: [],
          by_month: [],
          by_status: [],
          audited_at: null,
        }),
      findingsPage: () => Promise.resolve({ total: 0, rows: [] }),
    });

    expect(await screen.findByText('No audit yet')).toBeInTheDocument();
    expect(await screen.findByTestId('findings-empty')).toBeInTheDocument();
    expect(screen.getByTestId('findings-total')).toHaveTextContent('0 findings');
  });
});

describe('monthSeries', () => {
  it('fills the months between the first and the last with zeros', () => {
    expect(
      monthSeries([
        { key: '2023-11', count: 2 },
        { key: '2024-02', count: 1 },
      ]).map((datum) => [datum.key, datum.count]),
    ).toEqual([
      ['2023-11', 2],
      ['2023-12', 0],
      ['2024-01', 0],
      ['2024-02', 1],
    ]);
  });
});
