import type { ProfileCollectionPoint } from '../../api';
import { OptionalTextField, SelectField, TextField } from './fields';
import { useStableKeys } from './useStableKeys';

/** The collection methods the engine knows (Rust `model::Method`), in its spelling. */
export const METHODS = [
  'explicit-opt-in',
  'double-opt-in',
  'pre-ticked',
  'implied',
  'opt-out',
  'verbal',
  'paper',
  'third-party-collected',
  'imported-list',
  'unknown',
] as const;

const NEW_POINT: ProfileCollectionPoint = {
  system: '',
  label: '',
  method: null,
  collected_by: null,
  notice_version: null,
};

/** What is wrong with one collection point, by field; each message names its field. */
export type CollectionPointProblems = Partial<Record<'system' | 'label' | 'method' | 'notice_version', string>>;

const norm = (text: string) => text.trim().toLowerCase();

/**
 * The problems of every collection point: a system and a label are needed; a label repeated in
 * the same system is never used (the engine takes the first); a method must be one the engine
 * knows; a notice version should be one of the profile's notices.
 */
export function collectionPointProblems(
  points: ProfileCollectionPoint[],
  noticeVersions: string[],
): CollectionPointProblems[] {
  return points.map((point, index) => {
    const problems: CollectionPointProblems = {};
    if (point.system.trim() === '') problems.system = 'System: required (an importer id such as salesforce, or *).';
    if (point.label.trim() === '') problems.label = 'Label: required (the capture label as the source writes it).';
    else if (
      points.slice(0, index).some((other) => other.system === point.system && norm(other.label) === norm(point.label))
    )
      problems.label = `Label: “${point.label}” is already a collection point of ${point.system}; only the first counts.`;
    const method = point.method ?? null;
    if (method !== null && !(METHODS as readonly string[]).includes(method))
      problems.method = `Method: “${method}” is not a method the engine knows.`;
    const notice = point.notice_version ?? null;
    if (notice !== null && !noticeVersions.includes(notice))
      problems.notice_version = `Notice version: “${notice}” is not a notice version of this profile.`;
    return problems;
  });
}

/** How each source's capture labels (form names, lists) translate into method, collector and notice. */
export function CollectionPointsSection({
  value,
  noticeVersions,
  onChange,
}: {
  value: ProfileCollectionPoint[];
  /** The notice versions defined below, which a collection point may refer to. */
  noticeVersions: string[];
  onChange: (value: ProfileCollectionPoint[]) => void;
}) {
  const keys = useStableKeys(value.length);
  const problems = collectionPointProblems(value, noticeVersions);
  const change = (index: number, changed: ProfileCollectionPoint) => {
    onChange(value.map((other, at) => (at === index ? changed : other)));
  };
  return (
    <section className="card profile-section" aria-labelledby="profile-collection-points">
      <h3 id="profile-collection-points" className="card-title">
        Collection points
      </h3>
      <p className="profile-hint">
        A capture label a source writes (a Salesforce CaptureSource, a form or list name) and how consent was collected
        there.
      </p>
      {value.length === 0 && <p className="muted">No collection points yet.</p>}
      {value.map((point, index) => {
        const name = point.label === '' ? 'new collection point' : `${point.system} / ${point.label}`;
        const wrong = problems[index] ?? {};
        return (
          <fieldset key={keys.keyAt(index)} className="profile-item" data-testid="profile-collection-point">
            <legend>Collection point {name}</legend>
            <div className="profile-grid">
              <TextField
                label="System"
                value={point.system}
                placeholder="e.g. salesforce, or *"
                error={wrong.system}
                onChange={(system) => { change(index, { ...point, system: system.trim() }); }}
              />
              <TextField
                label="Label"
                value={point.label}
                placeholder="e.g. Footer form"
                error={wrong.label}
                onChange={(label) => { change(index, { ...point, label }); }}
              />
              <SelectField
                label="Method"
                value={point.method ?? ''}
                options={METHODS}
                empty="(as the source says)"
                error={wrong.method}
                onChange={(method) => { change(index, { ...point, method: method === '' ? null : method }); }}
              />
              <OptionalTextField
                label="Collected by"
                value={point.collected_by ?? null}
                hint="Empty: your organisation; otherwise the third party that collected it."
                onChange={(collectedBy) => { change(index, { ...point, collected_by: collectedBy }); }}
              />
              <OptionalTextField
                label="Notice version"
                value={point.notice_version ?? null}
                error={wrong.notice_version}
                onChange={(version) => { change(index, { ...point, notice_version: version }); }}
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
                Remove collection point {name}
              </button>
            </div>
          </fieldset>
        );
      })}
      <div className="toolbar">
        <button
          type="button"
          data-testid="profile-add-collection-point"
          onClick={() => {
            keys.added();
            onChange([...value, NEW_POINT]);
          }}
        >
          Add a collection point
        </button>
      </div>
    </section>
  );
}
