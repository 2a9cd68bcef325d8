import { useMemo, useState } from 'react';

import { useTimelineQuery, type SubjectTimeline } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { FindingCard, findingAnchor } from '../components/FindingCard';
import { EventSourcePanel } from './timeline/EventSourcePanel';
import { EventsTable } from './timeline/EventsTable';
import { Legend } from './timeline/Legend';
import { TimelineChart } from './timeline/TimelineChart';
import { TimelineControls } from './timeline/TimelineControls';
import { TimelineHeader } from './timeline/TimelineHeader';
import { UndatedEvents } from './timeline/UndatedEvents';
import { ALL_TIME, boundsOf, isAllTime, lastInstant, rangeProblem, windowed, type DayRange } from './timeline/range';
import './timeline.css';

type TimelineLoad = { status: 'ready'; timeline: SubjectTimeline } | { status: 'error'; error: unknown };

/** The subject's timeline (cached; read again after a change to the data); `null` while on its way. */
function useTimeline(subjectId: number): TimelineLoad | null {
  const query = useTimelineQuery(subjectId);
  if (query.status === 'error') return { status: 'error', error: query.error };
  if (query.status === 'pending') return null;
  return { status: 'ready', timeline: query.data };
}

interface TimelineScreenProps {
  subjectId: number;
  /** Where Back goes, as its label says it ("subjects", "findings"). */
  backTo?: string;
  onBack: () => void;
  onMakePack: (subjectId: number, label: string) => void;
}

/** One subject's timeline: swimlanes, consent-state bars, findings, raw rows. */
export function TimelineScreen({ subjectId, backTo = 'subjects', onBack, onMakePack }: TimelineScreenProps) {
  const load = useTimeline(subjectId);
  if (load?.status === 'ready') {
    return <TimelineView timeline={load.timeline} backTo={backTo} onBack={onBack} onMakePack={onMakePack} />;
  }
  return (
    <section className="screen tl-screen" data-testid="timeline-screen">
      <div className="toolbar">
        <button type="button" onClick={onBack} data-testid="timeline-back">
          ← Back to {backTo}
        </button>
      </div>
      {load === null ? (
        <p role="status" className="muted-inline">
          Loading the timeline of subject #{subjectId}…
        </p>
      ) : (
        <ErrorNotice error={load.error} title="The timeline could not be loaded" />
      )}
    </section>
  );
}

/** The loaded timeline, with the event whose source row is open (if any) beside it. */
function TimelineView({
  timeline,
  backTo,
  onBack,
  onMakePack,
}: {
  timeline: SubjectTimeline;
  backTo: string;
  onBack: () => void;
  onMakePack: (subjectId: number, label: string) => void;
}) {
  const [selectedEventId, setSelectedEventId] = useState<number | null>(null);
  const selectedEvent = timeline.events.find((event) => event.id === selectedEventId) ?? null;
  const [range, setRange] = useState<DayRange>(ALL_TIME);
  const [zoom, setZoom] = useState(1);
  // The whole timeline is loaded at once, so the range is applied here.
  const shown = useMemo(() => windowed(timeline, range), [timeline, range]);
  const domain = useMemo(() => {
    if (isAllTime(range) || rangeProblem(range) !== null) return null;
    const { start, end } = boundsOf(range);
    const last = lastInstant(timeline);
    // An open side ends where the history does.
    const firstDated = timeline.events.find((event) => event.occurred_at_ms !== null)?.occurred_at_ms ?? null;
    const from = start ?? firstDated;
    const to = end ?? last;
    return from === null || to === null || from >= to ? null : { start: from, end: to };
  }, [timeline, range]);

  /** A marker on the chart brings its finding card into view (focus scrolls it there). */
  const showFinding = (findingId: string) => {
    document.getElementById(findingAnchor(findingId))?.focus();
  };

  return (
    <section className="screen tl-screen" data-testid="timeline-screen">
      <TimelineHeader timeline={timeline} backTo={backTo} onBack={onBack} onMakePack={onMakePack} />
      <div className={selectedEvent === null ? 'tl-body' : 'tl-body tl-body-with-source'}>
        <div className="tl-main">
          <section className="card" aria-labelledby="tl-chart-title">
            <h3 className="card-title" id="tl-chart-title">
              Timeline
            </h3>
            <p className="muted tl-hint">Times in UTC. Select a marker to see the row it was read from.</p>
            <TimelineControls
              range={range}
              onRange={setRange}
              zoom={zoom}
              onZoom={setZoom}
              last={lastInstant(timeline)}
            />
            {shown !== timeline && (
              <p className="muted-inline tl-range-note" data-testid="timeline-range-note">
                {range.from || '…'} to {range.to || '…'} (UTC): showing {shown.events.length} of{' '}
                {timeline.events.length} events and {shown.findings.length} of{' '}
                {timeline.findings.length} findings in the range; undated ones are always shown.
              </p>
            )}
            <TimelineChart
              timeline={shown}
              zoom={zoom}
              domain={domain}
              selectedEventId={selectedEventId}
              onSelectEvent={setSelectedEventId}
              onSelectFinding={showFinding}
            />
            <Legend />
            <UndatedEvents events={shown.events} selectedEventId={selectedEventId} onSelect={setSelectedEventId} />
          </section>

          <section className="card" aria-labelledby="tl-findings-title">
            <h3 className="card-title" id="tl-findings-title">
              Findings ({shown.findings.length})
            </h3>
            {shown.findings.length === 0 ? (
              <p className="muted-inline">
                {timeline.findings.length === 0
                  ? 'The latest audit found nothing for this subject.'
                  : 'No finding of this subject falls in the range.'}
              </p>
            ) : (
              <ul className="tl-findings-list">
                {shown.findings.map((finding) => (
                  <li key={finding.id}>
                    <FindingCard finding={finding} testId="timeline-finding" onSelectEvent={setSelectedEventId} />
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section className="card" aria-labelledby="tl-events-title">
            <h3 className="card-title" id="tl-events-title">
              Events ({shown.events.length})
            </h3>
            <EventsTable events={shown.events} selectedEventId={selectedEventId} onSelect={setSelectedEventId} />
          </section>
        </div>
        {selectedEvent !== null && (
          <EventSourcePanel
            event={selectedEvent}
            onClose={() => {
              setSelectedEventId(null);
            }}
          />
        )}
      </div>
    </section>
  );
}
