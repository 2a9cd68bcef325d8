import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { BackendContext, BackendError, type AppInfo, type Backend } from './api';
import { App } from './App';

/** A fake backend: the shell must work against the `Backend` interface alone. */
function fakeBackend(appInfo: () => Promise<AppInfo>): Backend {
  return { appInfo };
}

function renderShell(backend: Backend) {
  return render(
    <BackendContext value={backend}>
      <App />
    </BackendContext>,
  );
}

describe('App shell', () => {
  it('shows the product name, the engine version and the database path', async () => {
    renderShell(
      fakeBackend(() =>
        Promise.resolve({
          engineVersion: '9.8.7-test',
          databasePath: '/home/dpo/.local/share/ConsentTrail/consenttrail.db',
        }),
      ),
    );

    expect(screen.getByTestId('app-title')).toHaveTextContent('ConsentTrail');
    expect(await screen.findByTestId('engine-version')).toHaveTextContent('9.8.7-test');
    expect(screen.getByTestId('database-path')).toHaveTextContent(
      '/home/dpo/.local/share/ConsentTrail/consenttrail.db',
    );
  });

  it('says it is loading until the backend answers', () => {
    renderShell(fakeBackend(() => new Promise<AppInfo>(() => undefined)));

    expect(screen.getByTestId('app-info-loading')).toBeInTheDocument();
    expect(screen.queryByTestId('engine-version')).not.toBeInTheDocument();
  });

  it('shows a clear error when the database could not be opened', async () => {
    renderShell(
      fakeBackend(() =>
        Promise.reject(
          new BackendError({ code: 'database', message: 'not a ConsentTrail database: /tmp/x.db' }),
        ),
      ),
    );

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('not a ConsentTrail database: /tmp/x.db');
    expect(alert).toHaveTextContent('database');
  });
});
