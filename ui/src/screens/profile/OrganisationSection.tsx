import type { Profile } from '../../api';
import { OptionalTextField, TextField } from './fields';

type Organisation = Profile['organisation'];

/** Who the controller is: printed on every evidence pack's cover. */
export function OrganisationSection({ value, onChange }: { value: Organisation; onChange: (value: Organisation) => void }) {
  return (
    <section className="card profile-section" aria-labelledby="profile-organisation">
      <h3 id="profile-organisation" className="card-title">
        Organisation
      </h3>
      <div className="profile-grid">
        <TextField label="Name" value={value.name} onChange={(name) => { onChange({ ...value, name }); }} />
        <OptionalTextField
          label="Country"
          value={value.country}
          placeholder="e.g. DE or GB"
          onChange={(country) => { onChange({ ...value, country }); }}
        />
        <OptionalTextField
          label="Contact"
          value={value.contact}
          placeholder="e.g. dpo@example.com"
          onChange={(contact) => { onChange({ ...value, contact }); }}
        />
      </div>
    </section>
  );
}
