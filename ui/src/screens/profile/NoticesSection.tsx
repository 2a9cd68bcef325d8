import type { ProfileNotice } from '../../api';
import { ListField, OptionalTextField, TextField } from './fields';
import { useStableKeys } from './useStableKeys';

const NEW_NOTICE: ProfileNotice = {
  version: '',
  effective_from: '',
  purposes: [],
  named_recipients: [],
  url: null,
  text: null,
};

/** The privacy notices shown over time: what people were told when they consented. */
export function NoticesSection({
  value,
  purposeIds,
  onChange,
}: {
  value: ProfileNotice[];
  /** The purposes defined above, offered as checkboxes. */
  purposeIds: string[];
  onChange: (value: ProfileNotice[]) => void;
}) {
  const keys = useStableKeys(value.length);
  return (
    <section className="card profile-section" aria-labelledby="profile-notices">
      <h3 id="profile-notices" className="card-title">
        Notices
      </h3>
      {value.length === 0 && <p className="muted">No notice versions yet.</p>}
      {value.map((notice, index) => (
        <NoticeEditor
          key={keys.keyAt(index)}
          notice={notice}
          purposeIds={purposeIds}
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
            onChange([...value, NEW_NOTICE]);
          }}
        >
          Add a notice version
        </button>
      </div>
    </section>
  );
}

/** One notice version. Its stored text (if any) is kept as it is: the editor does not show it. */
function NoticeEditor({
  notice,
  purposeIds,
  onChange,
  onRemove,
}: {
  notice: ProfileNotice;
  purposeIds: string[];
  onChange: (value: ProfileNotice) => void;
  onRemove: () => void;
}) {
  const name = notice.version === '' ? 'new version' : notice.version;
  // Purposes the notice names but the profile no longer defines stay visible, so they can be unticked.
  const offered = [...new Set([...purposeIds.filter((id) => id !== ''), ...notice.purposes])];
  const toggle = (purpose: string, checked: boolean) => {
    const purposes = checked
      ? [...notice.purposes, purpose]
      : notice.purposes.filter((other) => other !== purpose);
    onChange({ ...notice, purposes });
  };
  return (
    <fieldset className="profile-item" data-testid="profile-notice">
      <legend>Notice {name}</legend>
      <div className="profile-grid">
        <TextField label="Version" value={notice.version} onChange={(version) => { onChange({ ...notice, version }); }} />
        <TextField
          label="Effective from"
          value={notice.effective_from}
          placeholder="2024-03-01 or 2024-03-01T00:00:00Z"
          hint="An RFC 3339 instant, or a date (saved as 00:00 UTC that day)."
          onChange={(effective) => { onChange({ ...notice, effective_from: effective }); }}
        />
        <OptionalTextField
          label="URL"
          value={notice.url}
          placeholder="https://example.com/privacy/v3"
          onChange={(url) => { onChange({ ...notice, url }); }}
        />
      </div>
      <fieldset className="profile-checks">
        <legend>Purposes it covers</legend>
        {offered.length === 0 && <span className="profile-hint">Add a purpose first.</span>}
        {offered.map((purpose) => (
          <label key={purpose}>
            <input
              type="checkbox"
              checked={notice.purposes.includes(purpose)}
              onChange={(event) => {
                toggle(purpose, event.target.checked);
              }}
            />
            {purpose}
            {!purposeIds.includes(purpose) && <span className="profile-hint"> (not a purpose of this profile)</span>}
          </label>
        ))}
      </fieldset>
      <ListField
        label="Named recipients"
        value={notice.named_recipients}
        hint="Every controller relying on the consent must be named (EDPB 05/2020 ¶65). Commas or one per line."
        onChange={(recipients) => { onChange({ ...notice, named_recipients: recipients }); }}
      />
      <div className="toolbar">
        <button type="button" className="danger" onClick={onRemove}>
          Remove notice {name}
        </button>
      </div>
    </fieldset>
  );
}
