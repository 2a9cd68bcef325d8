import { useId, useState } from 'react';

import { useBackend, type ColumnMapping, type FilePreview, type ImportCatalog } from '../../api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { fileName } from './format';

/** Words for the canonical fields; unknown fields (a newer engine) show their id. */
const FIELD_LABELS: Record<string, string> = {
  subject: 'Subject (e-mail, phone or customer id)',
  kind: 'Kind of event',
  occurred_at: 'When it happened',
  purpose: 'Purpose',
  recipients: 'Recipients',
  channel: 'Channel',
  method: 'How consent was collected',
  capture_source: 'Capture source (form, page…)',
  collected_by: 'Collected by',
  notice_version: 'Notice version shown',
  first_name: 'First name',
  last_name: 'Last name',
  date_of_birth: 'Date of birth',
};

/** `Call log (EU).csv` → `call-log-eu`: a system id that reads well in reports and profile aliases. */
export function systemIdFromFileName(path: string): string {
  const stem = fileName(path).replace(/\.[^.]*$/, '');
  const slug = stem
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug === '' ? 'custom' : slug;
}

/** Distinct non-empty values of one column in the preview rows, in order of appearance. */
function distinctValues(preview: FilePreview, column: string): string[] {
  const index = (preview.header ?? []).indexOf(column);
  if (index < 0) return [];
  const seen = new Set<string>();
  for (const row of preview.rows) {
    const value = row[index]?.trim() ?? '';
    if (value !== '') seen.add(value);
  }
  return [...seen];
}

/** Field → the first header column with the same name (ignoring case, `_` and spaces). */
function guessColumns(fields: string[], header: string[]): Record<string, string> {
  const fold = (text: string) => text.toLowerCase().replace(/[\s_-]+/g, '');
  const guessed: Record<string, string> = {};
  for (const field of fields) {
    const match = header.find((column) => fold(column) === fold(field));
    if (match !== undefined) guessed[field] = match;
  }
  return guessed;
}

/** Keeps only the entries with a value: the mapping document lists what was chosen, nothing else. */
function chosen(entries: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value.trim() !== ''));
}

/** Fields that may be a constant instead of a column, and the choices offered for each. */
type ConstantField = 'kind' | 'method' | 'channel';

/**
 * Builds a column mapping for a CSV layout no importer knows. The engine saves it under the
 * file's header, so the next file with the same header imports without asking again.
 */
