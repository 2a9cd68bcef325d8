import type { ProfilePolicy } from '../../api';
import { ListField, NumberField, PairsEditor } from './fields';

const keepText = (text: string) => text.trim();
const asText = (zone: string) => zone;

/** The thresholds the rules apply: grace periods, refresh intervals, double opt-in, age, zones. */
export function PolicySection({ value, onChange }: { value: ProfilePolicy; onChange: (value: ProfilePolicy) => void }) {
  return (
    <section className="card profile-section" aria-labelledby="profile-policy">
      <h3 id="profile-policy" className="card-title">
        Policy
      </h3>
      <div className="profile-grid">
        <NumberField
          label="Withdrawal grace (hours)"
          value={value.withdrawal_grace_hours}
          hint="How long processing may continue after a withdrawal before it is a finding."
          onChange={(hours) => { onChange({ ...value, withdrawal_grace_hours: hours }); }}
        />
        <NumberField
          label="Consent refresh (months)"
          value={value.consent_refresh_months}
          hint="Consent older than this is treated as stale."
          onChange={(months) => { onChange({ ...value, consent_refresh_months: months }); }}
        />
        <NumberField
          label="Age of digital consent"
          value={value.age_of_digital_consent}
          hint="Article 8 GDPR: between 13 and 16, depending on the member state."
          onChange={(age) => { onChange({ ...value, age_of_digital_consent: age }); }}
        />
      </div>
      <ListField
        label="Channels that need double opt-in"
        value={value.double_opt_in_channels}
        hint="e.g. email. Separate with commas."
        onChange={(channels) => { onChange({ ...value, double_opt_in_channels: channels }); }}
      />
      <PairsEditor
        label="Assumed time zones"
        nameLabel="System"
        valueLabel="Time zone"
        hint="For times a system writes without an offset, e.g. mailchimp → Europe/Berlin. Use default for every other system."
        value={value.assumed_time_zone}
        parse={keepText}
        format={asText}
        onChange={(zones) => { onChange({ ...value, assumed_time_zone: zones }); }}
      />
    </section>
  );
}
