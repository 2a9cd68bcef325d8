import { useEffect, useState } from 'react';

import { useBackend, type Profile } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { NoticesSection } from './profile/NoticesSection';
import { OrganisationSection } from './profile/OrganisationSection';
import { PolicySection } from './profile/PolicySection';
import { PurposesSection } from './profile/PurposesSection';
import { ThirdPartiesSection } from './profile/ThirdPartiesSection';
import './profile.css';

/** The profile as last loaded, tagged with the load it answers. */
type Loaded = { load: number; profile: Profile; error: null } | { load: number; profile: null; error: unknown };

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

/** Profile editor: purposes, notices, third parties, policy. */
export function ProfileScreen() {
  const backend = useBackend();
  const [load, setLoad] = useState(0);
  const [loaded, setLoaded] = useState<Loaded | null>(null);

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

  const reloading = loaded !== null && loaded.load !== load;
  return (
    <section className="screen profile-screen">
      <h2 className="screen-title">Profile</h2>
      <p className="muted">
        What the rules check against: your purposes and their lawful bases, the notices people saw, the third
        parties you disclose to, and the policy thresholds. Saving re-derives the stored events and re-checks the
        findings.
      </p>
      {loaded === null && <p role="status">Loading the profile…</p>}
      {reloading && <p role="status">Reloading the saved profile…</p>}
      {loaded?.error != null && <ErrorNotice error={loaded.error} title="The profile could not be loaded" />}
      {loaded?.profile != null && (
        <ProfileEditor
          key={loaded.load}
          initial={loaded.profile}
          onDiscard={() => {
            setLoad(load + 1);
          }}
        />
      )}
    </section>
  );
}

/** The editor over one loaded profile; it is remounted (by key) when the profile is reloaded. */
function ProfileEditor({ initial, onDiscard }: { initial: Profile; onDiscard: () => void }) {
  const backend = useBackend();
  const [draft, setDraft] = useState(initial);
  const [dirty, setDirty] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  /** Every section reports its part; collection points and activities pass through untouched. */
  const change = <K extends keyof Profile>(part: K, value: Profile[K]) => {
    setDraft({ ...draft, [part]: value });
    setDirty(true);
    setSaved(null);
  };

  const save = async () => {
    setSaving(true);
    setError(null);
    setSaved(null);
    try {
      const toSave = normaliseForSave(draft);
      const result = await backend.saveProfile(toSave);
      setDraft(toSave);
      setDirty(false);
      setSaved(
        `Saved; ${String(result.events_rederived)} stored ${result.events_rederived === 1 ? 'event' : 'events'} re-derived, findings re-checked.`,
      );
    } catch (reason: unknown) {
      setError(reason);
    } finally {
      setSaving(false);
    }
  };

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
      <NoticesSection
        value={draft.notices}
        purposeIds={draft.purposes.map((purpose) => purpose.id)}
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
          <button type="button" disabled={saving || !dirty} onClick={onDiscard}>
            Discard changes
          </button>
          {dirty && <span className="muted profile-dirty">Unsaved changes</span>}
        </div>
      </div>
    </form>
  );
}
