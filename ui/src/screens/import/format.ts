/** Small display helpers shared by the Import and Sources screens. */

const UNITS = ['KB', 'MB', 'GB', 'TB'] as const;

/** A byte count people can read at a glance (`812 bytes`, `4.2 MB`); exact counts stay in titles. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${String(bytes)} bytes`;
  let value = bytes / 1024;
  let unit: string = UNITS[0];
  for (const next of UNITS.slice(1)) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${unit}`;
}

/** A whole number with thousands separators, independent of the machine's locale. */
export function formatCount(count: number): string {
  return Math.round(count)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * An RFC 3339 UTC instant as `2024-05-01 10:11:12 UTC`: compliance work is done in UTC, so the
 * zone is said rather than converted to the machine's local time. Anything else is shown as is.
 */
export function formatInstant(rfc3339: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:Z|\+00:00)$/.exec(rfc3339);
  if (match === null) return rfc3339;
  return `${match[1] ?? ''} ${match[2] ?? ''} UTC`;
}

/** The last segment of a path (`/a/b/calls.csv` → `calls.csv`, `x.zip!/y.csv` → `y.csv`). */
export function fileName(path: string): string {
  return path.split(/[/\\]/).filter((part) => part !== '').at(-1) ?? path;
}
