import type { FilePreview } from '../../api';

/**
 * The first records exactly as the reader sees them (after encoding and delimiter detection),
 * so the user can check the columns before anything is written.
 */
export function PreviewTable({ preview }: { preview: FilePreview }) {
  if (preview.rows.length === 0 && preview.header === null) {
    return <p className="muted import-preview-empty">Nothing to show: no records were read.</p>;
  }
  if (preview.format === 'json') {
    return (
      <div className="import-preview-json">
        {preview.rows.map((row, index) => (
          <pre className="raw" key={index}>
            {row.join('\n')}
          </pre>
        ))}
      </div>
    );
  }
  const header = preview.header ?? [];
  return (
    <div className="table-scroll import-preview-table">
      <table className="table">
        {header.length > 0 && (
          <thead>
            <tr>
              {header.map((name, index) => (
                <th key={index} scope="col">
                  {name}
                </th>
              ))}
            </tr>
          </thead>
        )}
        <tbody>
          {preview.rows.map((row, rowIndex) => (
            <tr key={rowIndex}>
              {row.map((cell, cellIndex) => (
                <td key={cellIndex}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
