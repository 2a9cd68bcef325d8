import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useId, useRef, useState } from 'react';

import { BackendError, invalidateData, queryKeys, useBackend, type Profile, type ProfileImportPreview } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { useLeaveGuard, type LeaveGuard } from '../leaveGuard';
import { ActivitiesSection, activityProblems } from './profile/ActivitiesSection';
import { CollectionPointsSection, collectionPointProblems } from './profile/CollectionPointsSection';
import { NoticesSection } from './profile/NoticesSection';
import { OrganisationSection } from './profile/OrganisationSection';
import { PolicySection } from './profile/PolicySection';
import { PurposesSection } from './profile/PurposesSection';
import { ThirdPartiesSection } from './profile/ThirdPartiesSection';
import './profile.css';

/** The profile as last loaded, tagged with the load it answers. */
type Loaded = { load: number; profile: Profile; error: null } | { load: number; profile: null; error: unknown };

/** The file name the save dialog proposes for an export. */
const EXPORT_NAME = 'consenttrail-profile.json';

/**
 * What the engine needs that a person types differently: a notice's plain date means midnight
 * UTC (the engine reads RFC 3339 only).
 */
export function normaliseForSave(profile: Profile): Profile {
  return {
    ...profile,
    notices: profile.notices.map((notice) =>
      /^\d{4}-\d{2}-\d{2}$/.test(notice.effective_from.trim())
        ? { ...notice, effective_from: `${notice.effective_from.trim()}T00:00:00Z` }
        : notice,
    ),
  };
}

/**
 * What stops a save before it reaches the engine: a collection point or an activity without what
 * identifies it, or repeating another (the engine accepts these but would never use the row).
 * One line per item, each message naming its field. The engine checks the rest (unknown purposes,
 * methods, kinds) and names the JSON path; the other inline notes are advice.
 */
export function blockingProblems(profile: Profile): string[] {
  const lines: string[] = [];
  collectionPointProblems(profile.collection_points, []).forEach(({ system, label }, index) => {
    const messages = [system, label].filter((message) => message !== undefined);
    if (messages.length > 0) lines.push(`Collection point ${String(index + 1)}: ${messages.join(' ')}`);
  });
  activityProblems(profile.activities, []).forEach(({ system, event }, index) => {
    const messages = [system, event].filter((message) => message !== undefined);
    if (messages.length > 0) lines.push(`Activity ${String(index + 1)}: ${messages.join(' ')}`);
  });
  return lines;
}

/** Leaving with unsaved edits waits for the user: `leave` goes on, `stay` keeps the edits. */
interface LeaveQuestion {
  leave: () => void;
  stay: () => void;
}

