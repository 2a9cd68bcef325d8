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
  return next;
}

/** The value a dimension is filtered to, or null. */
export function dimensionValue(filter: FindingFilter, dimension: Dimension): string | null {
  return filter[dimension] ?? null;
}

/** True when any dimension is set. */
export function hasFilter(filter: FindingFilter): boolean {
  return DIMENSIONS.some((dimension) => dimensionValue(filter, dimension) !== null);
}
