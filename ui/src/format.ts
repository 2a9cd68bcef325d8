/**
 * Display helpers shared by the screens.
 *
 * Instants are shown in UTC on purpose: the engine stores UTC and the evidence packs print UTC,
 * so what an officer reads on screen is what the auditor later reads in the PDF.
 */
import type { DecisionState, Identifier } from './api';

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const COUNT_FORMAT = new Intl.NumberFormat('en-GB');

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}

/** Short English month name for a zero-based UTC month. */
export function monthName(month: number): string {
  return MONTH_NAMES[month] ?? '?';
}

/** `2023-04-05` (UTC). */
export function formatUtcDate(ms: number): string {
  const date = new Date(ms);
  return `${String(date.getUTCFullYear())}-${twoDigits(date.getUTCMonth() + 1)}-${twoDigits(date.getUTCDate())}`;
}

/** `2023-04-05 14:03:07 UTC`: seconds matter for grace periods and tie-breaks. */
export function formatUtc(ms: number): string {
  const date = new Date(ms);
  const time = `${twoDigits(date.getUTCHours())}:${twoDigits(date.getUTCMinutes())}:${twoDigits(date.getUTCSeconds())}`;
  return `${formatUtcDate(ms)} ${time} UTC`;
}

/** Milliseconds of an RFC 3339 instant, or null when absent or unreadable. */
export function parseInstant(text: string | null | undefined): number | null {
  if (text === null || text === undefined || text === '') return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/** An RFC 3339 instant for people; the text as given if it cannot be read, a dash if absent. */
export function formatInstantText(text: string | null | undefined): string {
  const ms = parseInstant(text);
  if (ms !== null) return formatUtc(ms);
  return text ?? '—';
}

/** `email:anna@example.com`: the kind stays visible because the same value can mean different things. */
export function identifierText(identifier: Identifier): string {
  return `${identifier.kind}:${identifier.value}`;
}

/** The first identifiers to show in a narrow cell, and how many more there are. */
export function identifierSummary(identifiers: Identifier[], shown = 2): { shown: string[]; more: number } {
  return {
    shown: identifiers.slice(0, shown).map(identifierText),
    more: Math.max(0, identifiers.length - shown),
  };
}

/** A subject named for buttons and headings: its first identifier's value, or its id. */
export function subjectLabel(subject: { id: number; identifiers: Identifier[] }): string {
  return subject.identifiers[0]?.value ?? `Subject ${String(subject.id)}`;
}

/** `12,345`. */
export function formatCount(count: number): string {
  return COUNT_FORMAT.format(count);
}

/** `1 subject`, `12,345 subjects`. */
export function countOf(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : pluralForm}`;
}

/** `2023-04` → `Apr 2023`; anything else is returned as it is. */
export function monthKeyLabel(key: string): string {
  const match = /^(\d{4})-(\d{2})$/.exec(key);
  if (match === null) return key;
  const [, year = '', month = ''] = match;
  return `${monthName(Number(month) - 1)} ${year}`;
}

/** Words for a finding's decision status (`open` = no decision yet). */
export function statusLabel(status: DecisionState | 'open'): string {
  switch (status) {
    case 'open':
      return 'Open';
    case 'accepted':
      return 'Accepted';
    case 'false-positive':
      return 'False positive';
    case 'remediated':
      return 'Remediated';
    case 'reopened':
      return 'Reopened';
  }
}
