import { useCallback, useEffect, useRef, useState, type Dispatch, type SetStateAction } from 'react';

import { useBackend, type ChosenFile } from './api';
import { ErrorNotice } from './components/ErrorNotice';
import { SampleDataBanner, useSampleData } from './components/SampleDataBanner';
import type { LeaveGuard } from './leaveGuard';
import { AuditLogScreen } from './screens/AuditLogScreen';
import { EvidenceScreen } from './screens/EvidenceScreen';
import { FindingsScreen, INITIAL_FINDINGS_VIEW, type FindingsView } from './screens/FindingsScreen';
import { useImportSession, type ImportSession } from './screens/import/importSession';
import { overallText } from './screens/import/ImportProgressPanel';
import { ImportView } from './screens/ImportScreen';
import { ProfileScreen } from './screens/ProfileScreen';
import { SourcesScreen } from './screens/SourcesScreen';
import { INITIAL_SUBJECT_LIST_VIEW, SubjectsScreen, type SubjectListView } from './screens/SubjectsScreen';
import { TimelineScreen } from './screens/TimelineScreen';
import type { DroppedPaths, EvidenceRequest } from './screens/types';
import { ShortcutsOverlay, useShortcuts } from './shortcuts';
import { useAppInfo } from './useAppInfo';

/** The brand mark: a shield with a check, drawn inline (no image request, CSP-friendly). */
function ShieldMark() {
  return (
    <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <path
        className="brand-mark-shield"
        d="M16 2.5 4.5 6.8v8.4c0 7.3 4.9 12.5 11.5 14.3 6.6-1.8 11.5-7 11.5-14.3V6.8L16 2.5Z"
      />
      <path className="brand-mark-check" d="m10.5 16.2 3.8 3.8 7.4-7.6" />
    </svg>
  );
}

/** The screens a subject's timeline is opened from; its Back returns there. */
export type TimelineOrigin = 'subjects' | 'findings' | 'evidence';

/** Where the user is. The timeline is reached from a subject; the others from the navigation. */
export type Route =
  | { screen: 'import' }
  | { screen: 'subjects' }
  | { screen: 'timeline'; subjectId: number; from: TimelineOrigin }
  | { screen: 'findings' }
  | { screen: 'evidence' }
  | { screen: 'sources' }
  | { screen: 'profile' }
  | { screen: 'log' };

type NavScreen = Exclude<Route['screen'], 'timeline'>;

const NAVIGATION: { screen: NavScreen; label: string }[] = [
  { screen: 'import', label: 'Import' },
  { screen: 'subjects', label: 'Subjects' },
  { screen: 'findings', label: 'Findings' },
  { screen: 'evidence', label: 'Evidence' },
  { screen: 'sources', label: 'Sources' },
  { screen: 'profile', label: 'Profile' },
  { screen: 'log', label: 'Audit log' },
];

/** A drop of nothing but PDFs is a pack to verify; anything else is something to import. */
function isPackDrop(files: ChosenFile[]): boolean {
  return files.length > 0 && files.every((file) => file.name.toLowerCase().endsWith('.pdf'));
}

