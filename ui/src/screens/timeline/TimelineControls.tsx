import { ZOOM_LEVELS, lastDays, rangeProblem, type DayRange } from './range';

/** Presets over the subject's history, ending on its latest dated day. */
const PRESETS = [
  { id: 'all', label: 'All', days: null },
  { id: '1y', label: '1 year', days: 365 },
  { id: '90d', label: '90 days', days: 90 },
] as const;

/**
 * The timeline's date range (whole UTC days, both included) and zoom. The range narrows the
 * events, findings and state bars shown and sets the axis to it; zoom widens the chart so a
 * crowded stretch can be read, scrolling sideways.
 */
export function TimelineControls({
  range,
  onRange,
  zoom,
  onZoom,
  last,
}: {
  range: DayRange;
  onRange: (next: DayRange) => void;
  zoom: number;
  onZoom: (next: number) => void;
  /** The latest dated instant; presets end on its day. Null: nothing is dated. */
  last: number | null;
}) {
  const problem = rangeProblem(range);
  const level = ZOOM_LEVELS.indexOf(zoom as (typeof ZOOM_LEVELS)[number]);
  const presetOf = (days: number | null): DayRange =>
    days === null || last === null ? { from: '', to: '' } : lastDays(last, days);
  const isPreset = (days: number | null) => {
    const preset = presetOf(days);
    return preset.from === range.from && preset.to === range.to;
  };
  return (
    <div className="tl-controls">
      <div className="tl-controls-group" role="group" aria-label="Date range (UTC)">
        <label>
          From (UTC)
          <input
            type="date"
            value={range.from}
            aria-invalid={problem !== null}
            data-testid="timeline-from"
            onChange={(event) => {
              onRange({ ...range, from: event.target.value });
            }}
          />
        </label>
        <label>
          To (UTC)
          <input
            type="date"
            value={range.to}
            aria-invalid={problem !== null}
            data-testid="timeline-to"
            onChange={(event) => {
              onRange({ ...range, to: event.target.value });
            }}
          />
        </label>
        {PRESETS.map((preset) => (
          <button
            key={preset.id}
            type="button"
            aria-pressed={isPreset(preset.days)}
            disabled={preset.days !== null && last === null}
            data-testid={`timeline-preset-${preset.id}`}
            title={preset.days === null ? 'The whole history' : `The last ${preset.label} up to the latest dated day`}
            onClick={() => {
              onRange(presetOf(preset.days));
            }}
          >
            {preset.label}
          </button>
        ))}
      </div>
      <div className="tl-controls-group" role="group" aria-label="Zoom">
        <button
          type="button"
          aria-label="Zoom out"
          disabled={level <= 0}
          data-testid="timeline-zoom-out"
          onClick={() => {
            onZoom(ZOOM_LEVELS[Math.max(0, level - 1)] ?? 1);
          }}
        >
          −
        </button>
        <span className="tl-zoom-level" aria-live="polite" data-testid="timeline-zoom-level">
          {zoom}×
        </span>
        <button
          type="button"
          aria-label="Zoom in"
          disabled={level >= ZOOM_LEVELS.length - 1}
          data-testid="timeline-zoom-in"
          onClick={() => {
            onZoom(ZOOM_LEVELS[Math.min(ZOOM_LEVELS.length - 1, level + 1)] ?? zoom);
          }}
        >
          +
        </button>
        <button
          type="button"
          disabled={zoom === 1}
          data-testid="timeline-zoom-reset"
          onClick={() => {
            onZoom(1);
          }}
        >
          Reset zoom
        </button>
      </div>
      {problem !== null && (
        <p role="alert" className="tl-controls-problem" data-testid="timeline-range-problem">
          {problem} The whole history is shown until the range is fixed.
        </p>
      )}
    </div>
  );
}
