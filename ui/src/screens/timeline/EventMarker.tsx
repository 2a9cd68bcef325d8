import type { KeyboardEvent } from 'react';

/** The outline of a marker; shapes differ per kind so colour is never the only cue. */
export type MarkerShape = 'circle' | 'ring' | 'square' | 'hollow-square' | 'diamond' | 'bar' | 'plus';

/** How a kind of event is drawn and named. `tone` selects the colour class `tl-kind-<tone>`. */
export interface KindStyle {
  shape: MarkerShape;
  tone: string;
  label: string;
}

/** Event kinds as the engine writes them (SPEC §2), in legend order. */
export const KIND_STYLES: Readonly<Record<string, KindStyle>> = {
  'consent.given': { shape: 'circle', tone: 'given', label: 'Consent given' },
  'consent.confirmed': { shape: 'ring', tone: 'given', label: 'Double opt-in confirmed' },
  'consent.withdrawn': { shape: 'square', tone: 'withdrawn', label: 'Consent withdrawn' },
  'consent.refused': { shape: 'diamond', tone: 'refused', label: 'Consent refused' },
  'consent.expired': { shape: 'hollow-square', tone: 'expired', label: 'Consent expired' },
  'consent.negative': { shape: 'hollow-square', tone: 'withdrawn', label: 'Negative signal' },
  processing: { shape: 'bar', tone: 'processing', label: 'Processing' },
  disclosure: { shape: 'plus', tone: 'disclosure', label: 'Disclosure' },
};

/** The style of a kind; a kind this UI does not know still gets a neutral marker. */
export function kindStyle(kind: string): KindStyle {
  return KIND_STYLES[kind] ?? { shape: 'circle', tone: 'other', label: kind };
}

/** The bare shape centred on (0, 0), about 14 px across. */
export function MarkerGlyph({ shape }: { shape: MarkerShape }) {
  switch (shape) {
    case 'circle':
      return <circle className="tl-glyph" r={6} />;
    case 'ring':
      return <circle className="tl-glyph tl-glyph-hollow" r={5.5} />;
    case 'square':
      return <rect className="tl-glyph" x={-5.5} y={-5.5} width={11} height={11} />;
    case 'hollow-square':
      return <rect className="tl-glyph tl-glyph-hollow" x={-5} y={-5} width={10} height={10} />;
    case 'diamond':
      return <path className="tl-glyph" d="M0 -7.5 L7.5 0 L0 7.5 L-7.5 0 Z" />;
    case 'bar':
      return <rect className="tl-glyph" x={-2} y={-8} width={4} height={16} rx={1} />;
    case 'plus':
      return <path className="tl-glyph" d="M-2 -7 h4 v5 h5 v4 h-5 v5 h-4 v-5 h-5 v-4 h5 Z" />;
  }
}

/** A kind's marker on its own, for the legend and the events table. */
export function KindSwatch({ kind }: { kind: string }) {
  const style = kindStyle(kind);
  return (
    <svg className={`tl-swatch-svg tl-kind-${style.tone}`} viewBox="-9 -9 18 18" aria-hidden="true" focusable="false">
      <MarkerGlyph shape={style.shape} />
    </svg>
  );
}

/** Enter and Space activate an SVG "button" the way they activate a real one. */
export function activateOnKey(action: () => void) {
  return (event: KeyboardEvent) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      action();
    }
  };
}

/** One dated event on its system's lane: focusable, clickable, named for screen readers. */
export function EventMarker({
  eventId,
  kind,
  x,
  y,
  label,
  selected,
  onSelect,
}: {
  eventId: number;
  kind: string;
  x: number;
  y: number;
  label: string;
  selected: boolean;
  onSelect: (eventId: number) => void;
}) {
  const style = kindStyle(kind);
  const select = () => {
    onSelect(eventId);
  };
  return (
    <g
      className={`tl-marker tl-kind-${style.tone}${selected ? ' tl-selected' : ''}`}
      transform={`translate(${String(x)} ${String(y)})`}
      role="button"
      tabIndex={0}
      aria-label={label}
      aria-pressed={selected}
      data-testid="timeline-event-marker"
      data-event-id={eventId}
      onClick={select}
      onKeyDown={activateOnKey(select)}
    >
      <title>{label}</title>
      <circle className="tl-hit" r={10} />
      {selected && <circle className="tl-selection-ring" r={11} />}
      <MarkerGlyph shape={style.shape} />
    </g>
  );
}