/** Profile editor: purposes, collection points, activities, notices, third parties, policy; import and export. */
export function ProfileScreen({ onGuard }: { onGuard?: (guard: LeaveGuard | null) => void }) {
  const backend = useBackend();
  const client = useQueryClient();
  const [load, setLoad] = useState(0);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [dirty, setDirty] = useState(false);
  const [question, setQuestion] = useState<LeaveQuestion | null>(null);
  const [busy, setBusy] = useState<'export' | 'preview' | 'import' | null>(null);
  // The preview and the token of the file it read (the import takes the same token).
  const [preview, setPreview] = useState<(ProfileImportPreview & { token: string }) | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [fileError, setFileError] = useState<{ title: string; error: unknown } | null>(null);

  useEffect(() => {
    let live = true;
    backend.getProfile().then(
      (profile) => {
        if (live) setLoaded({ load, profile, error: null });
      },
      (error: unknown) => {
        if (live) setLoaded({ load, profile: null, error });
      },
    );
    return () => {
      live = false;
    };
  }, [backend, load]);

  // Switching screens with unsaved edits asks first (the app shell calls this guard).
  const guard = useCallback<LeaveGuard>(
    (to, proceed) => {
      if (!dirty || to === 'profile') return true;
      setQuestion({ leave: proceed, stay: () => undefined });
      return false;
    },
    [dirty],
  );
  useLeaveGuard(onGuard, guard);

  // Closing the window with unsaved edits asks too; the listener exists only while there are any.
  useEffect(() => {
    if (!dirty) return;
    let stop: (() => void) | null = null;
    let current = true;
    backend
      .onCloseRequested(
        () =>
          new Promise<boolean>((resolve) => {
            setQuestion({
              leave: () => {
                resolve(true);
              },
              stay: () => {
                resolve(false);
              },
            });
          }),
      )
      .then(
        (unlisten) => {
          if (current) stop = unlisten;
          else unlisten();
        },
        // Without the listener the window closes as usual; the in-app guard still works.
        () => undefined,
      );
    return () => {
      current = false;
      stop?.();
    };
  }, [backend, dirty]);

  const exportProfile = async () => {
    setFileError(null);
    setDone(null);
    try {
      const target = await backend.pickProfileSavePath(EXPORT_NAME);
      if (target === null) return;
      setBusy('export');
      const written = await backend.exportProfile(target.token);
      setDone(`Saved profile exported to ${written.path}.`);
    } catch (reason: unknown) {
      setFileError({ title: 'The profile was not exported', error: reason });
    } finally {
      setBusy(null);
    }
  };

  const chooseImport = async () => {
    setFileError(null);
    setDone(null);
    setPreview(null);
    try {
      const file = await backend.pickProfileFile();
      if (file === null) return;
      setBusy('preview');
      setPreview({ ...(await backend.previewProfileImport(file.token)), token: file.token });
    } catch (reason: unknown) {
      setFileError({ title: 'The profile file cannot be imported', error: reason });
    } finally {
      setBusy(null);
    }
  };

  const confirmImport = async (chosen: ProfileImportPreview & { token: string }) => {
    setFileError(null);
    setBusy('import');
    try {
      const result = await backend.importProfile(chosen.token, chosen.sha256);
      setPreview(null);
      setDone(
        `Imported ${chosen.path}; ${String(result.events_rederived)} stored ${result.events_rederived === 1 ? 'event' : 'events'} re-derived, findings re-checked.`,
      );
      setLoad((current) => current + 1);
      // Stored events were re-derived and findings re-checked: everything derived is read again.
      void client.invalidateQueries({ queryKey: queryKeys.profile });
      void invalidateData(client);
    } catch (reason: unknown) {
      setFileError({ title: 'The profile was not imported', error: reason });
    } finally {
      setBusy(null);
    }
  };

  const reloading = loaded !== null && loaded.load !== load;
  return (
    <section className="screen profile-screen">
      <h2 className="screen-title">Profile</h2>
      <p className="muted">
        What the rules check against: your purposes and their lawful bases, where and how consent is collected, which
        source events use or disclose data, the notices people saw, the third parties you disclose to, and the policy
        thresholds. Saving re-derives the stored events and re-checks the findings.
      </p>
      <div className="toolbar profile-files" role="group" aria-label="Profile file">
        <button
          type="button"
          data-testid="profile-import"
          disabled={busy !== null || dirty || loaded?.profile == null}
          onClick={() => void chooseImport()}
        >
          {busy === 'preview' ? 'Reading…' : 'Import…'}
        </button>
        <button
          type="button"
          data-testid="profile-export"
          disabled={busy !== null || loaded?.profile == null}
          onClick={() => void exportProfile()}
        >
          {busy === 'export' ? 'Exporting…' : 'Export…'}
        </button>
        {dirty && (
          <span className="muted profile-hint" data-testid="profile-files-dirty">
            Export writes the saved profile; save or discard your changes before importing.
          </span>
        )}
      </div>
      {fileError !== null && <ErrorNotice error={fileError.error} title={fileError.title} />}
      {done !== null && (
        <p className="notice notice-ok" role="status" data-testid="profile-file-done">
          {done}
        </p>
      )}
      {preview !== null && (
        <ImportPreview
          preview={preview}
          importing={busy === 'import'}
          onConfirm={() => void confirmImport(preview)}
          onCancel={() => {
            setPreview(null);
          }}
        />
      )}
      {loaded === null && <p role="status">Loading the profile…</p>}
      {reloading && <p role="status">Reloading the saved profile…</p>}
      {loaded?.error != null && <ErrorNotice error={loaded.error} title="The profile could not be loaded" />}
      {loaded?.profile != null && (
        <ProfileEditor
          key={loaded.load}
          initial={loaded.profile}
          onDirtyChange={setDirty}
          onDiscard={() => {
            setLoad(load + 1);
          }}
        />
      )}
      {question !== null && (
        <LeaveDialog
          onKeep={() => {
            setQuestion(null);
            question.stay();
          }}
          onDiscard={() => {
            setQuestion(null);
            setDirty(false);
            question.leave();
          }}
        />
      )}
    </section>
  );
}

