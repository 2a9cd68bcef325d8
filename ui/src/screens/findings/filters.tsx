import type { DecisionState, FindingFilter, Severity } from '../../api';

/** The rules of SPEC §4, in order, with their codes and names. */
export { RULES } from '../../rules';

export const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low'];

export type StatusFilter = 'open' | DecisionState;

export const STATUSES: readonly StatusFilter[] = ['open', 'accepted', 'false-positive', 'remediated', 'reopened'];

/** The dimensions a finding can be filtered (and charted) by. */
export type Dimension = 'rule' | 'severity' | 'purpose' | 'system' | 'month' | 'status';

export const DIMENSIONS: readonly Dimension[] = ['rule', 'severity', 'purpose', 'system', 'month', 'status'];

function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

function isStatus(value: string): value is StatusFilter {
  return (STATUSES as readonly string[]).includes(value);
}

/**
 * The filter with one dimension set (or cleared with null). Values from a select or a chart are
 * plain strings; severity and status are checked so only values the backend knows are sent, and
 * unset dimensions are left out so the backend sees exactly the filters in force.
 */
export function withDimension(filter: FindingFilter, dimension: Dimension, value: string | null): FindingFilter {
  const wanted = value === '' ? null : value;
  const valueOf = (each: Dimension) => (each === dimension ? wanted : dimensionValue(filter, each));
  const next: FindingFilter = {};
  if (filter.subject_id !== null && filter.subject_id !== undefined) next.subject_id = filter.subject_id;
  const rule = valueOf('rule');
  if (rule !== null) next.rule = rule;
  const severity = valueOf('severity');
  if (severity !== null && isSeverity(severity)) next.severity = severity;
  const purpose = valueOf('purpose');
  if (purpose !== null) next.purpose = purpose;
  const system = valueOf('system');
  if (system !== null) next.system = system;
  const month = valueOf('month');
  if (month !== null) next.month = month;
  const status = valueOf('status');
  if (status !== null && isStatus(status)) next.status = status;
  return { ...next, ...datesOf(filter) };
}

/** The date range of a filter (only the fields set), so other changes carry it along. */
export function datesOf(filter: FindingFilter): Pick<FindingFilter, 'from' | 'to' | 'exclude_undated'> {
  const dates: Pick<FindingFilter, 'from' | 'to' | 'exclude_undated'> = {};
  if (filter.from) dates.from = filter.from;
  if (filter.to) dates.to = filter.to;
  if ((filter.from || filter.to) && filter.exclude_undated === true) dates.exclude_undated = true;
  return dates;
}

/** The filter with its date range replaced; empty dates are left out. */
export function withDates(
  filter: FindingFilter,
  from: string,
  to: string,
  excludeUndated: boolean,
): FindingFilter {
  const next: FindingFilter = { ...filter };
  delete next.from;
  delete next.to;
  delete next.exclude_undated;
  return { ...next, ...datesOf({ from, to, exclude_undated: excludeUndated }) };
}

/** True when a date range is in force. */
export function hasDates(filter: FindingFilter): boolean {
  return Boolean(filter.from) || Boolean(filter.to);
}

/** Why `from`–`to` is not a range (ISO days compare as strings), or null when it is one. */
export function dateRangeProblem(from: string, to: string): string | null {
  if (from !== '' && to !== '' && from > to) {
    return `The range starts after it ends: “From” (${from}) is later than “To” (${to}).`;
  }
  return null;
}

/** The value a dimension is filtered to, or null. */
export function dimensionValue(filter: FindingFilter, dimension: Dimension): string | null {
  return filter[dimension] ?? null;
}

/** True when any dimension or a date range is set. */
export function hasFilter(filter: FindingFilter): boolean {
  return hasDates(filter) || DIMENSIONS.some((dimension) => dimensionValue(filter, dimension) !== null);
}
