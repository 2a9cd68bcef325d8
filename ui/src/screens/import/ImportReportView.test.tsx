import { render, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import type { FileReport, ImportIssue } from '../../api';
import { ImportReportView } from './ImportReportView';

function issues(count: number, message: string): ImportIssue[] {
  return Array.from({ length: count }, (_, index) => ({ locator: `line ${String(index + 2)}`, field: null, message }));
}

function report(overrides: Partial<FileReport>): FileReport {
  return {
    path: '/exports/members.csv',
    system: 'mailchimp',
    sha256: 'ab'.repeat(32),
    status: 'imported',
    rows_imported: 10,
    rows_rejected: 0,
    rows_warned: 0,
    events: 12,
    duplicate_events: 0,
    source_id: 1,
    encoding: 'UTF-8',
    warnings: [],
    rejections: [],
    warnings_omitted: 0,
    rejections_omitted: 0,
    error: null,
    ...overrides,
  };
}

function renderReport(files: FileReport[]) {
  render(
    <ImportReportView files={files} ending={{ kind: 'done' }} onImportAgain={vi.fn()} onShowSubjects={vi.fn()} />,
  );
  return screen.getByTestId('import-report');
}

describe('ImportReportView', () => {
  it('says how many rejected rows and warnings the report leaves out, never looking complete', () => {
    const view = renderReport([
      report({
        rows_rejected: 1250,
        rows_warned: 1003,
        rejections: issues(1000, 'not an e-mail address'),
        rejections_omitted: 250,
        warnings: issues(1000, 'unknown status'),
        warnings_omitted: 3,
      }),
    ]);

    const [rejected, warnings] = within(view).getAllByRole('group');
    expect(rejected).toHaveTextContent('Rejected rows (first 1,000 of 1,250)');
    expect(rejected).toHaveTextContent('250 more not listed here; every one is recorded with the source (Sources screen).');
    expect(warnings).toHaveTextContent('Warnings (first 1,000 of 1,003)');
    expect(warnings).toHaveTextContent('3 more not listed here');
  });

  it('counts a complete list plainly', () => {
    const view = renderReport([report({ rows_rejected: 2, rejections: issues(2, 'not a date') })]);

    const summary = within(view).getByText(/^Rejected rows/);
    expect(summary).toHaveTextContent(/^Rejected rows \(2\)$/);
    expect(view).not.toHaveTextContent('more not listed here');
  });
});
