import type { SubjectTimeline } from '../../api';
import { PrintButton } from '../../components/PrintButton';
import { countOf, identifierText, subjectLabel } from '../../format';
import { systemsOf } from './TimelineChart';

/**
 * Who this is: every identifier the sources joined, and the names or dates of birth they
 * recorded (shown for recognition only; the engine never joins on them).
 */
export function TimelineHeader({
  timeline,
  backTo = 'subjects',
  onBack,
  onMakePack,
}: {
  timeline: SubjectTimeline;
  /** Where Back returns, named on the button ("findings"). */
  backTo?: string;
  onBack: () => void;
  onMakePack: (subjectId: number, label: string) => void;
}) {
  const { subject } = timeline;
  const label = subjectLabel(subject);
  return (
    <header className="card tl-header">
      <div className="toolbar">
        <button type="button" onClick={onBack} data-testid="timeline-back">
          ← Back to {backTo}
        </button>
        <span className="spacer" />
        <PrintButton testId="timeline-print" what="this subject's timeline, findings and events" />
        <button
          type="button"
          className="primary"
          data-testid="make-pack"
          onClick={() => {
            onMakePack(subject.id, label);
          }}
        >
          Make evidence pack
        </button>
      </div>
      <h2 className="screen-title tl-title">{label}</h2>
      <RecordedNames timeline={timeline} />
      <p className="muted tl-summary">
        Subject #{subject.id} · {countOf(timeline.events.length, 'event')} from{' '}
        {countOf(systemsOf(timeline.events).length, 'system')} · {countOf(timeline.findings.length, 'finding')}
      </p>
      <h3 className="tl-subheading">Identifiers</h3>
      <ul className="tl-identifiers" data-testid="timeline-identifiers">
        {subject.identifiers.map((identifier) => (
          <li key={identifierText(identifier)} className="mono">
            {identifierText(identifier)}
          </li>
        ))}
      </ul>
      {timeline.attributes.length > 0 && <RecordedAttributes timeline={timeline} />}
    </header>
  );
}

/**
 * The person's name as recorded, with the systems that agree ("Anna Kowalska — mailchimp,
 * salesforce"), and any other name a source recorded, flagged: names are never used to join, so a
 * different one is worth a look.
 */
function RecordedNames({ timeline }: { timeline: SubjectTimeline }) {
  const [name, ...others] = timeline.names;
  if (name === undefined) return null;
  return (
    <>
      <p className="tl-name" data-testid="timeline-name">
        <strong>{name.name}</strong> <span className="muted">— {name.systems.join(', ')}</span>
      </p>
      {others.length > 0 && (
        <p className="tl-name-conflict" role="note" data-testid="timeline-name-conflicts">
          <span className="badge badge-warn">Names differ</span> also recorded as:{' '}
          {others.map((other) => `${other.name} (${other.systems.join(', ')})`).join('; ')}
        </p>
      )}
    </>
  );
}

function RecordedAttributes({ timeline }: { timeline: SubjectTimeline }) {
  return (
    <>
      <h3 className="tl-subheading">Recorded by the sources</h3>
      <div className="table-scroll">
        <table className="table tl-attributes" data-testid="timeline-attributes">
          <thead>
            <tr>
              <th scope="col">Attribute</th>
              <th scope="col">Value</th>
              <th scope="col">System</th>
            </tr>
          </thead>
          <tbody>
            {timeline.attributes.map((attribute, index) => (
              // The same value can be recorded by several files of one system: position is identity.
              <tr key={index} title={attribute.source_path}>
                <td>{attribute.attribute}</td>
                <td>{attribute.value}</td>
                <td>{attribute.system}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
