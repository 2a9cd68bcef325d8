import { useEffect, useId, useLayoutEffect, useRef, useState, type ReactNode, type RefObject, type UIEvent } from 'react';

import type { ExportState, Finding, PurposeBars, StateSegment, SubjectTimeline, TimelineEvent } from '../../api';
import { formatUtc, parseInstant } from '../../format';
import { ruleTitle } from '../../rules';
import { activateOnKey, EventMarker } from './EventMarker';
import { makeTimeScale, monthTicks, TimeAxis, type TimeScale } from './TimeAxis';

// Geometry in px. The chart is drawn at the container's width, so text never scales.
const LABEL_WIDTH = 170;
const RIGHT_PAD = 24;
const AXIS_HEIGHT = 30;
const FINDINGS_ROW = 30;
const SECTION_TITLE = 26;
const LANE_HEIGHT = 34;
const BAR_ROW = 26;
const BAR_THICKNESS = 14;
/** The line under a purpose's bar holding its states as of an export. */
const TAG_ROW = 22;
/** A named recipient's bar is labelled this far right of its purpose's. */
const RECIPIENT_INDENT = 14;
const BOTTOM_PAD = 10;
/** Narrower than this the chart scrolls sideways instead of squeezing a year into a thumb. */
const MIN_WIDTH = 640;
/** Until the container is measured (and in tests, where nothing is laid out). */
const FALLBACK_WIDTH = 960;
/** Roughly one tick label per this many px. */
const PX_PER_TICK = 64;
/** Markers closer than this on one lane are staggered vertically so each stays clickable. */
const CROWDED_PX = 8;

/** The width of an element, followed as it resizes. */
function useWidth(ref: RefObject<HTMLElement | null>, fallback: number): number {
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const element = ref.current;
    if (element === null || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver((entries) => {
      const measured = entries[0]?.contentRect.width ?? 0;
      if (measured > 0) setWidth(Math.round(measured));
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
    };
  }, [ref]);
  return width;
}

/**
 * When the chart's drawn width changes (a zoom), scrolls so that the instant in the middle of
 * the view stays there, rather than jumping back to the start of the history.
 */
function useKeptCentre(ref: RefObject<HTMLElement | null>, width: number) {
  const previous = useRef(width);
  useLayoutEffect(() => {
    const element = ref.current;
    const before = previous.current;
    previous.current = width;
    if (element === null || before === width || before <= 0) return;
    const centre = (element.scrollLeft + element.clientWidth / 2) / before;
    element.scrollLeft = Math.max(0, centre * width - element.clientWidth / 2);
  }, [ref, width]);
}

/** Every instant the axis must show: dated events, state changes and findings. */
function chartInstants(timeline: SubjectTimeline): number[] {
  const instants: number[] = [];
  for (const event of timeline.events) {
    if (event.occurred_at_ms !== null) instants.push(event.occurred_at_ms);
  }
  for (const bars of timeline.state_bars) {
    for (const segment of bars.segments) {
      instants.push(segment.from_ms);
      if (segment.to_ms !== null) instants.push(segment.to_ms);
    }
  }
  for (const finding of timeline.findings) {
    const at = parseInstant(finding.at);
    if (at !== null) instants.push(at);
  }
  return instants;
}

/** Source systems in order of first appearance: one swimlane each. */
export function systemsOf(events: readonly TimelineEvent[]): string[] {
  return [...new Set(events.map((event) => event.system))];
}

/** What a screen reader says for a marker: kind, purpose, time, system. */
export function eventLabel(event: TimelineEvent): string {
  const time = event.occurred_at_ms === null ? 'no time in the source' : formatUtc(event.occurred_at_ms);
  return `${event.kind} ${event.purpose ?? 'no purpose'} at ${time}, ${event.system}`;
}

interface ChartProps {
  timeline: SubjectTimeline;
  /** How many times the fitted width the chart is drawn (it scrolls sideways); 1 by default. */
  zoom?: number;
  /** The instants the axis spans (a chosen date range), instead of the timeline's own. */
  domain?: { start: number; end: number } | null;
  selectedEventId: number | null;
  onSelectEvent: (eventId: number) => void;
  onSelectFinding: (findingId: string) => void;
}

/**
 * The subject's history on one time axis: findings on top, then one swimlane per source system
 * with a marker per dated event, then one bar per purpose coloured by consent state.
 */
