import { memo, useId } from 'react';

import type { Count, FindingBreakdown, FindingFilter } from '../../api';
import { formatCount, monthKeyLabel, statusLabel } from '../../format';
import { ruleName, ruleTitle } from '../../rules';
import { dimensionValue, RULES, SEVERITIES, STATUSES, type Dimension, type StatusFilter } from './filters';

/** One bar: the filter value it stands for, what to call it, how many findings. */
interface Datum {
  key: string;
  label: string;
  count: number;
}

const RULE_ORDER = RULES.map(({ rule }) => rule);

/** Known keys in their natural order first (R1 … R11, high … low), anything else after. */
function inOrder(counts: readonly Count[], order: readonly string[]): Count[] {
  const rank = (key: string) => {
    const index = order.indexOf(key);
    return index === -1 ? order.length : index;
  };
  return [...counts].sort((a, b) => rank(a.key) - rank(b.key) || a.key.localeCompare(b.key));
}

/** Largest first: for purposes and systems the question is "where are most findings". */
function byCount(counts: readonly Count[]): Count[] {
  return [...counts].sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

function statusName(key: string): string {
  return (STATUSES as readonly string[]).includes(key) ? statusLabel(key as StatusFilter) : key;
}

/**
 * Months as a time series: every month from the first to the last, empty ones at zero, so the
 * bars' spacing is time and a quiet month shows as a gap rather than disappearing.
 */
export function monthSeries(counts: readonly Count[]): Datum[] {
  const parsed = counts
    .map((count) => ({ count, match: /^(\d{4})-(\d{2})$/.exec(count.key) }))
    .filter((entry) => entry.match !== null);
  if (parsed.length !== counts.length || counts.length === 0) {
    return counts.map((count) => ({ key: count.key, label: monthKeyLabel(count.key), count: count.count }));
  }
  const byKey = new Map(counts.map((count) => [count.key, count.count]));
  const index = (key: string) => Number(key.slice(0, 4)) * 12 + Number(key.slice(5, 7)) - 1;
  const keys = counts.map((count) => index(count.key));
  const first = Math.min(...keys);
  const last = Math.max(...keys);
  const series: Datum[] = [];
  for (let month = first; month <= last; month += 1) {
    const key = `${String(Math.floor(month / 12))}-${String((month % 12) + 1).padStart(2, '0')}`;
    series.push({ key, label: monthKeyLabel(key), count: byKey.get(key) ?? 0 });
  }
  return series;
}

interface ChartSpec {
  dimension: Dimension;
  title: string;
  column: string;
  data: Datum[];
  /** Bars coloured per key (severity, status) rather than all in the accent colour. */
  tone?: (key: string) => string;
  wide?: boolean;
  /**
   * Bars laid sideways with the full label before each (rules, purposes, systems: their names are
   * too long to stand under a bar, and a chart of bare codes says nothing to an officer).
   */
  sideways?: (key: string) => string;
}

function chartSpecs(breakdown: FindingBreakdown): ChartSpec[] {
  const plain = (counts: Count[], label: (key: string) => string = (key) => key) =>
    counts.map((count) => ({ key: count.key, label: label(count.key), count: count.count }));
  return [
    {
      dimension: 'rule',
      title: 'By rule',
      column: 'Rule',
      data: plain(inOrder(breakdown.by_rule, RULE_ORDER), ruleTitle),
      sideways: ruleName,
    },
    {
      dimension: 'severity',
      title: 'By severity',
      column: 'Severity',
      data: plain(inOrder(breakdown.by_severity, SEVERITIES)),
      tone: (key) => `findings-bar-${key}`,
    },
    // Purposes and systems sideways too: their names (disclosure-log, email-marketing) are
    // wider than a bar and overlapped or were cut under one.
    {
      dimension: 'purpose',
      title: 'By purpose',
      column: 'Purpose',
      data: plain(byCount(breakdown.by_purpose)),
      sideways: (key) => key,
    },
    {
      dimension: 'system',
      title: 'By system',
      column: 'System',
      data: plain(byCount(breakdown.by_system)),
      sideways: (key) => key,
    },
    {
      dimension: 'status',
      title: 'By status',
      column: 'Status',
      data: plain(inOrder(breakdown.by_status, STATUSES), statusName),
      tone: (key) => (key === 'open' ? 'findings-bar-open' : ''),
    },
    {
      dimension: 'month',
      title: 'By month of first occurrence',
      column: 'Month',
      data: monthSeries(breakdown.by_month),
      wide: true,
    },
  ];
}

/**
 * The dashboard: a small bar chart per dimension; choosing a bar (or its row) filters by it.
 * Memoised: charts are the costliest part of the screen and only change with the breakdown.
 */
export const BreakdownCharts = memo(function BreakdownCharts({
  breakdown,
  filter,
  onPick,
}: {
  breakdown: FindingBreakdown;
  filter: FindingFilter;
  onPick: (dimension: Dimension, value: string | null) => void;
}) {
  return (
    <div className="findings-dashboard">
      {chartSpecs(breakdown).map((spec) => (
        <ChartCard key={spec.dimension} spec={spec} selected={dimensionValue(filter, spec.dimension)} onPick={onPick} />
      ))}
    </div>
  );
});

function ChartCard({
  spec,
  selected,
  onPick,
}: {
  spec: ChartSpec;
  selected: string | null;
  onPick: (dimension: Dimension, value: string | null) => void;
}) {
  const headingId = useId();
  /** Choosing the value already chosen clears it again. */
  const pick = (key: string) => {
    onPick(spec.dimension, key === selected ? null : key);
  };
  const shown = spec.data.filter((datum) => datum.count > 0);
  return (
    <section
      className={`card findings-chart${spec.wide === true ? ' findings-chart-wide' : ''}`}
      data-testid={`findings-chart-${spec.dimension}`}
      aria-labelledby={headingId}
    >
      <h3 className="card-title" id={headingId}>
        {spec.title}
      </h3>
      {shown.length === 0 ? (
        <p className="muted-inline">No findings.</p>
      ) : (
        <>
          {spec.sideways === undefined ? (
            <BarPlot spec={spec} selected={selected} onPick={pick} />
          ) : (
            <SidewaysBarPlot spec={spec} name={spec.sideways} selected={selected} onPick={pick} />
          )}
          <CountTable spec={spec} rows={spec.dimension === 'month' ? shown : spec.data} selected={selected} onPick={pick} />
        </>
      )}
    </section>
  );
}

/** The plot's coordinate system; the SVG scales to its box (text stays legible at card sizes). */
const PLOT = { width: 360, height: 170, left: 34, right: 6, top: 8, bottom: 22 } as const;

/** About four round-numbered gridlines from zero to at least `max`. */
function gridSteps(max: number): number[] {
  const rough = Math.max(max, 1) / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? rough;
  const steps: number[] = [];
  for (let value = 0; value <= max + step / 2; value += Math.max(Math.round(step), 1)) steps.push(value);
  return steps;
}

/**
 * The chart itself, drawn as plain SVG. (A charting library was tried: recharts' number
 * library assigns `toString` on a plain object, which throws under Tauri's `freezePrototype`,
 * a security setting we keep.) It is hidden from assistive technology: the count table below
 * says the same and is the keyboard way to filter.
 */
function BarPlot({ spec, selected, onPick }: { spec: ChartSpec; selected: string | null; onPick: (key: string) => void }) {
  const max = Math.max(...spec.data.map((datum) => datum.count), 1);
  const steps = gridSteps(max);
  const top = steps[steps.length - 1] ?? max;
  const innerWidth = PLOT.width - PLOT.left - PLOT.right;
  const innerHeight = PLOT.height - PLOT.top - PLOT.bottom;
  const slot = innerWidth / Math.max(spec.data.length, 1);
  const barWidth = Math.max(Math.min(slot * 0.7, 36), 1.5);
  const y = (value: number) => PLOT.top + innerHeight - (value / top) * innerHeight;
  // Label every bar when they fit, else about eight evenly spaced ones.
  const labelEvery = Math.max(Math.ceil(spec.data.length / 8), 1);
  const barClass = (key: string) => {
    const classes = ['findings-bar', spec.tone?.(key) ?? ''];
    if (selected !== null) classes.push(key === selected ? 'findings-bar-selected' : 'findings-bar-dimmed');
    return classes.filter((name) => name !== '').join(' ');
  };
  return (
    <div className="findings-chart-plot" aria-hidden="true">
      <svg className="findings-chart-canvas" viewBox={`0 0 ${String(PLOT.width)} ${String(PLOT.height)}`}>
        {steps.map((value) => (
          <g key={value}>
            <line className="findings-grid" x1={PLOT.left} x2={PLOT.width - PLOT.right} y1={y(value)} y2={y(value)} />
            <text className="findings-tick" x={PLOT.left - 4} y={y(value) + 3.5} textAnchor="end">
              {formatCount(value)}
            </text>
          </g>
        ))}
        {spec.data.map((datum, index) => {
          const x = PLOT.left + slot * index + (slot - barWidth) / 2;
          const height = Math.max(y(0) - y(datum.count), datum.count > 0 ? 1 : 0);
          return (
            <g key={datum.key}>
              <rect
                x={x}
                y={y(0) - height}
                width={barWidth}
                height={height}
                rx={2}
                className={barClass(datum.key)}
                onClick={() => {
                  onPick(datum.key);
                }}
              >
                <title>{`${datum.label}: ${formatCount(datum.count)} findings`}</title>
              </rect>
              {index % labelEvery === 0 && (
                <text className="findings-tick" x={x + barWidth / 2} y={PLOT.height - 6} textAnchor="middle">
                  {datum.label.length > 14 ? `${datum.label.slice(0, 13)}…` : datum.label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </div>
  );
}

/** Geometry of a sideways chart: a label column, then bars growing to the right. */
const SIDEWAYS = { width: 360, row: 15, label: 168, right: 30, top: 4, bottom: 4 } as const;

/**
 * Bars from left to right, one row per key with its name before it and its count after it:
 * the way to chart categories whose names are long. Hidden from assistive technology like
 * {@link BarPlot}; the count table says the same.
 */
function SidewaysBarPlot({
  spec,
  name,
  selected,
  onPick,
}: {
  spec: ChartSpec;
  name: (key: string) => string;
  selected: string | null;
  onPick: (key: string) => void;
}) {
  const rows = spec.data.filter((datum) => datum.count > 0);
  const max = Math.max(...rows.map((datum) => datum.count), 1);
  const height = SIDEWAYS.top + rows.length * SIDEWAYS.row + SIDEWAYS.bottom;
  const room = SIDEWAYS.width - SIDEWAYS.label - SIDEWAYS.right;
  const barClass = (key: string) => {
    const classes = ['findings-bar', spec.tone?.(key) ?? ''];
    if (selected !== null) classes.push(key === selected ? 'findings-bar-selected' : 'findings-bar-dimmed');
    return classes.filter((each) => each !== '').join(' ');
  };
  return (
    <div className="findings-chart-plot" aria-hidden="true">
      <svg className="findings-chart-canvas" viewBox={`0 0 ${String(SIDEWAYS.width)} ${String(height)}`}>
        {rows.map((datum, index) => {
          const y = SIDEWAYS.top + index * SIDEWAYS.row;
          const width = Math.max((datum.count / max) * room, 1);
          const label = name(datum.key);
          return (
            <g key={datum.key} data-testid="findings-chart-row" data-key={datum.key}>
              <text className="findings-tick findings-row-label" x={SIDEWAYS.label - 6} y={y + 10.5} textAnchor="end">
                {label.length > 34 ? `${label.slice(0, 33)}…` : label}
              </text>
              <rect
                x={SIDEWAYS.label}
                y={y + 2}
                width={width}
                height={SIDEWAYS.row - 4}
                rx={2}
                className={barClass(datum.key)}
                onClick={() => {
                  onPick(datum.key);
                }}
              >
                <title>{`${datum.label}: ${formatCount(datum.count)} findings`}</title>
              </rect>
              <text className="findings-tick" x={SIDEWAYS.label + width + 4} y={y + 10.5}>
                {formatCount(datum.count)}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

/** The chart's numbers as a table; each value is a button that filters by it. */
function CountTable({
  spec,
  rows,
  selected,
  onPick,
}: {
  spec: ChartSpec;
  rows: readonly Datum[];
  selected: string | null;
  onPick: (key: string) => void;
}) {
  return (
    <div className="findings-counts">
      <table className="table" data-testid={`findings-counts-${spec.dimension}`}>
        <caption className="sr-only">Findings {spec.title.toLowerCase()}</caption>
        <thead>
          <tr>
            <th scope="col">{spec.column}</th>
            <th scope="col" className="count">
              Findings
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key} aria-current={row.key === selected ? 'true' : undefined}>
              <td>
                <button
                  type="button"
                  className="link-button"
                  aria-pressed={row.key === selected}
                  onClick={() => {
                    onPick(row.key);
                  }}
                >
                  {row.label}
                </button>
              </td>
              <td className="count">{formatCount(row.count)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
