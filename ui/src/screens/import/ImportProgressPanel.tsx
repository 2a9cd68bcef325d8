import { useId } from 'react';

import type { ImportProgress } from '../../api';
import { fileName, formatBytes, formatCount } from './format';

/** What a running import shows: where it is, how fast, and a way out. */
export interface RunningImport {
  progress: ImportProgress | null;
  rowsPerSecond: number | null;
  /** 1-based number of the `importFiles` call running, and how many there are. */
  run: number;
  runs: number;
  cancelling: boolean;
  /** Which file of the whole import is being read ("file 3 of 12"), once the engine said. */
  overall: { file: number; files: number } | null;
}

/** "file 3 of 12", for the panel and the navigation. */
export function overallText(overall: { file: number; files: number }): string {
  return `file ${formatCount(overall.file)} of ${formatCount(overall.files)}`;
}

/**
 * The running panel: which file of how many, a bar over the files and one over the current
 * file, rows read, speed, and Cancel.
 */
export function ImportProgressPanel({ running, onCancel }: { running: RunningImport; onCancel: () => void }) {
  const titleId = useId();
  const { progress, overall } = running;
  const auditing = progress?.phase === 'auditing';
  const checked = auditing && progress.bytes_total > 0 ? `: ${formatCount(progress.rows)} of ${formatCount(progress.bytes_total)} subjects` : '…';
  const label =
    progress === null ? 'Starting…' : auditing ? `Checking the rules${checked}` : `Reading ${fileName(progress.file)}`;
  return (
    <section className="card import-progress" data-testid="import-progress" aria-busy="true" aria-labelledby={titleId}>
      <h3 id={titleId} className="card-title">
        Importing
        {overall !== null && <span data-testid="import-overall-text"> {overallText(overall)}</span>}
        {running.runs > 1 && <span className="muted"> (run {running.run} of {running.runs})</span>}
      </h3>
      {overall !== null && (
        <progress
          className="progress import-overall-progress"
          data-testid="import-overall-progress"
          // Files finished, plus how far the current one is read.
          value={overall.file - 1 + fileFraction(progress)}
          max={overall.files}
          aria-label="Files imported"
          aria-valuetext={`Reading ${overallText(overall)}`}
        />
      )}
      <p role="status" className="import-progress-phase">
        {label}
      </p>
      {progress !== null && progress.bytes_total > 0 ? (
        <progress
          className="progress"
          value={progress.bytes_done}
          max={progress.bytes_total}
          aria-label={auditing ? 'Subjects checked by the rules' : 'Progress of the current file'}
        />
      ) : (
        <progress className="progress" aria-label={auditing ? 'Checking the rules' : 'Starting'} />
      )}
      {progress !== null && !auditing && (
        <dl className="import-progress-facts">
          <div>
            <dt>File</dt>
            <dd className="mono" title={progress.file}>
              {progress.file}
            </dd>
          </div>
          <div>
            <dt>Rows read</dt>
            <dd>{formatCount(progress.rows)}</dd>
          </div>
          <div>
            <dt>Speed</dt>
            <dd>{running.rowsPerSecond === null ? 'measuring…' : `${formatCount(running.rowsPerSecond)} rows/s`}</dd>
          </div>
          <div>
            <dt>Read</dt>
            <dd>
              {formatBytes(progress.bytes_done)} of {formatBytes(progress.bytes_total)}
            </dd>
          </div>
        </dl>
      )}
      <div className="toolbar">
        <button type="button" className="danger" data-testid="import-cancel" disabled={running.cancelling} onClick={onCancel}>
          {running.cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
        <span className="muted">Cancelling rolls back the file in progress; files already finished stay imported.</span>
      </div>
    </section>
  );
}

/** How much of the file being read is done (0 before the first message, 1 while auditing). */
function fileFraction(progress: ImportProgress | null): number {
  if (progress === null) return 0;
  if (progress.phase === 'auditing') return 1;
  return progress.bytes_total > 0 ? Math.min(1, progress.bytes_done / progress.bytes_total) : 0;
}
