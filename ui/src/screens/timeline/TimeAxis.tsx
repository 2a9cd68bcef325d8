import { monthName } from '../../format';

const DAY_MS = 86_400_000;

/** Maps instants (epoch ms, UTC) to x positions between `left` and `right`. */
export interface TimeScale {
  start: number;
  end: number;
  left: number;
  right: number;
  x: (ms: number) => number;
}

/**
 * A scale over the given instants, padded on both sides so the first and last markers are not
 * cut in half by the chart's edges; null when nothing is dated.
 */
export function makeTimeScale(instants: readonly number[], left: number, right: number): TimeScale | null {
  if (instants.length === 0) return null;
  // A loop, not Math.min(...instants): a long timeline must not overflow the call stack.
  let min = Infinity;
  let max = -Infinity;
  for (const instant of instants) {
    if (instant < min) min = instant;
    if (instant > max) max = instant;
  }
  const pad = Math.max((max - min) * 0.04, 15 * DAY_MS);
  const start = min - pad;
  const end = max + pad;
  return { start, end, left, right, x: (ms) => left + ((ms - start) / (end - start)) * (right - left) };
}

/** One mark on the axis: the first day of a UTC month. Years are `major`. */
export interface Tick {
  ms: number;
  label: string;
  major: boolean;
}

/** Months between ticks, smallest first; the first that keeps labels apart wins. */
const MONTH_STEPS = [1, 2, 3, 6, 12, 24, 60, 120] as const;

/**
 * Ticks on month starts between `start` and `end`, at most about `maxTicks` of them. Steps are
 * aligned to the calendar (quarters start in January, five-year steps on years ending 0 or 5),
 * so the same month always gets the same tick whatever the data.
 */
export function monthTicks(start: number, end: number, maxTicks: number): Tick[] {
  const from = new Date(start);
  const to = new Date(end);
  const firstMonth = from.getUTCFullYear() * 12 + from.getUTCMonth() + 1;
  const lastMonth = to.getUTCFullYear() * 12 + to.getUTCMonth();
  const months = lastMonth - firstMonth + 1;
  const step = MONTH_STEPS.find((candidate) => months / candidate <= Math.max(1, maxTicks)) ?? 120;

  const ticks: Tick[] = [];
  for (let month = Math.ceil(firstMonth / step) * step; month <= lastMonth; month += step) {
    const year = Math.floor(month / 12);
    const monthOfYear = month % 12;
    const major = monthOfYear === 0;
    ticks.push({
      ms: Date.UTC(year, monthOfYear, 1),
      label: major || step >= 12 ? String(year) : monthName(monthOfYear),
      major,
    });
  }
  // A short window inside one month crosses no month start: name the month in the middle.
  if (ticks.length === 0) {
    const middle = new Date((start + end) / 2);
    return [
      {
        ms: middle.getTime(),
        label: `${monthName(middle.getUTCMonth())} ${String(middle.getUTCFullYear())}`,
        major: false,
      },
    ];
  }
  // The first tick carries its year, so a short axis that starts mid-year still says which year.
  const first = ticks[0];
  if (first !== undefined && !first.major) {
    const date = new Date(first.ms);
    first.label = `${monthName(date.getUTCMonth())} ${String(date.getUTCFullYear())}`;
  }
  return ticks;
}

/** Grid lines across the chart and the month/year labels above it. */
export function TimeAxis({
  scale,
  ticks,
  labelY,
  top,
  bottom,
}: {
  scale: TimeScale;
  ticks: readonly Tick[];
  labelY: number;
  top: number;
  bottom: number;
}) {
  return (
    <g className="tl-axis" aria-hidden="true">
      {ticks.map((tick) => {
        const x = scale.x(tick.ms);
        return (
          <g key={tick.ms}>
            <line className={tick.major ? 'tl-grid tl-grid-major' : 'tl-grid'} x1={x} x2={x} y1={top} y2={bottom} />
            <text className={tick.major ? 'tl-tick tl-tick-major' : 'tl-tick'} x={x} y={labelY} textAnchor="middle">
              {tick.label}
            </text>
          </g>
        );
      })}
    </g>
  );
}