/** The application: brand bar, navigation, the current screen, and window-wide file drops. */
export function App() {
  const backend = useBackend();
  const info = useAppInfo();
  const [route, setRoute] = useState<Route>({ screen: 'import' });
  const [dragging, setDragging] = useState(false);
  const [dropped, setDropped] = useState<DroppedPaths | null>(null);
  const [evidence, setEvidence] = useState<EvidenceRequest | null>(null);
  const [dropUnavailable, setDropUnavailable] = useState<unknown>(null);
  const [subjectListView, setSubjectListView] = useState<SubjectListView>(INITIAL_SUBJECT_LIST_VIEW);
  const [findingsView, setFindingsView] = useState<FindingsView>(INITIAL_FINDINGS_VIEW);
  // The import lives here, not in the Import screen: it keeps running (and its report stays)
  // while the user looks at other screens.
  const importSession = useImportSession(dropped);
  const sequence = useRef(0);
  // The fictional demo database, when open instead of the user's (a banner on every screen).
  const sample = useSampleData();
  // Filters chosen on one database mean nothing on the other: a switch starts them afresh.
  const resetViews = () => {
    setFindingsView(INITIAL_FINDINGS_VIEW);
    setSubjectListView(INITIAL_SUBJECT_LIST_VIEW);
  };
  // A screen with unsaved work (Profile) may hold a switch until the user decides.
  const leaveGuard = useRef<LeaveGuard | null>(null);
  const registerGuard = useCallback((guard: LeaveGuard | null) => {
    leaveGuard.current = guard;
  }, []);
  const navigate = useCallback((next: Route) => {
    const proceed = () => {
      setRoute(next);
    };
    if (leaveGuard.current === null || leaveGuard.current(next.screen, proceed)) proceed();
  }, []);
  const shortcuts = useShortcuts((screen) => {
    navigate({ screen });
  });

  // Files or folders dropped anywhere on the window: Rust keeps the paths, the page gets tokens.
  useEffect(() => {
    let stop: (() => void) | null = null;
    let current = true;
    void backend
      .onFileDrop((event) => {
        if (event.type === 'over') setDragging(true);
        else if (event.type === 'leave') setDragging(false);
        else {
          setDragging(false);
          sequence.current += 1;
          const seq = sequence.current;
          const [first] = event.files;
          if (first !== undefined && isPackDrop(event.files)) {
            setEvidence({ kind: 'verify', file: first, seq });
            navigate({ screen: 'evidence' });
          } else if (event.files.length > 0) {
            setDropped({ files: event.files, seq });
            navigate({ screen: 'import' });
          }
        }
      })
      .then(
        (unlisten) => {
          if (current) stop = unlisten;
          else unlisten();
        },
        (reason: unknown) => {
          if (current) setDropUnavailable(reason);
        },
      );
    return () => {
      current = false;
      stop?.();
    };
  }, [backend, navigate]);

  const openSubject = (subjectId: number, from: TimelineOrigin) => {
    navigate({ screen: 'timeline', subjectId, from });
  };

  // A timeline belongs to the screen it was opened from.
  const navScreen: NavScreen = route.screen === 'timeline' ? route.from : route.screen;

  return (
    <div className="shell">
      <header className="topbar">
        <div className="brand">
          <ShieldMark />
          <h1 className="brand-name" data-testid="app-title">
            ConsentTrail
          </h1>
        </div>
        <p className="brand-tagline">Consent evidence for the GDPR and UK GDPR</p>
      </header>

      <div className="body">
        <nav className="nav" aria-label="Screens">
          {NAVIGATION.map((item) => (
            <button
              key={item.screen}
              type="button"
              className="nav-item"
              data-testid={`nav-${item.screen}`}
              aria-current={navScreen === item.screen ? 'page' : undefined}
              onClick={() => {
                navigate({ screen: item.screen });
              }}
            >
              {item.label}
              {item.screen === 'import' && <ImportRunningBadge session={importSession} />}
            </button>
          ))}
          <div className="nav-footer">
            <button type="button" className="link-button" onClick={shortcuts.openHelp} data-testid="shortcuts-open">
              Keyboard shortcuts (?)
            </button>
            {info.status === 'ready' && (
              <>
                <div>
                  Engine <span data-testid="engine-version">{info.info.engine_version}</span>
                </div>
                <div data-testid="database-path" title="The local database; nothing leaves this machine.">
                  {sample.databasePath ?? info.info.database_path}
                </div>
              </>
            )}
            {info.status === 'loading' && (
              <span role="status" data-testid="app-info-loading">
                Opening the workspace…
              </span>
            )}
          </div>
        </nav>

        <main className="content">
          {sample.open && (
            <SampleDataBanner
              onLeave={async () => {
                await sample.leave();
                resetViews();
                navigate({ screen: 'import' });
              }}
            />
          )}
          {dropUnavailable !== null && (
            <ErrorNotice
              error={dropUnavailable}
              title="Dropping files on the window does not work in this session; use Choose files… on the Import screen"
            />
          )}
          {info.status === 'error' ? (
            <div data-testid="app-info-error">
              <ErrorNotice error={info.error} title="The workspace could not be opened" />
            </div>
          ) : (
            <Screen
              // A new database: every screen reads it afresh.
              key={sample.generation}
              route={route}
              evidence={evidence}
              subjectListView={subjectListView}
              onSubjectListViewChange={setSubjectListView}
              findingsView={findingsView}
              onFindingsViewChange={setFindingsView}
              importSession={importSession}
              onOpenSubject={openSubject}
              onNavigate={navigate}
              onGuard={registerGuard}
              sampleOpen={sample.open}
              onSampleOpened={() => {
                sample.opened();
                resetViews();
                navigate({ screen: 'findings' });
              }}
              onMakePack={(subjectId, label) => {
                sequence.current += 1;
                setEvidence({ kind: 'subject', subjectId, label, seq: sequence.current });
                navigate({ screen: 'evidence' });
              }}
              onOpenSubjectFromEvidence={(subjectId, label) => {
                // Back from the timeline finds the Evidence screen with this subject chosen.
                sequence.current += 1;
                setEvidence({ kind: 'subject', subjectId, label, seq: sequence.current });
                openSubject(subjectId, 'evidence');
              }}
            />
          )}
        </main>
      </div>
      {shortcuts.helpOpen && <ShortcutsOverlay onClose={shortcuts.closeHelp} />}
      {dragging && (
        <div className="drop-overlay" data-testid="drop-overlay">
          Drop consent exports to import them, or an evidence pack to verify it
        </div>
      )}
    </div>
  );
}

