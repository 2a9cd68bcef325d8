import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { BackendError } from './api';
import { PrintButton } from './components/PrintButton';
import printCss from './print.css?raw';
import { fakeBackend } from './test/fakeBackend';
import { TestBackend } from './test/render';

/** The body of the stylesheet's `@media print { … }` block (braces balanced). */
function printBlock(css: string): string {
  const start = css.indexOf('@media print');
  if (start === -1) return '';
  const open = css.indexOf('{', start);
  let depth = 0;
  for (let index = open; index < css.length; index += 1) {
    if (css[index] === '{') depth += 1;
    if (css[index] === '}') depth -= 1;
    if (depth === 0) return css.slice(open + 1, index);
  }
  return '';
}

/** The declarations of the first rule in `block` whose selector list names `selector`. */
function rulesFor(block: string, selector: string): string {
  const rule = new RegExp(`(?:^|[},])\\s*([^{}]*?(?:^|,|\\s)${selector.replace('.', '\\.')}\\s*(?:,[^{}]*)?)\\{([^}]*)\\}`, 'm');
  return rule.exec(block)?.[2] ?? '';
}

describe('printing Findings and the Timeline', () => {
  it('asks the window to print, and says so when it cannot', async () => {
    const printWindow = vi
      .fn<() => Promise<void>>()
      .mockResolvedValueOnce(undefined)
      .mockRejectedValueOnce(new BackendError({ code: 'internal', message: 'no printer backend' }));
    render(
      <TestBackend value={fakeBackend({ printWindow })}>
        <PrintButton testId="findings-print" what="the findings" />
      </TestBackend>,
    );
    fireEvent.click(screen.getByTestId('findings-print'));
    expect(printWindow).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();

    fireEvent.click(screen.getByTestId('findings-print'));
    expect(await screen.findByRole('alert')).toHaveTextContent('no printer backend');
  });

  it('prints the screen only: no navigation, buttons or forms; tables whole, header on each page', () => {
    const block = printBlock(printCss);
    expect(block).not.toBe('');
    for (const selector of ['.nav', '.no-print', '.screen button', '.decision-form', '.tl-source']) {
      expect(rulesFor(block, selector), selector).toMatch(/display:\s*none/);
    }
    expect(rulesFor(block, '.table thead')).toMatch(/display:\s*table-header-group/);
    expect(rulesFor(block, '.finding-group')).toMatch(/break-inside:\s*avoid/);
    expect(rulesFor(block, '.table-scroll')).toMatch(/overflow:\s*visible/);
    expect(rulesFor(block, '.tl-chart')).toMatch(/width:\s*100%/);
    // Black on white whatever the theme.
    expect(block).toMatch(/--text:\s*#000000/);
  });
});
