/** Delimiters a CSV export may use (SPEC §3), most common first. */
const DELIMITERS = [',', ';', '\t', '|'] as const;

/**
 * Splits one CSV record into its fields (RFC 4180: quoted fields, `""` for a quote, delimiters
 * and line breaks inside quotes). Returns null when the text is not exactly one record: an
 * unterminated quote, or a line break outside quotes.
 */
export function parseCsvRecord(text: string, delimiter: string): string[] | null {
  const record = text.replace(/\r?\n$/, '');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let index = 0;
  while (index < record.length) {
    const char = record.charAt(index);
    if (quoted) {
      if (char === '"' && record.charAt(index + 1) === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"' && field === '') {
      quoted = true;
    } else if (char === delimiter) {
      fields.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      return null;
    } else {
      field += char;
    }
    index += 1;
  }
  if (quoted) return null;
  fields.push(field);
  return fields;
}

/** A header cell or value written back as CSV, quoted only when it has to be. */
function csvCell(value: string, delimiter: string): string {
  return value.includes(delimiter) || value.includes('"') || /[\r\n]/.test(value)
    ? `"${value.replaceAll('"', '""')}"`
    : value;
}

/** One CSV line from cells, for showing the header as the file had it. */
export function csvLine(cells: readonly string[], delimiter: string): string {
  return cells.map((cell) => csvCell(cell, delimiter)).join(delimiter);
}

/** A raw row read against its header: the delimiter that gives as many fields as the header has. */
export interface SplitRecord {
  delimiter: string;
  fields: string[];
}

/**
 * Reads `raw` as one CSV record matching `header`. JSON records, and text that no delimiter
 * splits into the header's width, are left as they are (null).
 */
export function splitAgainstHeader(raw: string, header: readonly string[] | null): SplitRecord | null {
  if (header === null || header.length === 0) return null;
  const trimmed = raw.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return null;
  for (const delimiter of DELIMITERS) {
    const fields = parseCsvRecord(raw, delimiter);
    if (fields !== null && fields.length === header.length) return { delimiter, fields };
  }
  return null;
}

/** The raw record as field / value pairs, in the file's column order. */
export function FieldTable({ header, fields }: { header: readonly string[]; fields: readonly string[] }) {
  return (
    <div className="table-scroll tl-field-table">
      <table className="table" data-testid="event-source-fields">
        <caption className="sr-only">The source row, field by field</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {header.map((name, index) => (
            // Header names repeat in real exports (Mailchimp): the position is the identity.
            <tr key={index}>
              <th scope="row" className="tl-field-name">
                {name}
              </th>
              <td className="tl-field-value">{fields[index] ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
