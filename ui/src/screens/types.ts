/** Paths dropped on the window (or picked), handed to a screen. `seq` makes every drop new. */
export interface DroppedPaths {
  paths: string[];
  seq: number;
}

/** What the Evidence screen was asked to do when it opened. */
export type EvidenceRequest =
  | { kind: 'subject'; subjectId: number; label: string; seq: number }
  | { kind: 'verify'; path: string; seq: number };
