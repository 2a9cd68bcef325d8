import type { Finding, PurposeBars, SubjectTimeline } from '../../api';
import { parseInstant } from '../../format';

const DAY_MS = 86_400_000;

/** A range of whole UTC days, both included; '' leaves that side open. */
export interface DayRange {
  from: string;
  to: string;
}

export const ALL_TIME: DayRange = { from: '', to: '' };

/** The range as instants: `start` inclusive, `end` exclusive (the start of the day after `to`). */
export interface Bounds {
  start: number | null;
  end: number | null;
}

function dayStart(day: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(ms) ? null : ms;
}

/** The instants a range covers; an empty or malformed side is open. */
export function boundsOf(range: DayRange): Bounds {
  const start = dayStart(range.from);
  const to = dayStart(range.to);
  return { start, end: to === null ? null : to + DAY_MS };
}

/** Why a range is not one (it starts after it ends), or null. ISO days compare as strings. */
export function rangeProblem(range: DayRange): string | null {
  if (range.from !== '' && range.to !== '' && range.from > range.to) {
    return `The range starts after it ends: “From” (${range.from}) is later than “To” (${range.to}).`;
  }
  return null;
}

export function isAllTime(range: DayRange): boolean {
  return range.from === '' && range.to === '';
}

function within(ms: number, bounds: Bounds): boolean {
  return (bounds.start === null || ms >= bounds.start) && (bounds.end === null || ms < bounds.end);
}

/** A finding is in the range when one of its occurrences is (as on the Findings screen); undated ones stay. */
function findingInRange(finding: Finding, bounds: Bounds): boolean {
  const times = finding.occurrences.map(parseInstant).filter((ms): ms is number => ms !== null);
  const at = parseInstant(finding.at);
  if (at !== null) times.push(at);
  return times.length === 0 || times.some((ms) => within(ms, bounds));
}

/** A purpose's bar with its segments cut to the range; states as of an export stay (they have no date). */
function clipBars(bars: PurposeBars, bounds: Bounds): PurposeBars {
  const segments = bars.segments
    .filter(
      (segment) =>
        (bounds.end === null || segment.from_ms < bounds.end) &&
        (bounds.start === null || segment.to_ms === null || segment.to_ms > bounds.start),
    )
    .map((segment) => ({
      ...segment,
      from_ms: bounds.start === null ? segment.from_ms : Math.max(segment.from_ms, bounds.start),
      to_ms:
        bounds.end === null ? segment.to_ms : segment.to_ms === null ? bounds.end : Math.min(segment.to_ms, bounds.end),
    }));
  return { ...bars, segments };
}

/**
 * The timeline as a range shows it: dated events and findings in the range (undated ones stay,
 * listed apart as before), consent-state segments cut at its edges. The whole timeline is
 * loaded at once (a subject has at most thousands of events), so this is done here.
 */
export function windowed(timeline: SubjectTimeline, range: DayRange): SubjectTimeline {
  if (isAllTime(range) || rangeProblem(range) !== null) return timeline;
  const bounds = boundsOf(range);
  return {
    ...timeline,
    events: timeline.events.filter((event) => event.occurred_at_ms === null || within(event.occurred_at_ms, bounds)),
    findings: timeline.findings.filter((finding) => findingInRange(finding, bounds)),
    state_bars: timeline.state_bars.map((bars) => clipBars(bars, bounds)),
  };
}

/** The latest dated instant of the timeline (events, state changes, findings), or null. */
export function lastInstant(timeline: SubjectTimeline): number | null {
  let last: number | null = null;
  const see = (ms: number | null) => {
    if (ms !== null && (last === null || ms > last)) last = ms;
  };
  for (const event of timeline.events) see(event.occurred_at_ms);
  for (const bars of timeline.state_bars) for (const segment of bars.segments) see(segment.to_ms ?? segment.from_ms);
  for (const finding of timeline.findings) see(parseInstant(finding.at));
  return last;
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The last `days` days up to and including the day of `last`. */
export function lastDays(last: number, days: number): DayRange {
  return { from: isoDay(last - (days - 1) * DAY_MS), to: isoDay(last) };
}

/** Zoom factors of the chart's width, smallest first; 1 fits the whole range in view. */
export const ZOOM_LEVELS = [1, 2, 4, 8, 16] as const;