export function TimelineChart(props: ChartProps) {
  const { timeline } = props;
  const containerRef = useRef<HTMLDivElement>(null);
  const fitted = Math.max(MIN_WIDTH, useWidth(containerRef, FALLBACK_WIDTH));
  // Zoom widens what the time axis gets; the label column keeps its size.
  const width = Math.round(LABEL_WIDTH + RIGHT_PAD + (fitted - LABEL_WIDTH - RIGHT_PAD) * (props.zoom ?? 1));
  useKeptCentre(containerRef, width);
  const titleId = useId();
  const instants = chartInstants(timeline);
  const domain = props.domain ?? null;
  const scale = makeTimeScale(
    domain === null || instants.length === 0 ? instants : [domain.start, domain.end],
    LABEL_WIDTH,
    width - RIGHT_PAD,
  );

  const systems = systemsOf(timeline.events);
  const lanesTop = AXIS_HEIGHT + FINDINGS_ROW + SECTION_TITLE;
  const barsTitleTop = lanesTop + systems.length * LANE_HEIGHT;
  const barsTop = barsTitleTop + SECTION_TITLE;
  const rows = barRows(timeline.state_bars, barsTop);
  const barsBottom = rows.reduce((bottom, row) => Math.max(bottom, row.top + row.height), barsTop + BAR_ROW);
  const height = barsBottom + BOTTOM_PAD;

  return (
    <div className="tl-chart-scroll" ref={containerRef} onScroll={keepLabelsInView}>
      {scale === null ? (
        <p className="muted-inline">No event of this subject has a time, so there is nothing to draw on a time axis.</p>
      ) : (
        <svg
          className="tl-chart"
          width={width}
          height={height}
          viewBox={`0 0 ${String(width)} ${String(height)}`}
          role="group"
          aria-labelledby={titleId}
          data-testid="timeline-chart"
          data-zoom={props.zoom ?? 1}
        >
          <title id={titleId}>Timeline of events, consent states and findings (times in UTC)</title>
          <TimeAxis
            scale={scale}
            ticks={monthTicks(scale.start, scale.end, (scale.right - scale.left) / PX_PER_TICK)}
            labelY={18}
            top={AXIS_HEIGHT - 6}
            bottom={height - BOTTOM_PAD}
          />
          <FindingMarkers
            findings={timeline.findings}
            scale={scale}
            top={AXIS_HEIGHT}
            bottom={height - BOTTOM_PAD}
            onSelect={props.onSelectFinding}
          />
          <SectionTitle y={AXIS_HEIGHT + FINDINGS_ROW} text="Events by source system" />
          {systems.map((system, index) => (
            <SystemLane
              key={system}
              system={system}
              events={timeline.events.filter((event) => event.system === system)}
              top={lanesTop + index * LANE_HEIGHT}
              striped={index % 2 === 1}
              scale={scale}
              selectedEventId={props.selectedEventId}
              onSelect={props.onSelectEvent}
            />
          ))}
          <SectionTitle y={barsTitleTop} text="Consent state by purpose" />
          {timeline.state_bars.length === 0 && (
            <text className="tl-empty" x={LABEL_WIDTH} y={barsTop + BAR_ROW / 2 + 4}>
              No consent events with a purpose
            </text>
          )}
          {rows.map(({ bars, top }) => (
            <PurposeBar
              key={`${bars.purpose}\u0000${bars.recipient ?? ''}`}
              bars={bars}
              top={top}
              scale={scale}
              onSelect={props.onSelectEvent}
            />
          ))}
        </svg>
      )}
    </div>
  );
}

/**
 * A chart scrolled sideways (zoomed, or wider than the window) keeps its label column in view:
 * the scroll offset goes to a CSS variable that moves the `tl-sticky` labels, with no redraw of
 * the markers, and a backdrop behind each label hides the markers passing under it.
 */
function keepLabelsInView(event: UIEvent<HTMLDivElement>) {
  const element = event.currentTarget;
  element.style.setProperty('--tl-label-shift', `${String(element.scrollLeft)}px`);
  element.dataset.scrolled = String(element.scrollLeft > 0);
}

/** A label that stays at the left edge of the view when the chart is scrolled sideways. */
function StickyLabel({ top, height, children }: { top: number; height: number; children: ReactNode }) {
  return (
    <g className="tl-sticky">
      <rect className="tl-label-backdrop" x={0} y={top} width={LABEL_WIDTH - 6} height={height} />
      {children}
    </g>
  );
}

function SectionTitle({ y, text }: { y: number; text: string }) {
  return (
    <StickyLabel top={y + 3} height={20}>
      <text className="tl-section-title" x={8} y={y + 17}>
        {text}
      </text>
    </StickyLabel>
  );
}

/** Where each bar goes: a purpose's bar is taller when a line of states as of an export follows it. */
function barRows(bars: readonly PurposeBars[], top: number) {
  let y = top;
  return bars.map((each) => {
    const height = BAR_ROW + (each.as_of_export.length > 0 ? TAG_ROW : 0);
    const row = { bars: each, top: y, height };
    y += height;
    return row;
  });
}

