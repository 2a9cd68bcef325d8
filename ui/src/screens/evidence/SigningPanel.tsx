import { useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';

import { queryKeys, useBackend, useSigningKeyQuery, type ChosenFile, type SigningKey } from '../../api';
import { ErrorNotice } from '../../components/ErrorNotice';

/**
 * Which certificate signs this session's packs (issue 13): the database's own self-signed key by
 * default, or the organisation's certificate from a PKCS#12 file the user picks, with its password.
 * The key is held in memory by the app for the session only; the password is sent once and not kept.
 */
export function SigningPanel() {
  const backend = useBackend();
  const id = useId();
  const query = useSigningKeyQuery();
  const client = useQueryClient();
  // Undefined while not known; the key chosen or cleared here is written into the cache.
  const current: SigningKey | null | undefined = query.data;
  const setCurrent = (key: SigningKey | null) => {
    client.setQueryData(queryKeys.signingKey, key);
  };
  const [file, setFile] = useState<ChosenFile | null>(null);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [actionError, setError] = useState<unknown>(null);
  const error = actionError ?? query.error;

  const choose = async () => {
    setError(null);
    try {
      const picked = await backend.pickPaths({ folders: false, certificate: true });
      const first = picked?.[0];
      if (first !== undefined) {
        setFile(first);
        setPassword('');
      }
    } catch (reason: unknown) {
      setError(reason);
    }
  };
  const use = async () => {
    if (file === null) return;
    setBusy(true);
    setError(null);
    try {
      setCurrent(await backend.setSigningKey(file.token, password));
      setFile(null);
    } catch (reason: unknown) {
      setError(reason);
    } finally {
      setPassword('');
      setBusy(false);
    }
  };
  const reset = async () => {
    setError(null);
    try {
      await backend.clearSigningKey();
      setCurrent(null);
    } catch (reason: unknown) {
      setError(reason);
    }
  };

  return (
    <div className="evidence-signing" data-testid="signing-panel">
      <h3>Signature</h3>
      {current === null && (
        <p data-testid="signing-current">
          Packs are signed with this database's own key (a self-signed certificate naming the organisation).
        </p>
      )}
      {current !== null && current !== undefined && (
        <p data-testid="signing-current">
          Packs are signed with <strong>{current.subject}</strong>{' '}
          <span className="mono">(SHA-256 {current.sha256.slice(0, 16)}…)</span>
        </p>
      )}
      <div className="toolbar">
        <button type="button" onClick={() => void choose()} data-testid="signing-choose">
          Use the organisation's certificate (.p12 / .pfx)…
        </button>
        {current !== null && current !== undefined && (
          <button type="button" onClick={() => void reset()} data-testid="signing-reset">
            Sign with the database's key
          </button>
        )}
      </div>
      {file !== null && (
        <form
          className="evidence-signing-password"
          onSubmit={(event) => {
            event.preventDefault();
            void use();
          }}
        >
          <p className="mono">{file.name}</p>
          <label htmlFor={`${id}-password`}>Password of the certificate file</label>
          <input
            id={`${id}-password`}
            type="password"
            autoComplete="off"
            value={password}
            onChange={(event) => {
              setPassword(event.target.value);
            }}
            data-testid="signing-password"
          />
          <button type="submit" disabled={busy} data-testid="signing-use">
            Use this certificate
          </button>
        </form>
      )}
      {error !== null && <ErrorNotice error={error} title="The certificate could not be used" />}
    </div>
  );
}
