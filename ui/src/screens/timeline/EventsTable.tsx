import type { PartialStatement, TimelineEvent } from '../../api';
import { formatUtc } from '../../format';
import { activateOnKey, KindSwatch } from './EventMarker';

/**
 * Every event as a table: the accessible twin of the chart, and where the time is shown exactly
 * as the source wrote it, with how its zone was known.
 */
export function EventsTable({
  events,
  selectedEventId,
  onSelect,
}: {
  events: readonly TimelineEvent[];
  selectedEventId: number | null;
  onSelect: (eventId: number) => void;
}) {
  return (
    <div className="table-scroll">
      <table className="table tl-events" data-testid="timeline-events">
        <caption className="sr-only">Events of this subject; press Enter on a row to see its source row</caption>
        <thead>
          <tr>
            <th scope="col">Time as recorded</th>
            <th scope="col">System</th>
            <th scope="col">Kind</th>
            <th scope="col">Purpose</th>
            <th scope="col">Recipients</th>
            <th scope="col">Method</th>
            <th scope="col">Notice</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <EventRow key={event.id} event={event} selected={event.id === selectedEventId} onSelect={onSelect} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function EventRow({
  event,
  selected,
  onSelect,
}: {
  event: TimelineEvent;
  selected: boolean;
  onSelect: (eventId: number) => void;
}) {
  const select = () => {
    onSelect(event.id);
  };
  return (
    <tr
      tabIndex={0}
      className={[
        'tl-event-row',
        selected ? 'tl-row-selected' : '',
        event.folded_into === null ? '' : 'tl-row-folded',
      ].join(' ').trim()}
      data-testid="timeline-event"
      data-event-id={event.id}
      onClick={select}
      onKeyDown={activateOnKey(select)}
    >
      <td>
        <RecordedTime event={event} />
        {selected && <span className="sr-only"> (selected)</span>}
      </td>
      <td>{event.system}</td>
      <td>
        <span className="tl-kind-cell">
          <KindSwatch kind={event.kind} />
          {event.kind}
        </span>
        {event.stated_kind !== event.kind && <div className="muted-inline">stated: {event.stated_kind}</div>}
        {event.corroborated_by.length > 0 && (
          <div className="muted-inline">
            also reported by event {event.corroborated_by.map((id) => `#${String(id)}`).join(', ')}
          </div>
        )}
        {event.folded_into !== null && (
          <div className="muted-inline" data-testid="timeline-event-folded">
            part of{' '}
            <button
              type="button"
              className="link-button"
              title="The statement this record makes for the purpose"
              onClick={(click) => {
                click.stopPropagation();
                if (event.folded_into !== null) onSelect(event.folded_into);
              }}
            >
              #{event.folded_into}
            </button>
          </div>
        )}
      </td>
      <td>
        {event.purpose ?? '—'}
        {event.purpose_label !== null && event.purpose_label !== event.purpose && (
          <div className="muted-inline">“{event.purpose_label}”</div>
        )}
        {event.partial !== null && <PartialMarker partial={event.partial} />}
      </td>
      <td>
        {event.recipients.length === 0
          ? '—'
          : event.recipients.map((recipient) => (
              <div key={`${recipient.label}|${recipient.legal_name ?? ''}`}>
                {recipient.legal_name ?? recipient.label}
                {recipient.legal_name !== null && recipient.legal_name !== recipient.label && (
                  <span className="muted-inline"> (“{recipient.label}”)</span>
                )}
              </div>
            ))}
      </td>
      <td>
        {event.method ?? '—'}
        {event.capture_source !== null && <div className="muted-inline">{event.capture_source}</div>}
      </td>
      <td>{event.notice_version ?? '—'}</td>
    </tr>
  );
}

/** The time text as the file had it, how its zone was known, and the UTC instant it became. */
function RecordedTime({ event }: { event: TimelineEvent }) {
  if (event.occurred_at_text === null && event.occurred_at_ms === null) {
    return <span className="muted-inline">no time in the source</span>;
  }
  return (
    <>
      <span className="tl-time-text">{event.occurred_at_text ?? '—'}</span>
      {event.zone_basis !== null && (
        <span className="badge tl-zone" title="How the time zone was known">
          {event.zone_basis}
        </span>
      )}
      {event.occurred_at_ms !== null && <div className="muted-inline">{formatUtc(event.occurred_at_ms)}</div>}
    </>
  );
}

/**
 * A grant one record made for a profile purpose while answering the source purposes behind it
 * differently: it counts as one grant, and the officer sees which parts were and were not agreed.
 */
function PartialMarker({ partial }: { partial: PartialStatement }) {
  const list = (labels: readonly string[]) => (labels.length === 0 ? '—' : labels.join(', '));
  return (
    <div className="tl-partial" data-testid="timeline-event-partial">
      <span className="badge tl-zone" title="The record consented to some of the source purposes behind this purpose">
        partial
      </span>{' '}
      <span>consented: {list(partial.consented)}</span>
      <span className="muted-inline">; not consented: {list(partial.not_consented)}</span>
    </div>
  );
}
