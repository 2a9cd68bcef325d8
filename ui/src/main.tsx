import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { BackendContext, createQueryClient, tauriBackend } from './api';
import { App } from './App';
import './styles.css';
// Last, so its print rules win over every screen's own.
import './print.css';

const container = document.getElementById('root');
if (container === null) {
  throw new Error('index.html has no #root element');
}

/**
 * A bug that escapes every screen must not leave a blank window: say what happened in words
 * (built with the DOM, since React itself has given up at this point).
 */
function showFatalError(error: unknown): void {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const box = document.createElement('div');
  box.className = 'notice notice-error fatal-error';
  box.setAttribute('role', 'alert');
  box.dataset.testid = 'fatal-error';
  const title = document.createElement('p');
  title.className = 'notice-title';
  title.textContent = 'ConsentTrail hit an unexpected error and cannot show this screen.';
  const body = document.createElement('p');
  body.className = 'notice-body';
  body.textContent = message;
  const next = document.createElement('p');
  next.className = 'notice-code';
  next.textContent = 'Your data is safe in the local database. Restart ConsentTrail; if it happens again, report this message.';
  box.append(title, body, next);
  document.body.append(box);
}

/** The one cache of server state for the whole window. */
const queryClient = createQueryClient();

createRoot(container, { onUncaughtError: showFatalError }).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BackendContext value={tauriBackend}>
        <App />
      </BackendContext>
    </QueryClientProvider>
  </StrictMode>,
);
