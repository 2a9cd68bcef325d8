import { useEffect, useRef, useState } from 'react';

import { toIpcError, useBackend, type FilePreview, type FileReport, type ImportCatalog } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { FilePreviewCard } from './import/FilePreviewCard';
import { ImportOptions } from './import/ImportOptions';
import { ImportProgressPanel, type RunningImport } from './import/ImportProgressPanel';
import { ImportReportView, type ImportEnding } from './import/ImportReportView';
import { nextRate, planImport, type ImportOptionsValue, type RateSample, type SystemOverrides } from './import/plan';
import type { DroppedPaths } from './types';
import './import.css';

/** One request to preview paths; a new object (even for the same paths) reads them again. */
interface PreviewRequest {
  paths: string[];
}

/** The answer to a preview request, tagged with it so a late answer to an old one is ignored. */
type PreviewResult =
  | { request: PreviewRequest; previews: FilePreview[]; error: null }
  | { request: PreviewRequest; previews: null; error: unknown };

/** Import: drop or pick files, preview, map unknown layouts, import with progress; the report offers `onShowSubjects`. */
export function ImportScreen({ dropped, onShowSubjects }: { dropped: DroppedPaths | null; onShowSubjects: () => void }) {
  const backend = useBackend();
  const catalog = useImportCatalog();
  const [seenDrop, setSeenDrop] = useState<number | null>(null);
  const [request, setRequest] = useState<PreviewRequest | null>(null);
  const [result, setResult] = useState<PreviewResult | null>(null);
  const [overrides, setOverrides] = useState<SystemOverrides>({});
  const [options, setOptions] = useState<ImportOptionsValue>({ timeZone: '', dateOrder: '' });
  const [pickError, setPickError] = useState<unknown>(null);
  const [running, setRunning] = useState<RunningImport | null>(null);
  const [cancelError, setCancelError] = useState<unknown>(null);
  const [outcome, setOutcome] = useState<{ files: FileReport[]; ending: ImportEnding } | null>(null);
  // Once an import starts, progress and report matter most: the file cards fold away.
  const [filesFolded, setFilesFolded] = useState(false);
  // Read only by handlers: a Cancel between two `importFiles` calls must stop the next one.
  const cancelRequested = useRef(false);

  /** A new set of paths replaces the previous one: its choices and report no longer apply. */
  const preview = (paths: string[]) => {
    setRequest({ paths });
    setOverrides({});
    setOutcome(null);
    setFilesFolded(false);
  };

  // A drop on the window (a new `seq`) starts a preview; adjusting state while rendering
  // avoids a render of the old files first.
  if (dropped !== null && dropped.seq !== seenDrop) {
    setSeenDrop(dropped.seq);
    preview(dropped.paths);
  }

  useEffect(() => {
    if (request === null) return;
    let live = true;
    backend.previewFiles(request.paths).then(
      (previews) => {
        if (live) setResult({ request, previews, error: null });
      },
      (error: unknown) => {
        if (live) setResult({ request, previews: null, error });
      },
    );
    return () => {
      live = false;
    };
  }, [backend, request]);

  const previewing = request !== null && result?.request !== request;
  // While the same paths are read again (after a mapping was saved) the old cards stay up.
  const shown = result !== null && request !== null && result.request.paths === request.paths ? result : null;
  const previews = shown?.previews ?? [];
  const filesPerDrop = countBy(previews, (file) => file.dropped_path);

  const pick = async (folders: boolean) => {
    setPickError(null);
    try {
      const paths = await backend.pickPaths({ folders });
      if (paths !== null && paths.length > 0) preview(paths);
    } catch (error: unknown) {
      setPickError(error);
    }
  };

  const startImport = async () => {
    const plan = planImport(previews, overrides, options);
    cancelRequested.current = false;
    setCancelError(null);
    setOutcome(null);
    setFilesFolded(true);
    const files: FileReport[] = [];
    const finish = (ending: ImportEnding) => {
      setRunning(null);
      setOutcome({ files, ending });
      // A failed file usually needs an option or a mapping changed: show them again.
      if (files.some((file) => file.status === 'failed')) setFilesFolded(false);
    };
    // A function, not the field itself: the Cancel handler changes it while this loop awaits.
    const cancelledBetweenRuns = () => cancelRequested.current;
    for (const [index, importRequest] of plan.entries()) {
      if (cancelledBetweenRuns()) {
        finish({ kind: 'cancelled' });
        return;
      }
      setRunning({ progress: null, rowsPerSecond: null, run: index + 1, runs: plan.length, cancelling: false });
      let speed: { sample: RateSample | null; rate: number | null } = { sample: null, rate: null };
      try {
        const report = await backend.importFiles(importRequest, (progress) => {
          speed = nextRate(speed.sample, speed.rate, progress, performance.now());
          const rowsPerSecond = speed.rate;
          setRunning((current) => current && { ...current, progress, rowsPerSecond });
        });
        files.push(...report.files);
      } catch (error: unknown) {
        finish(toIpcError(error).code === 'cancelled' ? { kind: 'cancelled' } : { kind: 'failed', error });
        return;
      }
    }
    finish({ kind: 'done' });
  };

  const cancel = async () => {
    cancelRequested.current = true;
    setRunning((current) => current && { ...current, cancelling: true });
    try {
      await backend.cancelImport();
    } catch (error: unknown) {
      cancelRequested.current = false;
      setCancelError(error);
      setRunning((current) => current && { ...current, cancelling: false });
    }
  };

  const busy = running !== null;
  return (
    <section className="screen import-screen">
      <h2 className="screen-title">Import</h2>
      <div className="card import-drop">
        <p className="muted">
          Drop consent exports (CSV, JSON, JSONL or ZIP) or whole folders anywhere on this window, or choose them.
          Nothing is written until you choose Import.
        </p>
        <div className="toolbar">
          <button type="button" data-testid="import-pick-files" disabled={busy} onClick={() => void pick(false)}>
            Choose files…
          </button>
          <button type="button" data-testid="import-pick-folder" disabled={busy} onClick={() => void pick(true)}>
            Choose a folder…
          </button>
        </div>
      </div>
      {pickError !== null && <ErrorNotice error={pickError} title="The file chooser could not be opened" />}
      {catalog.error !== null && (
        <ErrorNotice error={catalog.error} title="The list of systems could not be loaded (overrides and mappings are unavailable)" />
      )}
      {previewing && (
        <p role="status" className="import-reading">
          Reading {request.paths.length === 1 ? request.paths[0] : `${String(request.paths.length)} paths`}…
        </p>
      )}
      {shown !== null && shown.error !== null && <ErrorNotice error={shown.error} title="The files could not be read" />}

      {running !== null && <ImportProgressPanel running={running} onCancel={() => void cancel()} />}
      {cancelError !== null && <ErrorNotice error={cancelError} title="The import could not be cancelled" />}
      {outcome !== null && (
        <ImportReportView
          files={outcome.files}
          ending={outcome.ending}
          onImportAgain={() => void startImport()}
          onShowSubjects={onShowSubjects}
        />
      )}
      {previews.length > 0 && filesFolded && (
        <div className="toolbar">
          <button type="button" disabled={busy} onClick={() => { setFilesFolded(false); }}>
            Show the {previews.length} {previews.length === 1 ? 'file' : 'files'} and import options
          </button>
        </div>
      )}
      {previews.length > 0 && !filesFolded && (
        <>
          <fieldset className="import-files" data-testid="import-preview" disabled={busy} aria-busy={previewing}>
            <legend className="sr-only">Files to import</legend>
            {previews.map((filePreview) => (
              <FilePreviewCard
                key={filePreview.path}
                preview={filePreview}
                catalog={catalog.catalog}
                override={overrides[filePreview.dropped_path] ?? ''}
                siblings={filesPerDrop.get(filePreview.dropped_path) ?? 1}
                onOverride={(system) => {
                  setOverrides({ ...overrides, [filePreview.dropped_path]: system });
                }}
                onMappingSaved={() => {
                  // Read the same paths again: files with this header now show the saved mapping.
                  if (request !== null) setRequest({ paths: request.paths });
                }}
              />
            ))}
          </fieldset>
          <ImportOptions value={options} disabled={busy} onChange={setOptions} />
          <ImportToolbar previews={previews} overrides={overrides} disabled={busy || previewing} onImport={() => void startImport()} />
        </>
      )}
      {shown !== null && shown.error === null && previews.length === 0 && (
        <p className="notice notice-warn">No files were found in what was dropped. Drop files, folders or ZIP archives.</p>
      )}

    </section>
  );
}

