import type { TimelineEvent } from '../../api';
import { KindSwatch } from './EventMarker';

/** Events whose source gave no time cannot sit on the axis; they are listed instead, never hidden. */
export function UndatedEvents({
  events,
  selectedEventId,
  onSelect,
}: {
  events: readonly TimelineEvent[];
  selectedEventId: number | null;
  onSelect: (eventId: number) => void;
}) {
  const undated = events.filter((event) => event.occurred_at_ms === null);
  if (undated.length === 0) return null;
  return (
    <div className="tl-undated" data-testid="timeline-undated">
      <h4 className="tl-subheading">No time in the source ({undated.length})</h4>
      <ul className="tl-undated-list">
        {undated.map((event) => (
          <li key={event.id}>
            <button
              type="button"
              className="tl-undated-event"
              aria-pressed={selectedEventId === event.id}
              data-testid="timeline-undated-event"
              onClick={() => {
                onSelect(event.id);
              }}
            >
              <KindSwatch kind={event.kind} />
              {event.kind} {event.purpose ?? 'no purpose'} — {event.system}
              {event.source !== null && <span className="muted-inline"> ({event.source.locator})</span>}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