export function ColumnMapper({
  preview,
  catalog,
  onSaved,
}: {
  preview: FilePreview;
  catalog: ImportCatalog;
  onSaved: () => void;
}) {
  const backend = useBackend();
  const header = preview.header ?? [];
  const id = useId();
  const [name, setName] = useState(() => fileName(preview.path).replace(/\.[^.]*$/, ''));
  const [system, setSystem] = useState(() => systemIdFromFileName(preview.path));
  const [columns, setColumns] = useState(() => guessColumns(catalog.mappable_fields, header));
  const [constants, setConstants] = useState<Record<ConstantField, string>>({ kind: '', method: '', channel: '' });
  const [kindValues, setKindValues] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const kindColumn = columns.kind ?? '';
  const seenKinds = kindColumn === '' ? [] : distinctValues(preview, kindColumn);
  const kindTranslations = kindColumn === '' ? {} : chosen(pickKeys(kindValues, seenKinds));
  const mapping: ColumnMapping = {
    format: 'consenttrail-mapping/1',
    name: name.trim(),
    system: system.trim(),
    columns: chosen(columns),
    // A constant is offered only for a field without a column, so the two never compete.
    constants: chosen(
      Object.fromEntries(Object.entries(constants).filter(([field]) => (columns[field] ?? '') === '')),
    ),
    values: Object.keys(kindTranslations).length === 0 ? {} : { kind: kindTranslations },
  };

  const missing = [
    ...(mapping.name === '' ? ['give the mapping a name'] : []),
    ...(mapping.system === '' ? ['give a system id'] : []),
    ...(mapping.columns.subject === undefined ? ['choose the column that holds the subject'] : []),
    ...(mapping.columns.kind === undefined && mapping.constants.kind === undefined
      ? ['choose a kind column, or one kind for every row']
      : []),
  ];

  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      await backend.saveMapping(header, mapping);
      onSaved();
    } catch (reason: unknown) {
      setError(reason);
    } finally {
      setSaving(false);
    }
  };

  if (header.length === 0) {
    return <p className="notice notice-warn">This file has no header row, so its columns cannot be mapped.</p>;
  }

  return (
    <fieldset className="import-mapper" data-testid="column-mapper">
      <legend className="card-title">Column mapping</legend>
      <p className="muted">
        No importer knows this layout. Say which column holds what; the mapping is saved and used again
        whenever a file with the same header is imported.
      </p>
      <div className="import-mapper-names">
        <label>
          Mapping name
          <input value={name} onChange={(event) => { setName(event.target.value); }} />
        </label>
        <label>
          System id
          <input value={system} onChange={(event) => { setSystem(event.target.value); }} className="mono" />
        </label>
      </div>

      <table className="table import-mapper-fields">
        <thead>
          <tr>
            <th scope="col">ConsentTrail field</th>
            <th scope="col">Column in this file</th>
            <th scope="col">Or the same for every row</th>
          </tr>
        </thead>
        <tbody>
          {catalog.mappable_fields.map((field) => {
            const selectId = `${id}-column-${field}`;
            const column = columns[field] ?? '';
            return (
              <tr key={field}>
                <th scope="row">
                  <label htmlFor={selectId}>{FIELD_LABELS[field] ?? field}</label>
                  {(field === 'subject' || field === 'kind') && <span className="import-required"> (required)</span>}
                </th>
                <td>
                  <select
                    id={selectId}
                    value={column}
                    onChange={(event) => {
                      setColumns({ ...columns, [field]: event.target.value });
                    }}
                  >
                    <option value="">not in this file</option>
                    {header.map((headerName, index) => (
                      <option key={index} value={headerName}>
                        {headerName}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  {isConstantField(field) && column === '' && (
                    <ConstantInput
                      field={field}
                      label={`${FIELD_LABELS[field] ?? field} for every row`}
                      value={constants[field]}
                      catalog={catalog}
                      onChange={(value) => {
                        setConstants({ ...constants, [field]: value });
                      }}
                    />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      {kindColumn !== '' && (
        <KindValueTable
          column={kindColumn}
          values={seenKinds}
          eventKinds={catalog.event_kinds}
          chosen={kindValues}
          onChange={setKindValues}
        />
      )}

      {error !== null && <ErrorNotice error={error} title="The mapping could not be saved" />}
      <div className="toolbar">
        <button
          type="button"
          className="primary"
          disabled={missing.length > 0 || saving}
          aria-describedby={missing.length > 0 ? `${id}-missing` : undefined}
          onClick={() => {
            void save();
          }}
        >
          {saving ? 'Saving…' : 'Save mapping'}
        </button>
        {missing.length > 0 && (
          <p id={`${id}-missing`} className="import-mapper-missing">
            To save, {missing.join('; ')}.
          </p>
        )}
      </div>
    </fieldset>
  );
}

function isConstantField(field: string): field is ConstantField {
  return field === 'kind' || field === 'method' || field === 'channel';
}

/** The entries of `record` whose keys are in `keys` (drops choices for values no longer seen). */
function pickKeys(record: Record<string, string>, keys: string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of keys) {
    const value = record[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

/** A constant for one field: a list where the engine has fixed values, free text otherwise. */
function ConstantInput({
  field,
  label,
  value,
  catalog,
  onChange,
}: {
  field: ConstantField;
  label: string;
  value: string;
  catalog: ImportCatalog;
  onChange: (value: string) => void;
}) {
  const choices = field === 'kind' ? catalog.event_kinds : field === 'method' ? catalog.methods : null;
  if (choices === null) {
    return (
      <input aria-label={label} value={value} placeholder="e.g. email" onChange={(event) => { onChange(event.target.value); }} />
    );
  }
  return (
    <select aria-label={label} value={value} onChange={(event) => { onChange(event.target.value); }}>
      <option value="">none</option>
      {choices.map((choice) => (
        <option key={choice} value={choice}>
          {choice}
        </option>
      ))}
    </select>
  );
}

/**
 * Translates the values of the kind column into event kinds. Only the preview rows are known
 * here, so the table says so: other values import only if they already are kind names.
 */
function KindValueTable({
  column,
  values,
  eventKinds,
  chosen: choices,
  onChange,
}: {
  column: string;
  values: string[];
  eventKinds: string[];
  chosen: Record<string, string>;
  onChange: (choices: Record<string, string>) => void;
}) {
  if (values.length === 0) {
    return <p className="muted">The preview rows have no values in “{column}” to translate.</p>;
  }
  return (
    <div className="import-mapper-values">
      <p className="muted">
        Values of “{column}” in the preview rows. Rows with other values are imported only if the value is
        already a kind name ({eventKinds.join(', ')}); otherwise they are rejected and listed in the report.
      </p>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Value in the file</th>
            <th scope="col">Event kind</th>
          </tr>
        </thead>
        <tbody>
          {values.map((value) => (
            <tr key={value}>
              <td className="mono">{value}</td>
              <td>
                <select
                  aria-label={`Event kind for “${value}”`}
                  value={choices[value] ?? ''}
                  onChange={(event) => {
                    onChange({ ...choices, [value]: event.target.value });
                  }}
                >
                  <option value="">{eventKinds.includes(value) ? 'as written' : 'choose…'}</option>
                  {eventKinds.map((kind) => (
                    <option key={kind} value={kind}>
                      {kind}
                    </option>
                  ))}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
