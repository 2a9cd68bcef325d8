import { useAppInfo, type AppInfoState } from './useAppInfo';

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

function WorkspaceDetails({ state }: { state: AppInfoState }) {
  switch (state.status) {
    case 'loading':
      return (
        <p className="muted" role="status" data-testid="app-info-loading">
          Opening the workspace…
        </p>
      );
    case 'error':
      return (
        <div className="notice notice-error" role="alert" data-testid="app-info-error">
          <p className="notice-title">The workspace could not be opened</p>
          <p className="notice-body">{state.error.message}</p>
          <p className="notice-code">Error code: {state.error.code}</p>
        </div>
      );
    case 'ready':
      return (
        <dl className="facts">
          <div className="fact">
            <dt>Engine version</dt>
            <dd data-testid="engine-version">{state.info.engineVersion}</dd>
          </div>
          <div className="fact">
            <dt>Database</dt>
            <dd className="mono" data-testid="database-path">
              {state.info.databasePath}
            </dd>
          </div>
        </dl>
      );
  }
}

/** The application shell: brand bar and the workspace status. Screens arrive in later work. */
export function App() {
  const state = useAppInfo();

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

      <main className="content">
        <section className="card" aria-labelledby="workspace-heading">
          <h2 id="workspace-heading" className="card-title">
            Workspace
          </h2>
          <p className="muted">
            Everything you import stays in this local database. ConsentTrail makes no network
            connections.
          </p>
          <WorkspaceDetails state={state} />
        </section>
      </main>
    </div>
  );
}
