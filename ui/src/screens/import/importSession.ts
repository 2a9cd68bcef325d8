import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';

import { invalidateData, toIpcError, useBackend, type ChosenFile, type FilePreview, type FileReport } from '../../api';
import type { DroppedPaths } from '../types';
import type { RunningImport } from './ImportProgressPanel';
import type { ImportEnding } from './ImportReportView';
import { nextRate, planImport, type ImportOptionsValue, type RateSample, type SystemOverrides } from './plan';

/** One request to preview files (by token); a new object (even for the same files) reads them again. */
export interface PreviewRequest {
  files: ChosenFile[];
}

/** The answer to a preview request, tagged with it so a late answer to an old one is ignored. */
export type PreviewResult =
  | { request: PreviewRequest; previews: FilePreview[]; error: null }
  | { request: PreviewRequest; previews: null; error: unknown };

/** How an import run ended, with every file's report. */
export interface ImportOutcome {
  files: FileReport[];
  ending: ImportEnding;
}

/**
 * Everything the Import screen shows — the files previewed, the choices made, the running
 * import and its report — held by the app shell (`useImportSession` is called in `App`), so that
 * leaving Import mid-import and coming back shows the import still running, or its report, and a
 * drop is read once: returning does not offer it for import again.
 */
export interface ImportSession {
  request: PreviewRequest | null;
  /** The preview shown (null while nothing was read, or other paths are being read). */
  shown: PreviewResult | null;
  previews: FilePreview[];
  /** True while paths are read (the old cards stay up while the same paths are read again). */
  previewing: boolean;
  overrides: SystemOverrides;
  setOverrides: (overrides: SystemOverrides) => void;
  options: ImportOptionsValue;
  setOptions: (options: ImportOptionsValue) => void;
  running: RunningImport | null;
  cancelError: unknown;
  outcome: ImportOutcome | null;
  /** Once an import starts, progress and report matter most: the file cards fold away. */
  filesFolded: boolean;
  setFilesFolded: (folded: boolean) => void;
  /** True when the files shown were all imported (or already were): nothing left to import. */
  finished: boolean;
  /** Reads newly dropped or picked files; their choices and report replace the previous ones. */
  preview: (files: ChosenFile[]) => void;
  /** Reads the same paths again (after a mapping was saved). */
  reread: () => void;
  startImport: () => void;
  cancel: () => void;
}

/** The import session of the app; `dropped` is the latest drop on the window (a new `seq` is read). */
export function useImportSession(dropped: DroppedPaths | null): ImportSession {
  const backend = useBackend();
  const client = useQueryClient();
  const [seenDrop, setSeenDrop] = useState<number | null>(null);
  const [request, setRequest] = useState<PreviewRequest | null>(null);
  const [result, setResult] = useState<PreviewResult | null>(null);
  const [overrides, setOverrides] = useState<SystemOverrides>({});
  const [options, setOptions] = useState<ImportOptionsValue>({ timeZone: '', dateOrder: '' });
  const [running, setRunning] = useState<RunningImport | null>(null);
  const [cancelError, setCancelError] = useState<unknown>(null);
  const [outcome, setOutcome] = useState<ImportOutcome | null>(null);
  const [filesFolded, setFilesFolded] = useState(false);
  // Read only by handlers: a Cancel between two `importFiles` calls must stop the next one.
  const cancelRequested = useRef(false);

  const preview = (files: ChosenFile[]) => {
    setRequest({ files });
    setOverrides({});
    setOutcome(null);
    setFilesFolded(false);
  };

  // A drop on the window (a new `seq`) starts a preview; adjusting state while rendering
  // avoids a render of the old files first. The drop is read once, whichever screen is open.
  if (dropped !== null && dropped.seq !== seenDrop) {
    setSeenDrop(dropped.seq);
    preview(dropped.files);
  }

  useEffect(() => {
    if (request === null) return;
    let live = true;
    backend.previewFiles(request.files.map((file) => file.token)).then(
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
  const shown = result !== null && request !== null && result.request.files === request.files ? result : null;
  const previews = shown?.previews ?? [];

  const startImport = async () => {
    const plan = planImport(previews, overrides, options);
    cancelRequested.current = false;
    setCancelError(null);
    setOutcome(null);
    setFilesFolded(true);
    const files: FileReport[] = [];
    const finish = (ending: ImportEnding) => {
      setRunning(null);
      // Done, cancelled or failed: files finished before stay imported (and re-audited), so
      // everything derived from the data is read again.
      void invalidateData(client);
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
      // Files reported by the runs before this one come first in "file k of n".
      const filesBefore = files.length;
      setRunning({ progress: null, rowsPerSecond: null, run: index + 1, runs: plan.length, cancelling: false, overall: null });
      let speed: { sample: RateSample | null; rate: number | null } = { sample: null, rate: null };
      try {
        const report = await backend.importFiles(importRequest, (progress) => {
          speed = nextRate(speed.sample, speed.rate, progress, performance.now());
          const rowsPerSecond = speed.rate;
          const overall =
            progress.phase === 'importing' && progress.file_count > 0
              ? {
                  file: filesBefore + progress.file_number,
                  // The preview counted the files of every run; a run may find more (a folder that grew).
                  files: Math.max(previews.length, filesBefore + progress.file_count),
                }
              : null;
          setRunning((current) => current && { ...current, progress, rowsPerSecond, overall: overall ?? current.overall });
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

  const finished =
    outcome !== null &&
    outcome.ending.kind === 'done' &&
    outcome.files.length > 0 &&
    outcome.files.every((file) => file.status !== 'failed');

  return {
    request,
    shown,
    previews,
    previewing,
    overrides,
    setOverrides,
    options,
    setOptions,
    running,
    cancelError,
    outcome,
    filesFolded,
    setFilesFolded,
    finished,
    preview,
    reread: () => {
      if (request !== null) setRequest({ files: request.files });
    },
    startImport: () => void startImport(),
    cancel: () => void cancel(),
  };
}
