import { useId, useState, type ReactNode } from 'react';

/**
 * Form fields for the profile editor. Fields whose text is not the stored value (lists, numbers,
 * system → value tables) keep their own text while the user types and report the parsed value;
 * the editor remounts them (by key) when the profile is reloaded.
 */

/** A labelled single-line text input; `error` (naming the field) replaces the hint and marks it invalid. */
export function TextField({
  label,
  value,
  onChange,
  hint,
  placeholder,
  error,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  hint?: string;
  placeholder?: string;
  error?: string | undefined;
}) {
  const id = useId();
  const note = error ?? hint;
  return (
    <div className="profile-field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={value}
        placeholder={placeholder}
        aria-invalid={error !== undefined}
        aria-describedby={note === undefined ? undefined : `${id}-hint`}
        onChange={(event) => {
          onChange(event.target.value);
        }}
      />
      {note !== undefined && (
        <span id={`${id}-hint`} className={error === undefined ? 'profile-hint' : 'profile-hint profile-invalid'}>
          {note}
        </span>
      )}
    </div>
  );
}

/** A labelled choice among `options`; a value not among them stays shown (and can be changed). */
export function SelectField({
  label,
  value,
  options,
  onChange,
  empty,
  error,
  hint,
}: {
  label: string;
  value: string;
  options: readonly string[];
  onChange: (value: string) => void;
  /** The label of the empty choice (value `""`), when the field may be left empty. */
  empty?: string;
  error?: string | undefined;
  hint?: string;
}) {
  const id = useId();
  const note = error ?? hint;
  return (
    <div className="profile-field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        aria-invalid={error !== undefined}
        aria-describedby={note === undefined ? undefined : `${id}-hint`}
        onChange={(event) => {
          onChange(event.target.value);
        }}
      >
        {empty !== undefined && <option value="">{empty}</option>}
        {value !== '' && !options.includes(value) && <option value={value}>{value}</option>}
        {options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
      {note !== undefined && (
        <span id={`${id}-hint`} className={error === undefined ? 'profile-hint' : 'profile-hint profile-invalid'}>
          {note}
        </span>
      )}
    </div>
  );
}

/** A text input for an optional value: an empty box is stored as `null`, not as `""`. */
export function OptionalTextField(props: {
  label: string;
  value: string | null;
  onChange: (value: string | null) => void;
  hint?: string;
  placeholder?: string;
  error?: string | undefined;
}) {
  const { value, onChange, ...rest } = props;
  return (
    <TextField
      {...rest}
      value={value ?? ''}
      onChange={(text) => {
        onChange(text.trim() === '' ? null : text);
      }}
    />
  );
}

/**
 * Lines when there are several, commas otherwise: names with a comma in them ("Acme, Inc.")
 * survive as long as they are written one per line.
 */
export function parseList(text: string): string[] {
  const separator = text.includes('\n') ? '\n' : ',';
  return text
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** The text a list is shown as; one per line when any item holds a comma. */
export function formatList(items: string[]): string {
  return items.some((item) => item.includes(',')) ? items.join('\n') : items.join(', ');
}

/** A list of names typed as comma- or line-separated text. */
export function ListField({
  label,
  value,
  onChange,
  hint,
}: {
  label: string;
  value: string[];
  onChange: (value: string[]) => void;
  hint?: string;
}) {
  const id = useId();
  const [text, setText] = useState(() => formatList(value));
  return (
    <div className="profile-field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        rows={2}
        value={text}
        aria-describedby={`${id}-hint`}
        onChange={(event) => {
          setText(event.target.value);
          onChange(parseList(event.target.value));
        }}
      />
      <span id={`${id}-hint`} className="profile-hint">
        {hint ?? 'Separate with commas, or write one per line when a name contains a comma.'}
      </span>
    </div>
  );
}

/** A whole number of at least `min`; other text is flagged and the last good value kept. */
export function NumberField({
  label,
  value,
  onChange,
  min = 0,
  hint,
}: {
  label: string;
  value: number;
  onChange: (value: number) => void;
  min?: number;
  hint?: string;
}) {
  const id = useId();
  const [text, setText] = useState(() => String(value));
  const valid = /^\d+$/.test(text.trim()) && Number(text) >= min;
  return (
    <div className="profile-field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        inputMode="numeric"
        className="profile-number"
        value={text}
        aria-invalid={!valid}
        aria-describedby={`${id}-hint`}
        onChange={(event) => {
          const next = event.target.value;
          setText(next);
          if (/^\d+$/.test(next.trim()) && Number(next) >= min) onChange(Number(next));
        }}
      />
      <span id={`${id}-hint`} className={valid ? 'profile-hint' : 'profile-hint profile-invalid'}>
        {valid ? hint : `Enter a whole number of at least ${String(min)}; ${String(value)} is kept until then.`}
      </span>
    </div>
  );
}

/** Whole numbers separated by commas or spaces (TCF vendor ids); anything else is named and left out. */
export function NumberListField({
  label,
  value,
  onChange,
}: {
  label: string;
  value: number[];
  onChange: (value: number[]) => void;
}) {
  const id = useId();
  const [text, setText] = useState(() => value.join(', '));
  const tokens = text.split(/[\s,]+/).filter((token) => token !== '');
  const invalid = tokens.filter((token) => !/^\d+$/.test(token));
  return (
    <div className="profile-field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={text}
        aria-invalid={invalid.length > 0}
        aria-describedby={`${id}-hint`}
        onChange={(event) => {
          setText(event.target.value);
          const numbers = event.target.value
            .split(/[\s,]+/)
            .filter((token) => /^\d+$/.test(token))
            .map(Number);
          onChange(numbers);
        }}
      />
      <span id={`${id}-hint`} className={invalid.length === 0 ? 'profile-hint' : 'profile-hint profile-invalid'}>
        {invalid.length === 0
          ? 'Numbers separated by commas.'
          : `Not whole numbers, so left out: ${invalid.join(', ')}`}
      </span>
    </div>
  );
}

/** A row of a system → value table, with a key that survives edits and removals. */
interface PairRow {
  key: number;
  name: string;
  text: string;
}

/**
 * A table of system id → value (aliases per system, assumed zone per system). Rows are kept as
 * typed so renaming a system does not reorder or merge anything; empty system ids are left out.
 */
export function PairsEditor<V>({
  label,
  nameLabel,
  valueLabel,
  value,
  onChange,
  parse,
  format,
  hint,
}: {
  label: string;
  nameLabel: string;
  valueLabel: string;
  value: Record<string, V>;
  onChange: (value: Record<string, V>) => void;
  parse: (text: string) => V;
  format: (value: V) => string;
  hint?: ReactNode;
}) {
  const [rows, setRows] = useState<PairRow[]>(() =>
    Object.entries(value).map(([name, item], index) => ({ key: index, name, text: format(item) })),
  );
  const [nextKey, setNextKey] = useState(() => rows.length);

  const update = (next: PairRow[]) => {
    setRows(next);
    const record: Record<string, V> = {};
    for (const row of next) {
      if (row.name.trim() !== '') record[row.name.trim()] = parse(row.text);
    }
    onChange(record);
  };
  const names = rows.map((row) => row.name.trim()).filter((name) => name !== '');
  const repeated = names.filter((name, index) => names.indexOf(name) !== index);

  return (
    <fieldset className="profile-pairs">
      <legend>{label}</legend>
      {hint !== undefined && <p className="profile-hint">{hint}</p>}
      {rows.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{nameLabel}</th>
              <th scope="col">{valueLabel}</th>
              <th scope="col">
                <span className="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => (
              <tr key={row.key}>
                <td>
                  <input
                    aria-label={`${nameLabel} ${String(index + 1)}`}
                    className="mono"
                    value={row.name}
                    onChange={(event) => {
                      update(rows.map((other) => (other.key === row.key ? { ...other, name: event.target.value } : other)));
                    }}
                  />
                </td>
                <td>
                  <input
                    aria-label={`${valueLabel} ${String(index + 1)}`}
                    value={row.text}
                    onChange={(event) => {
                      update(rows.map((other) => (other.key === row.key ? { ...other, text: event.target.value } : other)));
                    }}
                  />
                </td>
                <td>
                  <button
                    type="button"
                    aria-label={`Remove ${row.name === '' ? `row ${String(index + 1)}` : row.name}`}
                    onClick={() => {
                      update(rows.filter((other) => other.key !== row.key));
                    }}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {repeated.length > 0 && (
        <p className="profile-hint profile-invalid">
          {repeated.join(', ')} appears more than once; only its last row counts.
        </p>
      )}
      <button
        type="button"
        aria-label={`Add a row to ${label}`}
        onClick={() => {
          setNextKey(nextKey + 1);
          setRows([...rows, { key: nextKey, name: '', text: '' }]);
        }}
      >
        Add a row
      </button>
    </fieldset>
  );
}