/** What importing the chosen file would change, with the choice to import it or not. */
function ImportPreview({
  preview,
  importing,
  onConfirm,
  onCancel,
}: {
  preview: ProfileImportPreview;
  importing: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const titleId = useId();
  return (
    <section className="card profile-import-preview" aria-labelledby={titleId} data-testid="profile-import-preview">
      <h3 id={titleId} className="card-title">
        Import {preview.path}?
      </h3>
      <p>
        Profile of {preview.organisation}, {preview.purposes} {preview.purposes === 1 ? 'purpose' : 'purposes'}. It
        replaces the saved profile; the stored events are re-derived and the findings re-checked.
      </p>
      {preview.changes.length === 0 ? (
        <p className="muted">It is the same as the saved profile.</p>
      ) : (
        <ul className="profile-changes" aria-label="What would change">
          {preview.changes.map((change) => (
            <li key={change}>{change}</li>
          ))}
        </ul>
      )}
      <div className="toolbar">
        <button
          type="button"
          className="primary"
          data-testid="profile-import-confirm"
          disabled={importing}
          onClick={onConfirm}
        >
          {importing ? 'Importing…' : 'Import and save'}
        </button>
        <button type="button" data-testid="profile-import-cancel" disabled={importing} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}

/** "Discard unsaved changes?": keep editing (the default, focused) or discard and leave. */
function LeaveDialog({ onKeep, onDiscard }: { onKeep: () => void; onDiscard: () => void }) {
  const titleId = useId();
  const keepRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    keepRef.current?.focus();
  }, []);
  return (
    <div className="profile-leave-backdrop">
      <div
        className="card profile-leave"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid="profile-leave-dialog"
        onKeyDown={(event) => {
          if (event.key === 'Escape') {
            event.stopPropagation();
            onKeep();
          }
        }}
      >
        <h2 className="card-title" id={titleId}>
          Discard unsaved changes?
        </h2>
        <p>Your edits to the profile have not been saved.</p>
        <div className="toolbar">
          <button type="button" ref={keepRef} className="primary" data-testid="profile-leave-keep" onClick={onKeep}>
            Keep editing
          </button>
          <button type="button" className="danger" data-testid="profile-leave-discard" onClick={onDiscard}>
            Discard
          </button>
        </div>
      </div>
    </div>
  );
}

/** The editor over one loaded profile; it is remounted (by key) when the profile is reloaded. */
function ProfileEditor({
  initial,
  onDiscard,
  onDirtyChange,
}: {
  initial: Profile;
  onDiscard: () => void;
  onDirtyChange: (dirty: boolean) => void;
}) {
  const backend = useBackend();
  const client = useQueryClient();
  const [draft, setDraft] = useState(initial);
  const [dirty, setDirty] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    onDirtyChange(dirty);
  }, [dirty, onDirtyChange]);

  /** Every section reports its part. */
  const change = <K extends keyof Profile>(part: K, value: Profile[K]) => {
    setDraft({ ...draft, [part]: value });
    setDirty(true);
    setSaved(null);
  };

  const save = async () => {
    setError(null);
    setSaved(null);
    const problems = blockingProblems(draft);
    if (problems.length > 0) {
      setError(new BackendError({ code: 'invalid_input', message: problems.join('\n') }));
      return;
    }
    setSaving(true);
    try {
      const toSave = normaliseForSave(draft);
      const result = await backend.saveProfile(toSave);
      setDraft(toSave);
      setDirty(false);
      // Stored events were re-derived and findings re-checked: everything derived is read again.
      void client.invalidateQueries({ queryKey: queryKeys.profile });
      void invalidateData(client);
      setSaved(
        `Saved; ${String(result.events_rederived)} stored ${result.events_rederived === 1 ? 'event' : 'events'} re-derived, findings re-checked.`,
      );
    } catch (reason: unknown) {
      setError(reason);
    } finally {
      setSaving(false);
    }
  };

  const purposeIds = draft.purposes.map((purpose) => purpose.id);
  return (
    <form
      className="profile-editor"
      aria-busy={saving}
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <OrganisationSection value={draft.organisation} onChange={(value) => { change('organisation', value); }} />
      <PurposesSection value={draft.purposes} onChange={(value) => { change('purposes', value); }} />
      <CollectionPointsSection
        value={draft.collection_points}
        noticeVersions={draft.notices.map((notice) => notice.version)}
        onChange={(value) => { change('collection_points', value); }}
      />
      <ActivitiesSection
        value={draft.activities}
        purposeIds={purposeIds}
        onChange={(value) => { change('activities', value); }}
      />
      <NoticesSection
        value={draft.notices}
        purposeIds={purposeIds}
        onChange={(value) => { change('notices', value); }}
      />
      <ThirdPartiesSection value={draft.third_parties} onChange={(value) => { change('third_parties', value); }} />
      <PolicySection value={draft.policy} onChange={(value) => { change('policy', value); }} />

      <div className="profile-actions" role="group" aria-label="Save or discard">
        {error !== null && <ErrorNotice error={error} title="The profile was not saved" />}
        {saved !== null && (
          <p className="notice notice-ok" role="status" data-testid="profile-saved">
            {saved}
          </p>
        )}
        <div className="toolbar">
          <button type="submit" className="primary" data-testid="profile-save" disabled={saving}>
            {saving ? 'Saving…' : 'Save'}
          </button>
          <button type="button" data-testid="profile-discard" disabled={saving || !dirty} onClick={onDiscard}>
            Discard changes
          </button>
          {dirty && <span className="muted profile-dirty">Unsaved changes</span>}
        </div>
      </div>
    </form>
  );
}
