import { useEffect, useId, useRef, useState } from 'react';
import { createKeybindingsHandler } from 'tinykeys';

/** The screens a `g` sequence switches to. */
export type ShortcutScreen = 'import' | 'subjects' | 'findings' | 'evidence' | 'profile';

/** Every shortcut, as the "?" overlay lists them (keys as typed, one after the other). */
export const SHORTCUTS: readonly { keys: readonly string[]; action: string }[] = [
  { keys: ['/'], action: 'Search (subjects, or the search on this screen)' },
  { keys: ['g', 's'], action: 'Go to Subjects' },
  { keys: ['g', 'f'], action: 'Go to Findings' },
  { keys: ['g', 'i'], action: 'Go to Import' },
  { keys: ['g', 'e'], action: 'Go to Evidence' },
  { keys: ['g', 'p'], action: 'Go to Profile' },
  { keys: ['j'], action: 'Next finding' },
  { keys: ['k'], action: 'Previous finding' },
  { keys: ['?'], action: 'Show these shortcuts' },
  { keys: ['Esc'], action: 'Close this list' },
];

/** The search field of the screen on show: the first search box in the main area. */
const SEARCH = 'main input[type="search"]';

/** Findings on the screen on show, in order: Findings' rows, or a timeline's cards. */
const FINDINGS = 'main [data-testid="finding-row"], main [data-testid="timeline-finding"]';

/** True while the user types into a field: letters then belong to the field, not to shortcuts. */
function typingInField(event: KeyboardEvent): boolean {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** Focuses (and selects) the screen's search field once it is on screen; gives up after ~1 s. */
function focusSearchWhenShown(): () => void {
  let tries = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const attempt = () => {
    const field = document.querySelector<HTMLInputElement>(SEARCH);
    if (field !== null) {
      field.focus();
      field.select();
    } else if (tries < 20) {
      tries += 1;
      timer = setTimeout(attempt, 50);
    }
  };
  attempt();
  return () => {
    if (timer !== null) clearTimeout(timer);
  };
}

/**
 * Moves the focus to the next (`step` 1) or previous (-1) finding on screen, from the one that
 * holds the focus; from none, to the first (or the last going back). A Findings row is focused
 * on its expand button (Enter opens it), a timeline card as a whole.
 */
export function moveToFinding(step: 1 | -1): void {
  const findings = [...document.querySelectorAll<HTMLElement>(FINDINGS)];
  if (findings.length === 0) return;
  const active = document.activeElement;
  const current = findings.findIndex((finding) => active !== null && finding.contains(active));
  const next =
    current === -1 ? (step === 1 ? 0 : findings.length - 1) : Math.min(findings.length - 1, Math.max(0, current + step));
  const finding = findings[next];
  if (finding === undefined) return;
  const target = finding.querySelector<HTMLElement>('[data-testid="finding-expand"]') ?? finding;
  // Focusing scrolls the finding into view.
  target.focus();
}

/**
 * The app's keyboard shortcuts (tinykeys: `g s` is g then s), listened for on the window.
 * Keys typed into a field are left to the field, except Escape. Returns whether the overlay
 * listing them is open, and how to close it.
 */
export function useShortcuts(navigate: (screen: ShortcutScreen) => void) {
  const [helpOpen, setHelpOpen] = useState(false);
  const navigateRef = useRef(navigate);
  useEffect(() => {
    navigateRef.current = navigate;
  }, [navigate]);

  useEffect(() => {
    let stopFocusing: (() => void) | null = null;
    const go = (screen: ShortcutScreen) => (event: KeyboardEvent) => {
      event.preventDefault();
      setHelpOpen(false);
      navigateRef.current(screen);
    };
    const search = (event: KeyboardEvent) => {
      event.preventDefault();
      setHelpOpen(false);
      // A screen without a search box: the subjects' search is the one meant.
      if (document.querySelector(SEARCH) === null) navigateRef.current('subjects');
      stopFocusing?.();
      stopFocusing = focusSearchWhenShown();
    };
    const help = (event: KeyboardEvent) => {
      event.preventDefault();
      setHelpOpen(true);
    };
    // "/" and "?" need Shift on many layouts (German: Shift+7, Shift+ß): both forms are bound.
    const handler = createKeybindingsHandler({
      '/': search,
      'Shift+/': search,
      'g s': go('subjects'),
      'g f': go('findings'),
      'g i': go('import'),
      'g e': go('evidence'),
      'g p': go('profile'),
      j: (event) => {
        event.preventDefault();
        moveToFinding(1);
      },
      k: (event) => {
        event.preventDefault();
        moveToFinding(-1);
      },
      '?': help,
      'Shift+?': help,
      Escape: () => {
        setHelpOpen(false);
      },
    });
    const listener = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' && typingInField(event)) return;
      handler(event);
    };
    window.addEventListener('keydown', listener);
    return () => {
      window.removeEventListener('keydown', listener);
      stopFocusing?.();
    };
  }, []);

  return {
    helpOpen,
    openHelp: () => {
      setHelpOpen(true);
    },
    closeHelp: () => {
      setHelpOpen(false);
    },
  };
}

/** The "?" overlay: every shortcut; Escape, Close or a click outside closes it. */
export function ShortcutsOverlay({ onClose }: { onClose: () => void }) {
  const titleId = useId();
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    closeRef.current?.focus();
    // Keyboard users go back to where they were.
    return () => before?.focus();
  }, []);
  return (
    <div className="shortcuts-backdrop" onClick={onClose}>
      <div
        className="card shortcuts-overlay"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid="shortcuts-overlay"
        onClick={(event) => {
          event.stopPropagation();
        }}
      >
        <h2 className="card-title" id={titleId}>
          Keyboard shortcuts
        </h2>
        <table className="table shortcuts-table">
          <tbody>
            {SHORTCUTS.map(({ keys, action }) => (
              <tr key={action}>
                <td>
                  {keys.map((key, index) => (
                    <span key={key}>
                      {index > 0 && <span className="muted-inline"> then </span>}
                      <kbd>{key}</kbd>
                    </span>
                  ))}
                </td>
                <td>{action}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted-inline">Shortcuts wait while you type in a field; Esc always works.</p>
        <div className="toolbar">
          <span className="spacer" />
          <button type="button" ref={closeRef} onClick={onClose} data-testid="shortcuts-close">
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
