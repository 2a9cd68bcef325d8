import { useEffect, useId, useRef, type ReactNode } from 'react';

import { useEventSourceQuery, type EventSource, type TimelineEvent } from '../../api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatUtc } from '../../format';
import { csvLine, FieldTable, splitAgainstHeader } from './SourceRecord';

type SourceLoad = { status: 'ready'; source: EventSource } | { status: 'error'; error: unknown };

/** The source row of one event (cached); `null` while the answer for this very event is on its way. */
function useEventSource(eventId: number): SourceLoad | null {
  const query = useEventSourceQuery(eventId);
  if (query.status === 'error') return { status: 'error', error: query.error };
  if (query.status === 'pending') return null;
  return { status: 'ready', source: query.data };
}

/**
 * Where an event came from, verbatim: file, hash, line, the raw row (and, for CSV, the row
 * field by field), other files that report the same fact, and the event as the engine read it.
 * This is what lets an officer answer "show me" about any point on the chart.
 */
export function EventSourcePanel({ event, onClose }: { event: TimelineEvent; onClose: () => void }) {
  const load = useEventSource(event.id);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const headingId = useId();

  const returnFocusTo = useRef<HTMLElement | SVGElement | null>(null);

  // Move focus here when another event is chosen, so keyboard users land on what they asked for;
  // remember where they came from the first time, to go back there on Close.
  useEffect(() => {
    const active = document.activeElement;
    if (returnFocusTo.current === null && (active instanceof HTMLElement || active instanceof SVGElement)) {
      returnFocusTo.current = active;
    }
    headingRef.current?.focus();
  }, [event.id]);

  const close = () => {
    const origin = returnFocusTo.current;
    onClose();
    origin?.focus();
  };

  return (
    <aside className="card tl-source" data-testid="event-source" aria-labelledby={headingId}>
      <div className="toolbar">
        <h3 className="card-title" id={headingId} ref={headingRef} tabIndex={-1}>
          Source of event #{event.id}
        </h3>
        <span className="spacer" />
        <button type="button" onClick={close}>
          Close
        </button>
      </div>
      {load === null && (
        <p role="status" className="muted-inline">
          Reading the source row…
        </p>
      )}
      {load?.status === 'error' && <ErrorNotice error={load.error} title="The source row could not be read" />}
      {load?.status === 'ready' && <SourceDetails source={load.source} />}
      <EventFields event={event} />
    </aside>
  );
}

/** One name / value line of a description list. */
function Fact({ name, children }: { name: string; children: ReactNode }) {
  return (
    <div className="tl-fact">
      <dt>{name}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function SourceDetails({ source }: { source: EventSource }) {
  const split = splitAgainstHeader(source.raw, source.header);
  return (
    <>
      <dl className="tl-facts">
        <Fact name="System">{source.system}</Fact>
        <Fact name="File">
          <span className="mono" data-testid="event-source-path">
            {source.path}
          </span>
        </Fact>
        <Fact name="SHA-256">
          <span className="mono tl-hash">{source.sha256}</span>
        </Fact>
        <Fact name={source.line === null ? 'Location' : 'Line'}>
          {source.line === null ? source.locator : String(source.line)}
          {source.line !== null && source.locator !== `line ${String(source.line)}` && (
            <span className="muted-inline"> ({source.locator})</span>
          )}
        </Fact>
      </dl>
      {source.header !== null && (
        <>
          <h4 className="tl-subheading">Header</h4>
          <pre className="raw" data-testid="event-source-header">
            {csvLine(source.header, split?.delimiter ?? ',')}
          </pre>
        </>
      )}
      <h4 className="tl-subheading">Raw row, as the file had it</h4>
      <pre className="raw" data-testid="event-source-raw">
        {source.raw}
      </pre>
      {split !== null && source.header !== null && <FieldTable header={source.header} fields={split.fields} />}
      {source.also_in.length > 0 && (
        <>
          <h4 className="tl-subheading">Also in</h4>
          <ul className="tl-also-in" data-testid="event-source-also-in">
            {source.also_in.map((other) => (
              <li key={`${other.path}#${other.locator}`}>
                <span className="mono">{other.path}</span> <span className="muted-inline">{other.locator}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

/** Evidence objects are stored as JSON text; indent them for reading, or show them as they are. */
function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** The event as ConsentTrail read it, beside the row it was read from. */
function EventFields({ event }: { event: TimelineEvent }) {
  const fields: [string, string | null][] = [
    ['Identifier', event.identifier],
    ['Kind', event.stated_kind === event.kind ? event.kind : `${event.kind} (stated ${event.stated_kind})`],
    ['Time as recorded', event.occurred_at_text],
    ['Time (UTC)', event.occurred_at_ms === null ? null : formatUtc(event.occurred_at_ms)],
    ['Zone basis', event.zone_basis],
    ['Purpose', event.purpose],
    ['Purpose label', event.purpose_label],
    ['Recipients', event.recipients.map((recipient) => recipient.legal_name ?? recipient.label).join(', ') || null],
    ['Channel', event.channel],
    ['Method', event.method],
    ['Capture source', event.capture_source],
    ['Collected by', event.collected_by],
    ['Notice version', event.notice_version],
  ];
  return (
    <>
      <h4 className="tl-subheading">The event as read</h4>
      <dl className="tl-facts" data-testid="event-fields">
        {fields.map(([name, value]) => (
          <Fact key={name} name={name}>
            {value ?? '—'}
          </Fact>
        ))}
      </dl>
      {event.evidence_json !== null && (
        <>
          <h4 className="tl-subheading">Evidence</h4>
          <pre className="raw" data-testid="event-evidence">
            {prettyJson(event.evidence_json)}
          </pre>
        </>
      )}
    </>
  );
}
