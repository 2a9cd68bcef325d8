import { useId } from 'react';

import type { ProfilePurpose } from '../../api';
import { formatList, ListField, OptionalTextField, PairsEditor, parseList, TextField } from './fields';
import { useStableKeys } from './useStableKeys';

/** The lawful bases of Article 6(1) GDPR, as the profile spells them. */
export const LAWFUL_BASES = [
  'consent',
  'contract',
  'legal-obligation',
  'vital-interests',
  'public-task',
  'legitimate-interest',
] as const;

const NEW_PURPOSE: ProfilePurpose = {
  id: '',
  label: '',
  lawful_basis: 'consent',
  channel: null,
  recipients: [],
  aliases: {},
};

/** The purposes consent is asked for; aliases tie each system's labels to them. */
export function PurposesSection({
  value,
  onChange,
}: {
  value: ProfilePurpose[];
  onChange: (value: ProfilePurpose[]) => void;
}) {
  const keys = useStableKeys(value.length);
  return (
    <section className="card profile-section" aria-labelledby="profile-purposes">
      <h3 id="profile-purposes" className="card-title">
        Purposes
      </h3>
      {value.length === 0 && <p className="muted">No purposes yet. Findings need at least one.</p>}
      {value.map((purpose, index) => (
        <PurposeEditor
          key={keys.keyAt(index)}
          purpose={purpose}
          onChange={(changed) => {
            onChange(value.map((other, at) => (at === index ? changed : other)));
          }}
          onRemove={() => {
            keys.removed(index);
            onChange(value.filter((_, at) => at !== index));
          }}
        />
      ))}
      <div className="toolbar">
        <button
          type="button"
          onClick={() => {
            keys.added();
            onChange([...value, NEW_PURPOSE]);
          }}
        >
          Add a purpose
        </button>
      </div>
    </section>
  );
}

/** One purpose: what it is called, its lawful basis, who receives the data, and its aliases. */
function PurposeEditor({
  purpose,
  onChange,
  onRemove,
}: {
  purpose: ProfilePurpose;
  onChange: (value: ProfilePurpose) => void;
  onRemove: () => void;
}) {
  const id = useId();
  const name = purpose.id === '' ? 'new purpose' : purpose.id;
  return (
    <fieldset className="profile-item" data-testid="profile-purpose">
      <legend>Purpose {name}</legend>
      <div className="profile-grid">
        <TextField
          label="Id"
          value={purpose.id}
          placeholder="e.g. newsletter"
          hint="Used in findings, notices and packs."
          onChange={(text) => { onChange({ ...purpose, id: text }); }}
        />
        <TextField label="Label" value={purpose.label} onChange={(label) => { onChange({ ...purpose, label }); }} />
        <div className="profile-field">
          <label htmlFor={`${id}-basis`}>Lawful basis</label>
          <select
            id={`${id}-basis`}
            value={purpose.lawful_basis}
            onChange={(event) => {
              onChange({ ...purpose, lawful_basis: event.target.value });
            }}
          >
            {!(LAWFUL_BASES as readonly string[]).includes(purpose.lawful_basis) && (
              <option value={purpose.lawful_basis}>{purpose.lawful_basis}</option>
            )}
            {LAWFUL_BASES.map((basis) => (
              <option key={basis} value={basis}>
                {basis}
              </option>
            ))}
          </select>
        </div>
        <OptionalTextField
          label="Channel"
          value={purpose.channel}
          placeholder="e.g. email"
          onChange={(channel) => { onChange({ ...purpose, channel }); }}
        />
      </div>
      <ListField
        label="Recipients"
        value={purpose.recipients}
        onChange={(recipients) => { onChange({ ...purpose, recipients }); }}
      />
      <PairsEditor
        label="Aliases per system"
        nameLabel="System"
        valueLabel="Labels meaning this purpose"
        hint="The labels each system uses for this purpose, separated by commas; use * for every system."
        value={purpose.aliases}
        parse={parseList}
        format={formatList}
        onChange={(aliases) => { onChange({ ...purpose, aliases }); }}
      />
      <div className="toolbar">
        <button type="button" className="danger" onClick={onRemove}>
          Remove purpose {name}
        </button>
      </div>
    </fieldset>
  );
}
