import { useId } from 'react';

import type { FilePreview, ImportCatalog } from '../../api';
import { ColumnMapper } from './ColumnMapper';
import { formatBytes } from './format';
import { PreviewTable } from './PreviewTable';

/** Status words for each preview status: what the user can expect when importing. */
const STATUS_LABEL: Record<FilePreview['status'], string> = {
  ready: 'Ready',
  'already-imported': 'Already imported',
  'needs-mapping': 'Needs a column mapping',
  unreadable: 'Unreadable',
};

/**
 * One file as the engine will read it: status, detection, a system override, the first rows,
 * and the column mapper when no importer knows the layout.
 */
export function FilePreviewCard({
  preview,
  catalog,
  override,
  siblings,
  droppedName,
  onOverride,
  onMappingSaved,
}: {
  preview: FilePreview;
  catalog: ImportCatalog | null;
  /** The chosen system id, or '' for the detected one. */
  override: string;
  /** How many listed files came from the same dropped path (they share the override). */
  siblings: number;
  /** The name of the dropped folder or ZIP those files came from. */
  droppedName: string;
  onOverride: (system: string) => void;
  onMappingSaved: () => void;
}) {
  const id = useId();
  const detected = preview.system_name ?? preview.system ?? 'nothing recognised';
  return (
    <article className="card import-file" data-testid="import-preview-file" data-status={preview.status}>
      <header className="import-file-head">
        <h3 className="import-file-path mono" title={preview.path}>
          {preview.path}
        </h3>
        <span className={`badge import-status import-status-${preview.status}`}>{STATUS_LABEL[preview.status]}</span>
      </header>
      {preview.message !== null && (
        <p className={preview.status === 'unreadable' ? 'notice notice-error' : 'import-file-message'}>
          {preview.message}
        </p>
      )}
      <dl className="import-file-facts">
        <div>
          <dt>Detected system</dt>
          <dd>{detected}</dd>
        </div>
        <div>
          <dt>Encoding</dt>
          <dd>{preview.encoding ?? '—'}</dd>
        </div>
        <div>
          <dt>Size</dt>
          <dd title={`${String(preview.bytes)} bytes`}>{formatBytes(preview.bytes)}</dd>
        </div>
        <div>
          <dt>Saved mapping</dt>
          <dd>{preview.mapping_name ?? '—'}</dd>
        </div>
      </dl>

      <div className="import-file-system">
        <label htmlFor={`${id}-system`}>System</label>
        <select
          id={`${id}-system`}
          value={override}
          disabled={catalog === null}
          onChange={(event) => {
            onOverride(event.target.value);
          }}
        >
          <option value="">Detected: {detected}</option>
          {(catalog?.systems ?? []).map((system) => (
            <option key={system.id} value={system.id}>
              {system.name}
            </option>
          ))}
        </select>
        {siblings > 1 && (
          <span className="muted import-file-shared">
            Applies to all {siblings} files from {droppedName}
          </span>
        )}
      </div>

      {(preview.rows.length > 0 || preview.header !== null) && (
        <details className="import-file-rows">
          <summary>First rows, as ConsentTrail will read them</summary>
          <PreviewTable preview={preview} />
        </details>
      )}

      {preview.status === 'needs-mapping' &&
        override === '' &&
        (catalog === null ? (
          <p className="notice notice-warn">The list of fields could not be loaded, so this file cannot be mapped now.</p>
        ) : (
          <ColumnMapper preview={preview} catalog={catalog} onSaved={onMappingSaved} />
        ))}
    </article>
  );
}
