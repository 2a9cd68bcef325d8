import { useState } from 'react';

import { useBackend, type ImportCatalog, type ImportProgress } from '../../api';
import { ErrorNotice } from '../../components/ErrorNotice';
import '../../components/sampleData.css';

/** The shell's sample-data switch as the Import screen offers it. */
export interface SampleChoice {
  /** The demo database is already open (the banner offers to leave it). */
  open: boolean;
  /** Called once the sample data is imported (the shell shows the findings). */
  onOpened: () => void;
}

/** What the sample-data progress line says. */
function progressText(progress: ImportProgress | null): string {
  if (progress === null) return 'Preparing the demo database…';
  if (progress.phase === 'auditing') return 'Checking every rule over the sample…';
  return `Importing file ${String(progress.file_number)} of ${String(progress.file_count)}…`;
}

/**
 * The empty Import screen's help for a first run: the systems it reads and which file each
 * export is, and "Try with sample data" (a fictional organisation's exports, in a separate demo
 * database).
 */
export function FirstRun({ catalog, sample }: { catalog: ImportCatalog | null; sample?: SampleChoice | undefined }) {
  const backend = useBackend();
  const [loading, setLoading] = useState(false);
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const [error, setError] = useState<unknown>(null);

  const trySample = async () => {
    if (sample === undefined) return;
    setLoading(true);
    setProgress(null);
    setError(null);
    try {
      await backend.openSampleData(setProgress);
      sample.onOpened();
    } catch (reason: unknown) {
      setError(reason);
      setLoading(false);
    }
  };

  const systems = catalog?.systems ?? [];
  return (
    <section className="card first-run" aria-labelledby="first-run-title" data-testid="first-run">
      <h3 id="first-run-title">The exports ConsentTrail reads</h3>
      {systems.length > 0 && (
        <dl className="first-run-systems" data-testid="first-run-systems">
          {systems.map((system) => (
            <div key={system.id}>
              <dt>{system.name}</dt>
              <dd>{system.file ?? 'detected from its columns'}</dd>
            </div>
          ))}
        </dl>
      )}
      {sample !== undefined && !sample.open && (
        <div className="first-run-sample">
          <p>
            New to ConsentTrail? Try it on a fictional company&apos;s exports from seven systems: about fifty people
            and a finding of each kind. They go into a separate demo database — your own database is not touched —
            and one click leaves them.
          </p>
          <button
            type="button"
            className="primary"
            data-testid="try-sample-data"
            disabled={loading}
            onClick={() => void trySample()}
          >
            Try with sample data
          </button>
          {loading && (
            <p role="status" className="muted" data-testid="sample-progress">
              {progressText(progress)}
            </p>
          )}
          {error !== null && <ErrorNotice error={error} title="The sample data could not be opened" />}
        </div>
      )}
    </section>
  );
}