/** What a timeline's Back button names. */
const BACK_LABEL: Record<TimelineOrigin, string> = {
  subjects: 'subjects',
  findings: 'findings',
  evidence: 'evidence',
};

/** Beside "Import" in the navigation while an import runs: which file of how many. */
function ImportRunningBadge({ session }: { session: ImportSession }) {
  const { running } = session;
  if (running === null) return null;
  const where = running.overall === null ? 'starting' : overallText(running.overall);
  return (
    <span className="nav-badge" data-testid="nav-import-running" title={`Import running: ${where}`}>
      <span aria-hidden="true">{running.overall === null ? '…' : `${String(running.overall.file)}/${String(running.overall.files)}`}</span>
      <span className="sr-only">, import running: {where}</span>
    </span>
  );
}

function Screen(props: {
  route: Route;
  evidence: EvidenceRequest | null;
  subjectListView: SubjectListView;
  onSubjectListViewChange: (view: SubjectListView) => void;
  findingsView: FindingsView;
  onFindingsViewChange: Dispatch<SetStateAction<FindingsView>>;
  importSession: ImportSession;
  onOpenSubject: (subjectId: number, from: TimelineOrigin) => void;
  onNavigate: (route: Route) => void;
  onGuard: (guard: LeaveGuard | null) => void;
  sampleOpen: boolean;
  onSampleOpened: () => void;
  onMakePack: (subjectId: number, label: string) => void;
  onOpenSubjectFromEvidence: (subjectId: number, label: string) => void;
}) {
  const { route } = props;
  switch (route.screen) {
    case 'import':
      return (
        <ImportView
          session={props.importSession}
          onShowSubjects={() => {
            props.onNavigate({ screen: 'subjects' });
          }}
          sample={{ open: props.sampleOpen, onOpened: props.onSampleOpened }}
        />
      );
    case 'subjects':
      return (
        <SubjectsScreen
          view={props.subjectListView}
          onViewChange={props.onSubjectListViewChange}
          onOpenSubject={(subjectId) => {
            props.onOpenSubject(subjectId, 'subjects');
          }}
        />
      );
    case 'timeline':
      return (
        <TimelineScreen
          key={route.subjectId}
          subjectId={route.subjectId}
          backTo={BACK_LABEL[route.from]}
          onBack={() => {
            props.onNavigate({ screen: route.from });
          }}
          onMakePack={props.onMakePack}
        />
      );
    case 'findings':
      return (
        <FindingsScreen
          view={props.findingsView}
          onViewChange={props.onFindingsViewChange}
          onOpenSubject={(subjectId) => {
            props.onOpenSubject(subjectId, 'findings');
          }}
        />
      );
    case 'evidence':
      return (
        <EvidenceScreen
          request={props.evidence}
          onOpenSubject={(subject) => {
            props.onOpenSubjectFromEvidence(subject.subjectId, subject.label);
          }}
        />
      );
    case 'sources':
      return <SourcesScreen />;
    case 'profile':
      return <ProfileScreen onGuard={props.onGuard} />;
    case 'log':
      return <AuditLogScreen />;
  }
}
