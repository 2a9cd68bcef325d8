import { useState } from 'react';

import { useBackend, useImportCatalogQuery, type FilePreview, type ImportCatalog } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { FilePreviewCard } from './import/FilePreviewCard';
import { FirstRun, type SampleChoice } from './import/FirstRun';
import { useImportSession, type ImportSession } from './import/importSession';
import { ImportOptions } from './import/ImportOptions';
import { ImportProgressPanel } from './import/ImportProgressPanel';
import { ImportReportView } from './import/ImportReportView';
import type { SystemOverrides } from './import/plan';
import type { DroppedPaths } from './types';
import './import.css';

/** Import with its own session (the app passes the shell's session to `ImportView` instead). */
export function ImportScreen({
  dropped,
  onShowSubjects,
  sample,
}: {
  dropped: DroppedPaths | null;
  onShowSubjects: () => void;
  sample?: SampleChoice | undefined;
}) {
  const session = useImportSession(dropped);
  return <ImportView session={session} onShowSubjects={onShowSubjects} sample={sample} />;
}

/**
 * Import: drop or pick files, preview, map unknown layouts, import with progress; the report
 * offers `onShowSubjects`. What it shows is `session`, held by the app shell across screens.
 * With nothing dropped yet it lists the systems it reads and offers the sample data (`sample`).
 */
export function ImportView({
  session,
  onShowSubjects,
  sample,
}: {
  session: ImportSession;
  onShowSubjects: () => void;
  sample?: SampleChoice | undefined;
}) {
  const backend = useBackend();
  const catalog = useImportCatalog();
  const [pickError, setPickError] = useState<unknown>(null);
  const { request, shown, previews, previewing, overrides, options, running, outcome, filesFolded } = session;
  const filesPerDrop = countBy(previews, (file) => file.dropped_path);
  const droppedNames = new Map((shown?.request.files ?? []).map((file) => [file.token, file.name]));

  const pick = async (folders: boolean) => {
    setPickError(null);
    try {
      const files = await backend.pickPaths({ folders });
      if (files !== null && files.length > 0) session.preview(files);
    } catch (error: unknown) {
      setPickError(error);
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
      {previewing && request !== null && (
        <p role="status" className="import-reading">
          Reading {request.files.length === 1 ? request.files[0]?.name : `${String(request.files.length)} files and folders`}…
        </p>
      )}
      {shown !== null && shown.error !== null && <ErrorNotice error={shown.error} title="The files could not be read" />}

      {running !== null && <ImportProgressPanel running={running} onCancel={session.cancel} />}
      {session.cancelError !== null && (
        <ErrorNotice error={session.cancelError} title="The import could not be cancelled" />
      )}
      {outcome !== null && (
        <ImportReportView
          files={outcome.files}
          ending={outcome.ending}
          onImportAgain={session.startImport}
          onShowSubjects={onShowSubjects}
        />
      )}
      {previews.length > 0 && filesFolded && (
        <div className="toolbar">
          <button type="button" disabled={busy} onClick={() => { session.setFilesFolded(false); }}>
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
                droppedName={droppedNames.get(filePreview.dropped_path) ?? ''}
                onOverride={(system) => {
                  session.setOverrides({ ...overrides, [filePreview.dropped_path]: system });
                }}
                // Read the same paths again: files with this header now show the saved mapping.
                onMappingSaved={session.reread}
              />
            ))}
          </fieldset>
          <ImportOptions value={options} disabled={busy} onChange={session.setOptions} />
          <ImportToolbar
            previews={previews}
            overrides={overrides}
            disabled={busy || previewing}
            finished={session.finished}
            onImport={session.startImport}
          />
        </>
      )}
      {request === null && running === null && outcome === null && previews.length === 0 && (
        <FirstRun catalog={catalog.catalog} sample={sample} />
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
  finished,
  onImport,
}: {
  previews: FilePreview[];
  overrides: SystemOverrides;
  disabled: boolean;
  /** The files were all imported: they are not offered again (a new drop or choice is). */
  finished: boolean;
  onImport: () => void;
}) {
  if (finished) {
    return (
      <div className="toolbar import-start-bar">
        <button type="button" className="primary" data-testid="import-start" disabled>
          Imported
        </button>
        <span className="muted" data-testid="import-finished">
          These files are imported (see the report above). Drop or choose files to import more.
        </span>
      </div>
    );
  }
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

/** The systems, fields and kinds the import screen offers, loaded once (then cached). */
function useImportCatalog(): { catalog: ImportCatalog | null; error: unknown } {
  const query = useImportCatalogQuery();
  return { catalog: query.data ?? null, error: query.error };
}