/** How many items share each key (files per dropped folder or archive). */
function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** The Import button and, beside it, what will happen to files that are not ready. */
function ImportToolbar({
  previews,
  overrides,
  disabled,
  onImport,
}: {
  previews: FilePreview[];
  overrides: SystemOverrides;
  disabled: boolean;
  onImport: () => void;
}) {
  const unmapped = previews.filter(
    (file) => file.status === 'needs-mapping' && (overrides[file.dropped_path] ?? '') === '',
  ).length;
  const unreadable = previews.filter((file) => file.status === 'unreadable').length;
  const notes = [
    ...(unmapped > 0 ? [`${String(unmapped)} still ${unmapped === 1 ? 'needs' : 'need'} a column mapping and will fail until mapped`] : []),
    ...(unreadable > 0 ? [`${String(unreadable)} unreadable will be reported as failed`] : []),
  ];
  return (
    <div className="toolbar import-start-bar">
      <button type="button" className="primary" data-testid="import-start" disabled={disabled} onClick={onImport}>
        Import {previews.length} {previews.length === 1 ? 'file' : 'files'}
      </button>
      {notes.length > 0 && <span className="muted">Of these, {notes.join('; ')}.</span>}
    </div>
  );
}

/** The systems, fields and kinds the import screen offers, loaded once. */
function useImportCatalog(): { catalog: ImportCatalog | null; error: unknown } {
  const backend = useBackend();
  const [state, setState] = useState<{ catalog: ImportCatalog | null; error: unknown }>({ catalog: null, error: null });
  useEffect(() => {
    let live = true;
    backend.importCatalog().then(
      (catalog) => {
        if (live) setState({ catalog, error: null });
      },
      (error: unknown) => {
        if (live) setState({ catalog: null, error });
      },
    );
    return () => {
      live = false;
    };
  }, [backend]);
  return state;
}
