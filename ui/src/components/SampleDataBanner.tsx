import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';

import { resetForDatabaseSwitch, useBackend } from '../api';
import { ErrorNotice } from './ErrorNotice';
import './sampleData.css';

/** Whether the fictional demo database is open, and the switches back and forth. */
export interface SampleData {
  open: boolean;
  /** The open database's path once known (it changes with the switch); null: ask `appInfo`. */
  databasePath: string | null;
  /** Changes on every switch of database, so the screens can read the new one afresh. */
  generation: number;
  /** The demo database was opened (by the Import screen's "Try with sample data"). */
  opened: () => void;
  /** Switches back to the user's database; rejects with the backend's error. */
  leave: () => Promise<void>;
}

/**
 * The shell's view of the sample-data switch. A backend that cannot say which database is open
 * counts as the user's own: the shell's app-info error already reports a database that failed.
 */
export function useSampleData(): SampleData {
  const backend = useBackend();
  const client = useQueryClient();
  const [state, setState] = useState({ open: false, databasePath: null as string | null, generation: 0 });

  useEffect(() => {
    let live = true;
    backend.databaseInfo().then(
      (info) => {
        if (live) setState((s) => ({ ...s, open: info.sample_data, databasePath: info.database_path }));
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [backend]);

  // Another database is open: nothing cached was read from it.
  const opened = useCallback(() => {
    void resetForDatabaseSwitch(client);
    setState((s) => ({ open: true, databasePath: s.databasePath, generation: s.generation + 1 }));
    backend.databaseInfo().then(
      (info) => {
        setState((s) => ({ ...s, open: info.sample_data, databasePath: info.database_path }));
      },
      () => undefined,
    );
  }, [backend, client]);

  const leave = useCallback(async () => {
    const info = await backend.leaveSampleData();
    void resetForDatabaseSwitch(client);
    setState((s) => ({ open: info.sample_data, databasePath: info.database_path, generation: s.generation + 1 }));
  }, [backend, client]);

  return { ...state, opened, leave };
}

/**
 * On every screen while the demo database is open: what is shown is not the organisation's own
 * records, and one click goes back to them.
 */
export function SampleDataBanner({ onLeave }: { onLeave: () => Promise<void> }) {
  const [leaving, setLeaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const leave = async () => {
    setLeaving(true);
    setError(null);
    try {
      await onLeave();
    } catch (reason: unknown) {
      setError(reason);
      setLeaving(false);
    }
  };
  return (
    <section className="sample-banner" aria-label="Sample data" data-testid="sample-banner">
      <p>
        <strong>Sample data — not your organisation&apos;s records.</strong>{' '}
        <span className="sample-banner-detail">
          A fictional company&apos;s exports, in a separate demo database. Your own database is not touched.
        </span>
      </p>
      <button type="button" data-testid="leave-sample-data" disabled={leaving} onClick={() => void leave()}>
        {leaving ? 'Leaving…' : 'Leave sample data'}
      </button>
      {error !== null && <ErrorNotice error={error} title="Your database could not be reopened" />}
    </section>
  );
}
