import type { ConsentStateName, Severity } from '../../api';
import { KIND_STYLES, KindSwatch } from './EventMarker';

const STATES: readonly { state: ConsentStateName; label: string }[] = [
  { state: 'given', label: 'Given' },
  { state: 'withdrawn', label: 'Withdrawn' },
  { state: 'refused', label: 'Refused' },
  { state: 'expired', label: 'Expired' },
  { state: 'none', label: 'No consent' },
];

const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low'];

/** What the shapes and colours of the chart mean. */
export function Legend() {
  return (
    <div className="tl-legend" aria-label="Legend">
      <ul className="tl-legend-group">
        {Object.entries(KIND_STYLES).map(([kind, style]) => (
          <li key={kind}>
            <KindSwatch kind={kind} />
            {style.label}
          </li>
        ))}
      </ul>
      <ul className="tl-legend-group">
        {STATES.map(({ state, label }) => (
          <li key={state}>
            <span className={`tl-state-swatch tl-swatch-${state}`} aria-hidden="true" />
            {label}
          </li>
        ))}
      </ul>
      <ul className="tl-legend-group">
        {SEVERITIES.map((severity) => (
          <li key={severity}>
            <svg
              className={`tl-swatch-svg tl-finding tl-sev-${severity}`}
              viewBox="-9 -9 18 18"
              aria-hidden="true"
              focusable="false"
            >
              <path className="tl-finding-glyph" d="M-7.5 -6.5 L7.5 -6.5 L0 7.5 Z" />
            </svg>
            Finding ({severity})
          </li>
        ))}
      </ul>
    </div>
  );
}
