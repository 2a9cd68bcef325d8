import type { ProfileActivity } from '../../api';
import { OptionalTextField, SelectField, TextField } from './fields';
import { useStableKeys } from './useStableKeys';

/** The activity kinds the engine reads (SPEC §2). */
export const ACTIVITY_KINDS = ['processing', 'disclosure'] as const;

/** What is wrong with one activity, by field; each message names its field. */
export type ActivityProblems = Partial<Record<'system' | 'event' | 'kind' | 'purpose' | 'recipient_property', string>>;

/**
 * The problems of every activity: a system, an event and a known purpose are needed (the engine
 * refuses an unknown purpose); an event listed twice for a system counts once; only a disclosure
 * names a recipient.
 */
export function activityProblems(activities: ProfileActivity[], purposeIds: string[]): ActivityProblems[] {
  return activities.map((activity, index) => {
    const problems: ActivityProblems = {};
    if (activity.system.trim() === '') problems.system = 'System: required (an importer id such as segment).';
    if (activity.event.trim() === '') problems.event = 'Event: required (the event name as the source writes it).';
    else if (
      activities.slice(0, index).some((other) => other.system === activity.system && other.event === activity.event)
    )
      problems.event = `Event: “${activity.event}” of ${activity.system} is listed already; only the first counts.`;
    if (!(ACTIVITY_KINDS as readonly string[]).includes(activity.kind))
      problems.kind = `Kind: “${activity.kind}” must be processing or disclosure.`;
    if (activity.purpose === '') problems.purpose = 'Purpose: required.';
    else if (!purposeIds.includes(activity.purpose))
      problems.purpose = `Purpose: “${activity.purpose}” is not a purpose of this profile.`;
    if (activity.kind !== 'disclosure' && (activity.recipient_property ?? null) !== null)
      problems.recipient_property = 'Recipient property: only a disclosure names a recipient; clear it or choose disclosure.';
    return problems;
  });
}

/** Which source events are processing or disclosure, and for which purpose. */
export function ActivitiesSection({
  value,
  purposeIds,
  onChange,
}: {
  value: ProfileActivity[];
  /** The purposes defined above, offered as choices. */
  purposeIds: string[];
  onChange: (value: ProfileActivity[]) => void;
}) {
  const keys = useStableKeys(value.length);
  const offered = purposeIds.filter((id) => id !== '');
  const problems = activityProblems(value, offered);
  const change = (index: number, changed: ProfileActivity) => {
    onChange(value.map((other, at) => (at === index ? changed : other)));
  };
  return (
    <section className="card profile-section" aria-labelledby="profile-activities">
      <h3 id="profile-activities" className="card-title">
        Activities
      </h3>
      <p className="profile-hint">
        Source events that use the data (processing) or pass it on (disclosure), and the purpose they serve.
      </p>
      {value.length === 0 && <p className="muted">No activities yet.</p>}
      {value.map((activity, index) => {
        const name = activity.event === '' ? 'new activity' : `${activity.system} / ${activity.event}`;
        const wrong = problems[index] ?? {};
        return (
          <fieldset key={keys.keyAt(index)} className="profile-item" data-testid="profile-activity">
            <legend>Activity {name}</legend>
            <div className="profile-grid">
              <TextField
                label="System"
                value={activity.system}
                placeholder="e.g. segment"
                error={wrong.system}
                onChange={(system) => { change(index, { ...activity, system: system.trim() }); }}
              />
              <TextField
                label="Event"
                value={activity.event}
                placeholder="e.g. Email Sent"
                error={wrong.event}
                onChange={(event) => { change(index, { ...activity, event }); }}
              />
              <SelectField
                label="Kind"
                value={activity.kind}
                options={ACTIVITY_KINDS}
                error={wrong.kind}
                onChange={(kind) => { change(index, { ...activity, kind }); }}
              />
              <SelectField
                label="Purpose"
                value={activity.purpose}
                options={offered}
                empty="(choose a purpose)"
                error={wrong.purpose}
                onChange={(purpose) => { change(index, { ...activity, purpose }); }}
              />
              <OptionalTextField
                label="Recipient property"
                value={activity.recipient_property ?? null}
                placeholder="e.g. destination"
                hint="For a disclosure: the event property that names the recipient."
                error={wrong.recipient_property}
                onChange={(property) => { change(index, { ...activity, recipient_property: property }); }}
              />
            </div>
            <div className="toolbar">
              <button
                type="button"
                className="danger"
                onClick={() => {
                  keys.removed(index);
                  onChange(value.filter((_, at) => at !== index));
                }}
              >
                Remove activity {name}
              </button>
            </div>
          </fieldset>
        );
      })}
      <div className="toolbar">
        <button
          type="button"
          data-testid="profile-add-activity"
          onClick={() => {
            keys.added();
            onChange([
              ...value,
              { system: '', event: '', kind: 'processing', purpose: offered[0] ?? '', recipient_property: null },
            ]);
          }}
        >
          Add an activity
        </button>
      </div>
    </section>
  );
}