/** A row label, shortened to fit the label column (the full text is in its tooltip). */
function RowLabel({ text, y, indent = 0 }: { text: string; y: number; indent?: number }) {
  const room = 22 - Math.ceil(indent / 7);
  const shown = text.length > room ? `${text.slice(0, room - 1)}…` : text;
  return (
    <StickyLabel top={y - 14} height={20}>
      <text className={indent > 0 ? 'tl-row-label tl-row-label-recipient' : 'tl-row-label'} x={12 + indent} y={y}>
        <title>{text}</title>
        {shown}
      </text>
    </StickyLabel>
  );
}

/** One source system's lane with a marker per dated event. */
function SystemLane(props: {
  system: string;
  events: readonly TimelineEvent[];
  top: number;
  striped: boolean;
  scale: TimeScale;
  selectedEventId: number | null;
  onSelect: (eventId: number) => void;
}) {
  const centre = props.top + LANE_HEIGHT / 2;
  const offsets = staggerOffsets(props.events, props.scale);
  return (
    <g data-testid="timeline-lane" data-system={props.system}>
      <rect
        className={props.striped ? 'tl-lane tl-lane-striped' : 'tl-lane'}
        x={0}
        y={props.top}
        width={props.scale.right + RIGHT_PAD}
        height={LANE_HEIGHT}
      />
      {props.events.map((event) =>
        event.occurred_at_ms === null ? null : (
          <EventMarker
            key={event.id}
            eventId={event.id}
            kind={event.kind}
            x={props.scale.x(event.occurred_at_ms)}
            y={centre + (offsets.get(event.id) ?? 0)}
            label={eventLabel(event)}
            selected={props.selectedEventId === event.id}
            onSelect={props.onSelect}
          />
        ),
      )}
      {/* After the markers, so that it stays readable over them when scrolled. */}
      <RowLabel text={props.system} y={centre + 4} />
    </g>
  );
}

/** Vertical nudges for markers that would sit on top of each other: 0, up, down, 0, up … */
function staggerOffsets(events: readonly TimelineEvent[], scale: TimeScale): Map<number, number> {
  const pattern = [0, -8, 8];
  const offsets = new Map<number, number>();
  let previousX = -Infinity;
  let crowd = 0;
  for (const event of events) {
    if (event.occurred_at_ms === null) continue;
    const x = scale.x(event.occurred_at_ms);
    crowd = x - previousX < CROWDED_PX ? crowd + 1 : 0;
    previousX = x;
    offsets.set(event.id, pattern[crowd % pattern.length] ?? 0);
  }
  return offsets;
}

/**
 * One purpose's consent state over time (a segment still in force runs to the axis end); for a
 * named recipient whose state differs from its purpose's, that recipient's own bar, labelled
 * with its name under its purpose; after a purpose's bar, its states as of an export.
 */
function PurposeBar(props: {
  bars: PurposeBars;
  top: number;
  scale: TimeScale;
  onSelect: (eventId: number) => void;
}) {
  const { scale, bars } = props;
  const y = props.top + (BAR_ROW - BAR_THICKNESS) / 2;
  const subject = barSubject(bars);
  return (
    <g
      data-testid={bars.recipient === null ? 'timeline-purpose-bar' : 'timeline-recipient-bar'}
      data-purpose={bars.purpose}
      data-recipient={bars.recipient ?? undefined}
    >
      <rect className="tl-bar-track" x={scale.left} y={y} width={scale.right - scale.left} height={BAR_THICKNESS} />
      {bars.segments.map((segment) => {
        const x1 = scale.x(segment.from_ms);
        const x2 = scale.x(segment.to_ms ?? scale.end);
        return (
          <rect
            key={`${String(segment.from_ms)}-${String(segment.event_id)}`}
            className={`tl-state tl-state-${segment.state}`}
            x={x1}
            y={y}
            width={Math.max(2, x2 - x1)}
            height={BAR_THICKNESS}
            data-testid="timeline-segment"
            data-state={segment.state}
            onClick={() => {
              props.onSelect(segment.event_id);
            }}
          >
            <title>{segmentTitle(subject, segment)}</title>
          </rect>
        );
      })}
      {bars.recipient === null ? (
        <RowLabel text={bars.purpose} y={props.top + BAR_ROW / 2 + 4} />
      ) : (
        <RowLabel text={`↳ for ${bars.recipient}`} y={props.top + BAR_ROW / 2 + 4} indent={RECIPIENT_INDENT} />
      )}
      <ExportTags states={bars.as_of_export} x={scale.left} top={props.top + BAR_ROW} onSelect={props.onSelect} />
    </g>
  );
}

/** What a bar is about in words: `email-marketing`, or `email-marketing for Beta`. */
function barSubject(bars: PurposeBars): string {
  return bars.recipient === null ? bars.purpose : `${bars.purpose} for ${bars.recipient}`;
}

