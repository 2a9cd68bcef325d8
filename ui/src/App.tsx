import { useEffect, useRef, useState } from 'react';

import { useBackend } from './api';
import { ErrorNotice } from './components/ErrorNotice';
import { AuditLogScreen } from './screens/AuditLogScreen';
import { EvidenceScreen } from './screens/EvidenceScreen';
import { FindingsScreen } from './screens/FindingsScreen';
import { ImportScreen } from './screens/ImportScreen';
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

/** Where the user is. The timeline is reached from a subject; the others from the navigation. */
export type Route =
  | { screen: 'import' }
  | { screen: 'subjects' }
  | { screen: 'timeline'; subjectId: number }
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
function isPackDrop(paths: string[]): boolean {
  return paths.length > 0 && paths.every((path) => path.toLowerCase().endsWith('.pdf'));
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
  const sequence = useRef(0);
  const shortcuts = useShortcuts((screen) => {
    setRoute({ screen });
  });

  // Files or folders dropped anywhere on the window: Rust gets the paths and reads them.
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
          const [first] = event.paths;
          if (first !== undefined && isPackDrop(event.paths)) {
            setEvidence({ kind: 'verify', path: first, seq });
            setRoute({ screen: 'evidence' });
          } else if (event.paths.length > 0) {
            setDropped({ paths: event.paths, seq });
            setRoute({ screen: 'import' });
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
  }, [backend]);

  const openSubject = (subjectId: number) => {
    setRoute({ screen: 'timeline', subjectId });
  };

  const navScreen: NavScreen = route.screen === 'timeline' ? 'subjects' : route.screen;

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
                setRoute({ screen: item.screen });
              }}
            >
              {item.label}
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
                  {info.info.database_path}
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
              route={route}
              dropped={dropped}
              evidence={evidence}
              subjectListView={subjectListView}
              onSubjectListViewChange={setSubjectListView}
              onOpenSubject={openSubject}
              onNavigate={setRoute}
              onMakePack={(subjectId, label) => {
                sequence.current += 1;
                setEvidence({ kind: 'subject', subjectId, label, seq: sequence.current });
                setRoute({ screen: 'evidence' });
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

function Screen(props: {
  route: Route;
  dropped: DroppedPaths | null;
  evidence: EvidenceRequest | null;
  subjectListView: SubjectListView;
  onSubjectListViewChange: (view: SubjectListView) => void;
  onOpenSubject: (subjectId: number) => void;
  onNavigate: (route: Route) => void;
  onMakePack: (subjectId: number, label: string) => void;
}) {
  const { route } = props;
  switch (route.screen) {
    case 'import':
      return (
        <ImportScreen
          dropped={props.dropped}
          onShowSubjects={() => {
            props.onNavigate({ screen: 'subjects' });
          }}
        />
      );
    case 'subjects':
      return (
        <SubjectsScreen
          view={props.subjectListView}
          onViewChange={props.onSubjectListViewChange}
          onOpenSubject={props.onOpenSubject}
        />
      );
    case 'timeline':
      return (
        <TimelineScreen
          key={route.subjectId}
          subjectId={route.subjectId}
          onBack={() => {
            props.onNavigate({ screen: 'subjects' });
          }}
          onMakePack={props.onMakePack}
        />
      );
    case 'findings':
      return <FindingsScreen onOpenSubject={props.onOpenSubject} />;
    case 'evidence':
      return <EvidenceScreen request={props.evidence} />;
    case 'sources':
      return <SourcesScreen />;
    case 'profile':
      return <ProfileScreen />;
    case 'log':
      return <AuditLogScreen />;
  }
}
