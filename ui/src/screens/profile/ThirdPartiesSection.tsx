import type { ProfileThirdParty } from '../../api';
import { ListField, NumberListField, TextField } from './fields';
import { useStableKeys } from './useStableKeys';

const NEW_THIRD_PARTY: ProfileThirdParty = { legal_name: '', aliases: [], tcf_vendor_ids: [] };

/** Recipients by legal name, with the names and TCF vendor ids the sources use for them. */
export function ThirdPartiesSection({
  value,
  onChange,
}: {
  value: ProfileThirdParty[];
  onChange: (value: ProfileThirdParty[]) => void;
}) {
  const keys = useStableKeys(value.length);
  const change = (index: number, changed: ProfileThirdParty) => {
    onChange(value.map((other, at) => (at === index ? changed : other)));
  };
  return (
    <section className="card profile-section" aria-labelledby="profile-third-parties">
      <h3 id="profile-third-parties" className="card-title">
        Third parties
      </h3>
      {value.length === 0 && <p className="muted">No third parties yet.</p>}
      {value.map((party, index) => {
        const name = party.legal_name === '' ? 'new third party' : party.legal_name;
        return (
          <fieldset key={keys.keyAt(index)} className="profile-item" data-testid="profile-third-party">
            <legend>{name}</legend>
            <TextField
              label="Legal name"
              value={party.legal_name}
              onChange={(legalName) => { change(index, { ...party, legal_name: legalName }); }}
            />
            <ListField
              label="Aliases"
              value={party.aliases}
              hint="Names the source systems use for it. Commas, or one per line when a name contains a comma."
              onChange={(aliases) => { change(index, { ...party, aliases }); }}
            />
            <NumberListField
              label="TCF vendor ids"
              value={party.tcf_vendor_ids}
              onChange={(ids) => { change(index, { ...party, tcf_vendor_ids: ids }); }}
            />
            <div className="toolbar">
              <button
                type="button"
                className="danger"
                onClick={() => {
                  keys.removed(index);
                  onChange(value.filter((_, at) => at !== index));
                }}
              >
                Remove {name}
              </button>
            </div>
          </fieldset>
        );
      })}
      <div className="toolbar">
        <button
          type="button"
          onClick={() => {
            keys.added();
            onChange([...value, NEW_THIRD_PARTY]);
          }}
        >
          Add a third party
        </button>
      </div>
    </section>
  );
}