function segmentTitle(subject: string, segment: StateSegment): string {
  const until = segment.to_ms === null ? 'now' : formatUtc(segment.to_ms);
  return `${subject}: ${segment.state} from ${formatUtc(segment.from_ms)} until ${until}`;
}

/** An undated state in words, as the `state` command says it: "opted out per hubspot (as of its export)". */
export function exportStateText(state: ExportState): string {
  const word =
    state.state === 'refused' || state.state === 'withdrawn' ? 'opted out' : state.state === 'none' ? 'no consent' : state.state;
  return `${word} per ${state.system} (as of its export)`;
}

/** Rough width of a tag's text at the chart's 11px font, so tags can sit side by side. */
const TAG_CHAR_PX = 5.8;

/**
 * The states a source gives without a date, as tags under the purpose's bar: they cannot sit on
 * the time axis, but must be seen next to the dated state they may contradict.
 */
function ExportTags(props: {
  states: readonly ExportState[];
  x: number;
  top: number;
  onSelect: (eventId: number) => void;
}) {
  // Each tag starts where the one before it ended.
  const tags = props.states.map((state) => ({ state, text: exportStateText(state) }));
  const widths = tags.map(({ text }) => Math.round(text.length * TAG_CHAR_PX + 14));
  const lefts = widths.map((_, index) => props.x + widths.slice(0, index).reduce((sum, w) => sum + w + 6, 0));
  return (
    <>
      {tags.map(({ state, text }, index) => {
        const width = widths[index] ?? 0;
        const left = lefts[index] ?? props.x;
        const select = () => {
          props.onSelect(state.event_id);
        };
        const title = state.label === null ? text : `${text}: “${state.label}”`;
        return (
          <g
            key={`${state.system}-${String(state.event_id)}`}
            className={`tl-export-tag tl-export-${state.state}`}
            transform={`translate(${String(left)} ${String(props.top + 2)})`}
            role="button"
            tabIndex={0}
            aria-label={title}
            data-testid="timeline-export-state"
            data-state={state.state}
            data-system={state.system}
            onClick={select}
            onKeyDown={activateOnKey(select)}
          >
            <title>{title}</title>
            <rect className="tl-export-tag-box" x={0} y={0} width={width} height={TAG_ROW - 6} rx={8} />
            <text className="tl-export-tag-text" x={7} y={12}>
              {text}
            </text>
          </g>
        );
      })}
    </>
  );
}

/** What a screen reader says for a finding marker. */
export function findingLabel(finding: Finding): string {
  const at = parseInstant(finding.at);
  const when = at === null ? '' : ` at ${formatUtc(at)}`;
  return `Finding: ${ruleTitle(finding.rule)}, ${finding.severity}${when}`;
}

/** Where each dated finding goes: its x, and a sideways shift when findings crowd one instant. */
function placeFindings(findings: readonly Finding[], scale: TimeScale) {
  const dated = findings
    .map((finding) => ({ finding, at: parseInstant(finding.at) }))
    .filter((entry): entry is { finding: Finding; at: number } => entry.at !== null)
    .sort((a, b) => a.at - b.at);
  let previousX = -Infinity;
  let crowd = 0;
  return dated.map(({ finding, at }) => {
    const x = scale.x(at);
    crowd = x - previousX < CROWDED_PX ? crowd + 1 : 0;
    previousX = x;
    return { finding, x, shift: crowd * 9 };
  });
}

/**
 * A triangle per finding at its first triggering instant, with a faint line down through the
 * lanes so the events around it are easy to spot. Findings at the same instant are spread
 * sideways a little (the line keeps the true instant).
 */
function FindingMarkers(props: {
  findings: readonly Finding[];
  scale: TimeScale;
  top: number;
  bottom: number;
  onSelect: (findingId: string) => void;
}) {
  const centre = props.top + FINDINGS_ROW / 2;
  return (
    <g className="tl-findings">
      {placeFindings(props.findings, props.scale).map(({ finding, x, shift }) => {
        const label = findingLabel(finding);
        const select = () => {
          props.onSelect(finding.id);
        };
        return (
          <g key={finding.id} className={`tl-finding tl-sev-${finding.severity}`}>
            <line className="tl-finding-line" x1={x} x2={x} y1={centre} y2={props.bottom} aria-hidden="true" />
            <g
              transform={`translate(${String(x + shift)} ${String(centre)})`}
              role="button"
              tabIndex={0}
              aria-label={label}
              data-testid="timeline-finding-marker"
              data-finding-id={finding.id}
              onClick={select}
              onKeyDown={activateOnKey(select)}
            >
              <title>{label}</title>
              <path className="tl-finding-glyph" d="M-7.5 -6.5 L7.5 -6.5 L0 7.5 Z" />
            </g>
          </g>
        );
      })}
      <RowLabel text="Findings" y={centre + 4} />
    </g>
  );
}
