import type { DateOrder, FilePreview, ImportProgress, ImportRequest } from '../../api';

/** The run-wide options the user sets above the file list. */
export interface ImportOptionsValue {
  /** IANA zone for times written without an offset; empty = the profile's zones (UTC if none). */
  timeZone: string;
  /** Empty = let the engine decide per column (it asks when a column cannot tell). */
  dateOrder: DateOrder | '';
}

/** System override per dropped file's token; a missing key means "use what was detected". */
export type SystemOverrides = Record<string, string>;

/**
 * One `importFiles` call per system override. The engine imports dropped paths (a folder or ZIP
 * is one path), so an override belongs to a dropped path, and each path lands in exactly one
 * group. Groups keep the order in which the files were listed.
 */
export function planImport(
  previews: FilePreview[],
  overrides: SystemOverrides,
  options: ImportOptionsValue,
): ImportRequest[] {
  const groups = new Map<string, string[]>();
  for (const preview of previews) {
    const system = overrides[preview.dropped_path] ?? '';
    const tokens = groups.get(system) ?? [];
    if (!tokens.includes(preview.dropped_path)) tokens.push(preview.dropped_path);
    groups.set(system, tokens);
  }
  const zone = options.timeZone.trim();
  return [...groups].map(([system, tokens]) => ({
    tokens,
    system: system === '' ? null : system,
    ...(zone === '' ? {} : { assume_tz: { '*': zone } }),
    date_order: options.dateOrder === '' ? null : options.dateOrder,
  }));
}

/** The last progress message used to measure speed. */
export interface RateSample {
  file: string;
  rows: number;
  atMs: number;
}

/** Rows per second, measured over at least this long, so bursts of messages do not jitter. */
const RATE_WINDOW_MS = 250;

/**
 * Rows per second from successive progress messages: the change in rows over the time between
 * samples, smoothed so the figure is steady enough to read. A new file starts a new measurement.
 */
export function nextRate(
  sample: RateSample | null,
  rate: number | null,
  progress: ImportProgress,
  nowMs: number,
): { sample: RateSample | null; rate: number | null } {
  const fresh = { file: progress.file, rows: progress.rows, atMs: nowMs };
  if (sample === null || sample.file !== progress.file || progress.rows < sample.rows) {
    return { sample: fresh, rate: null };
  }
  const elapsedMs = nowMs - sample.atMs;
  if (elapsedMs < RATE_WINDOW_MS) return { sample, rate };
  const measured = ((progress.rows - sample.rows) * 1000) / elapsedMs;
  return { sample: fresh, rate: rate === null ? measured : rate * 0.6 + measured * 0.4 };
}

/** Engine messages about ambiguous slash dates: these are fixed by the date-order option. */
export function mentionsDateOrder(message: string): boolean {
  return /date order|day\/month|month\/day|day-first|month-first|--date-format/i.test(message);
}
