import { useId } from 'react';

import type { ImportOptionsValue } from './plan';

/** Options that apply to every file of the run: assumptions the files themselves cannot answer. */
export function ImportOptions({
  value,
  disabled,
  onChange,
}: {
  value: ImportOptionsValue;
  disabled: boolean;
  onChange: (value: ImportOptionsValue) => void;
}) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="card-title">
        Options for this import
      </h3>
      <fieldset className="import-options" disabled={disabled} aria-labelledby={`${id}-title`}>
        <div className="import-options-row">
          <label htmlFor={`${id}-zone`}>Time zone for times without an offset</label>
          <input
            id={`${id}-zone`}
            value={value.timeZone}
            placeholder="e.g. Europe/Berlin"
            aria-describedby={`${id}-zone-help`}
            onChange={(event) => {
              onChange({ ...value, timeZone: event.target.value });
            }}
          />
          <span id={`${id}-zone-help`} className="muted">
            A zone here applies to every file of this import. Leave empty to use the profile’s assumed zones (UTC where it names none).
          </span>
        </div>
        <div className="import-options-row">
          <label htmlFor={`${id}-order`}>Day/month order for slash dates</label>
          <select
            id={`${id}-order`}
            value={value.dateOrder}
            aria-describedby={`${id}-order-help`}
            onChange={(event) => {
              const order = event.target.value;
              onChange({ ...value, dateOrder: order === 'dmy' || order === 'mdy' ? order : '' });
            }}
          >
            <option value="">Automatic</option>
            <option value="dmy">Day first (dd/mm/yyyy)</option>
            <option value="mdy">Month first (mm/dd/yyyy)</option>
          </select>
          <span id={`${id}-order-help`} className="muted">
            Automatic works when a column has a day above 12; otherwise the report asks you to choose, rather than guess.
          </span>
        </div>
      </fieldset>
    </section>
  );
}
