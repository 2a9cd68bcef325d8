import type { ChosenFile } from '../api';

/** Files dropped on the window (or picked), as tokens, handed to a screen. `seq` makes every drop new. */
export interface DroppedPaths {
  files: ChosenFile[];
  seq: number;
}

/** What the Evidence screen was asked to do when it opened. */
export type EvidenceRequest =
  | { kind: 'subject'; subjectId: number; label: string; seq: number }
  | { kind: 'verify'; file: ChosenFile; seq: number };
