import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';

import { invalidateData, queryKeys, useBackend, type ChosenFile, type PackProgress, type PackResult, type VerifyReport } from '../api';
import { ErrorNotice } from '../components/ErrorNotice';
import { SigningPanel } from './evidence/SigningPanel';
import { SubjectPicker } from './evidence/SubjectPicker';
import type { EvidenceRequest } from './types';
import './evidence.css';

/** A long pack job's step and, within it, how far it is (the audit counts subjects). */
function PackProgressLine({ progress, testId }: { progress: PackProgress | null; testId: string }) {
  if (progress === null) return null;
  const counted = progress.total > 0;
  return (
    <div role="status" data-testid={testId} className="evidence-progress">
      <p className="muted">
        Step {progress.step} of {progress.steps}: {progress.label}
        {counted ? ` (${progress.done.toLocaleString('en-GB')} of ${progress.total.toLocaleString('en-GB')} subjects)` : '…'}
      </p>
      {counted ? (
        <progress className="progress" value={progress.done} max={progress.total} aria-label={progress.label} />
      ) : (
        <progress className="progress" aria-label={progress.label} />
      )}
    </div>
  );
}

/** The subject a pack is made for, as the timeline handed it over. */
interface PackSubject {
  subjectId: number;
  label: string;
  seq: number;
}

/** One verification to run; a new object runs it again, even for the same file. */
interface VerifyRequest {
  file: ChosenFile;
}

/** `Ada Lovelace <ada@example.com>` → `evidence-ada-lovelace-ada-example.com.pdf`: safe on every file system. */
export function defaultPackName(subject: PackSubject | null): string {
  if (subject === null) return 'organisation-evidence.pdf';
  const slug = subject.label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 60);
  return `evidence-${slug === '' ? `subject-${String(subject.subjectId)}` : slug}.pdf`;
}

/** Evidence: make a subject or organisation pack, open it, verify a pack. */
export function EvidenceScreen({
  request,
  onOpenSubject,
}: {
  request: EvidenceRequest | null;
  /** Opens the chosen subject's timeline (its Back returns here, with that subject chosen). */
  onOpenSubject?: (subject: { subjectId: number; label: string }) => void;
}) {
  const [seenSeq, setSeenSeq] = useState<number | null>(null);
  const [subject, setSubject] = useState<PackSubject | null>(null);
  const [verifyRequest, setVerifyRequest] = useState<VerifyRequest | null>(null);

  const verify = (file: ChosenFile) => {
    setVerifyRequest({ file });
  };

  // A new request (new seq) from the timeline or a dropped PDF; adjusted while rendering so
  // the screen never shows the previous subject first.
  if (request !== null && request.seq !== seenSeq) {
    setSeenSeq(request.seq);
    if (request.kind === 'subject') setSubject({ subjectId: request.subjectId, label: request.label, seq: request.seq });
    else verify(request.file);
  }

  return (
    <section className="screen evidence-screen">
      <h2 className="screen-title">Evidence</h2>
      <div className="evidence-panels">
        <MakePackPanel key={subject?.seq ?? 'none'} subject={subject} onVerify={verify} onOpenSubject={onOpenSubject} />
        <VerifyPanel request={verifyRequest} onVerify={verify} />
      </div>
      <SigningPanel />
    </section>
  );
}

/**
 * Makes a subject or organisation pack; remounted (by key) for each subject handed over. The
 * subject comes from a timeline's "Make evidence pack", or is found here with the picker.
 */
function MakePackPanel({
  subject: handedOver,
  onVerify,
  onOpenSubject,
}: {
  subject: PackSubject | null;
  onVerify: (file: ChosenFile) => void;
  onOpenSubject?: ((subject: { subjectId: number; label: string }) => void) | undefined;
}) {
  const backend = useBackend();
  const client = useQueryClient();
  const id = useId();
  const [subject, setSubject] = useState<PackSubject | null>(handedOver);
  const [kind, setKind] = useState<'subject' | 'organisation'>(handedOver === null ? 'organisation' : 'subject');
  const [caseReference, setCaseReference] = useState('');
  // Where the pack goes: chosen in the save dialog (the page holds only its token and name).
  const [target, setTarget] = useState<ChosenFile | null>(null);
  const [making, setMaking] = useState(false);
  const [progress, setProgress] = useState<PackProgress | null>(null);
  const [result, setResult] = useState<{ pack: PackResult; file: ChosenFile } | null>(null);
  const [error, setError] = useState<unknown>(null);

  const packSubject = kind === 'subject' ? subject : null;
  const blocked =
    kind === 'subject' && subject === null
      ? 'Choose a subject first.'
      : target === null
        ? 'Choose where to save the pack.'
        : target.name.toLowerCase().endsWith('.pdf')
          ? null
          : 'An evidence pack is a PDF: choose a file name ending in .pdf.';

  const choose = async () => {
    setError(null);
    try {
      const chosen = await backend.pickSavePath(defaultPackName(packSubject));
      if (chosen !== null) setTarget(chosen);
    } catch (reason: unknown) {
      setError(reason);
    }
  };

  const make = async () => {
    setMaking(true);
    setError(null);
    setResult(null);
    setProgress(null);
    try {
      if (target === null) return;
      const reference = caseReference.trim();
      const pack =
        packSubject === null
          ? await backend.makeOrganisationPack(target.token, setProgress)
          : await backend.makeSubjectPack(packSubject.subjectId, target.token, reference === '' ? null : reference);
      setResult({ pack, file: target });
      // A pack is logged; the organisation pack re-runs the audit first.
      void (packSubject === null
        ? invalidateData(client)
        : client.invalidateQueries({ queryKey: queryKeys.auditLog }));
    } catch (reason: unknown) {
      setError(reason);
    } finally {
      setMaking(false);
      setProgress(null);
    }
  };

  return (
    <section className="card evidence-panel" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="card-title">
        Make a pack
      </h3>
      <fieldset className="evidence-kind" disabled={making}>
        <legend>Kind of pack</legend>
        <label>
          <input type="radio" name={`${id}-kind`} checked={kind === 'subject'} onChange={() => { setKind('subject'); }} />
          Subject pack — the consent record of one person
        </label>
        <label>
          <input
            type="radio"
            name={`${id}-kind`}
            checked={kind === 'organisation'}
            onChange={() => { setKind('organisation'); }}
          />
          Organisation pack — an audit of the whole programme
        </label>
      </fieldset>

      {kind === 'subject' &&
        (subject === null ? (
          <SubjectPicker
            disabled={making}
            onPick={(picked) => {
              setSubject({ ...picked, seq: 0 });
              setResult(null);
            }}
          />
        ) : (
          <>
            <p className="evidence-subject">
              Subject: <strong data-testid="pack-subject">{subject.label}</strong>{' '}
              <button
                type="button"
                className="link-button"
                data-testid="pack-subject-change"
                disabled={making}
                onClick={() => {
                  setSubject(null);
                  setResult(null);
                }}
              >
                Choose another subject
              </button>
              {onOpenSubject !== undefined && (
                <>
                  {' · '}
                  <button
                    type="button"
                    className="link-button"
                    data-testid="pack-subject-timeline"
                    disabled={making}
                    onClick={() => {
                      onOpenSubject({ subjectId: subject.subjectId, label: subject.label });
                    }}
                  >
                    Open the timeline
                  </button>
                </>
              )}
            </p>
            <div className="evidence-field">
              <label htmlFor={`${id}-case`}>Case reference (optional)</label>
              <input
                id={`${id}-case`}
                value={caseReference}
                placeholder="e.g. ICO case RFA0123456"
                disabled={making}
                onChange={(event) => { setCaseReference(event.target.value); }}
              />
            </div>
          </>
        ))}

      <div className="evidence-field">
        <label htmlFor={`${id}-path`}>Save the pack as</label>
        <div className="evidence-path">
          <output id={`${id}-path`} data-testid="pack-path" className="mono">
            {target?.name ?? 'No file chosen'}
          </output>
          <button type="button" data-testid="pack-choose" disabled={making} onClick={() => void choose()}>
            Choose…
          </button>
        </div>
      </div>
      <div className="toolbar">
        <button
          type="button"
          className="primary"
          data-testid="pack-make"
          disabled={blocked !== null || making}
          aria-describedby={blocked === null ? undefined : `${id}-blocked`}
          onClick={() => void make()}
        >
          {making ? 'Making the pack…' : 'Make pack'}
        </button>
        {blocked !== null && (
          <span id={`${id}-blocked`} className="muted evidence-blocked">
            {blocked}
          </span>
        )}
        {making && (
          <span role="status" className="muted evidence-blocked">
            Writing the PDF; large packs take a while.
          </span>
        )}
      </div>
      {making && <PackProgressLine progress={progress} testId="pack-progress" />}
      {error !== null && <ErrorNotice error={error} title="The pack was not made" />}
      {result !== null && <PackResultCard result={result.pack} file={result.file} onVerify={onVerify} />}
    </section>
  );
}

/** The pack just written (to `file`): where, its hashes, and the next steps (open it, verify it). */
function PackResultCard({
  result,
  file,
  onVerify,
}: {
  result: PackResult;
  file: ChosenFile;
  onVerify: (file: ChosenFile) => void;
}) {
  const backend = useBackend();
  const [openError, setOpenError] = useState<unknown>(null);
  const open = async () => {
    setOpenError(null);
    try {
      await backend.openPath(file.token);
    } catch (reason: unknown) {
      setOpenError(reason);
    }
  };
  return (
    <div className="notice notice-ok evidence-result" data-testid="pack-result" role="status">
      <p className="notice-title">Pack written</p>
      <dl className="evidence-facts">
        <dt>File</dt>
        <dd className="mono" data-testid="pack-result-path">
          {result.path}
        </dd>
        <dt>SHA-256 of the file</dt>
        <dd className="mono" data-testid="pack-result-sha256">
          {result.sha256}
        </dd>
        <dt>Manifest SHA-256</dt>
        <dd className="mono">{result.manifest_sha256}</dd>
        <dt>Pages</dt>
        <dd>{result.pages}</dd>
        <dt>Signed by</dt>
        <dd data-testid="pack-result-signer">
          {result.signed_by.subject} <span className="mono">(certificate SHA-256 {result.signed_by.sha256})</span>
        </dd>
      </dl>
      <div className="toolbar">
        <button type="button" onClick={() => void open()}>
          Open
        </button>
        <button type="button" onClick={() => { onVerify(file); }}>
          Verify
        </button>
      </div>
      {openError !== null && <ErrorNotice error={openError} title="The pack could not be opened" />}
    </div>
  );
}

/** The answer to a verification, tagged with the request it answers. */
type Verified =
  | { request: VerifyRequest; report: VerifyReport; error: null }
  | { request: VerifyRequest; report: null; error: unknown };

/** Checks a pack: runs for each new request (chosen, dropped, or just made). */
function VerifyPanel({
  request,
  onVerify,
}: {
  request: VerifyRequest | null;
  onVerify: (file: ChosenFile) => void;
}) {
  const backend = useBackend();
  const id = useId();
  const [verified, setVerified] = useState<Verified | null>(null);
  const [pickError, setPickError] = useState<unknown>(null);
  const [progress, setProgress] = useState<PackProgress | null>(null);

  useEffect(() => {
    if (request === null) return;
    let live = true;
    const report = (next: PackProgress) => {
      if (live) setProgress(next);
    };
    backend.verifyPack(request.file.token, report).then(
      (report) => {
        if (live) setVerified({ request, report, error: null });
      },
      (error: unknown) => {
        if (live) setVerified({ request, report: null, error });
      },
    );
    return () => {
      live = false;
    };
  }, [backend, request]);

  const verifying = request !== null && verified?.request !== request;
  const current = verified !== null && verified.request === request ? verified : null;

  const choose = async () => {
    setPickError(null);
    try {
      const picked = await backend.pickPaths({ folders: false, pdfOnly: true });
      const [first] = picked ?? [];
      if (first !== undefined) onVerify(first);
    } catch (reason: unknown) {
      setPickError(reason);
    }
  };

  return (
    <section className="card evidence-panel" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="card-title">
        Verify a pack
      </h3>
      <p className="muted evidence-note">
        A pack carries its own integrity data: its manifest, and the manifest’s SHA-256 printed in the pack and in
        every page footer, so an auditor can check it without ConsentTrail. Verifying here checks the pack against its
        manifest and compares that manifest with this database.
      </p>
      <form
        className="evidence-field"
        onSubmit={(event) => {
          event.preventDefault();
          if (request !== null) onVerify(request.file);
        }}
      >
        <label htmlFor={`${id}-path`}>Pack to verify</label>
        <div className="evidence-path">
          <output id={`${id}-path`} data-testid="verify-path" className="mono">
            {request?.file.name ?? 'No pack chosen: choose one or drop it on the window'}
          </output>
          <button type="button" data-testid="verify-choose" onClick={() => void choose()}>
            Choose a pack…
          </button>
          <button type="submit" className="primary" data-testid="verify-run" disabled={request === null || verifying}>
            {verifying ? 'Verifying…' : 'Verify'}
          </button>
        </div>
      </form>
      {verifying && <p role="status">Verifying {request.file.name}…</p>}
      {verifying && <PackProgressLine progress={progress} testId="verify-progress" />}
      {pickError !== null && <ErrorNotice error={pickError} title="The file chooser could not be opened" />}
      {current?.error != null && <ErrorNotice error={current.error} title="The pack could not be verified" />}
      {current?.report != null && <VerifyResult name={current.request.file.name} report={current.report} />}
    </section>
  );
}

/** The PDF signature in words: valid, not valid (and why), or absent. */
function signatureText(report: VerifyReport): string {
  const signature = report.signature;
  if (signature === null) return 'Not signed';
  if (signature.valid) return 'Valid';
  return `Not valid${signature.problem === null ? '' : `: ${signature.problem}`}`;
}

/** Whether the pack still matches, and if not, exactly what differs. */
function VerifyResult({ name, report }: { name: string; report: VerifyReport }) {
  return (
    <div
      className={`notice ${report.ok ? 'notice-ok' : 'notice-error'} evidence-result`}
      data-testid="verify-result"
      data-ok={report.ok ? 'true' : 'false'}
      role="status"
    >
      <p className="notice-title">
        {report.ok
          ? 'The pack matches the database: every event and finding it lists is unchanged.'
          : `The pack does not match the database: ${String(report.differences.length)} ${
              report.differences.length === 1 ? 'difference' : 'differences'
            }.`}
      </p>
      <dl className="evidence-facts">
        <dt>Pack</dt>
        <dd className="mono">{name}</dd>
        <dt>Pack id</dt>
        <dd className="mono">{report.pack_id ?? 'not found in the file'}</dd>
        <dt>Kind</dt>
        <dd>{report.kind ?? '—'}</dd>
        <dt>Manifest SHA-256</dt>
        <dd className="mono">{report.manifest_sha256 ?? '—'}</dd>
        <dt>Signature</dt>
        <dd data-testid="verify-signature">{signatureText(report)}</dd>
        {report.signature?.signer && (
          <>
            <dt>Signed by</dt>
            <dd data-testid="verify-signer">{report.signature.signer.subject}</dd>
            <dt>Certificate SHA-256</dt>
            <dd className="mono">{report.signature.signer.sha256}</dd>
          </>
        )}
      </dl>
      {report.differences.length > 0 && (
        <div className="table-scroll evidence-differences">
          <table className="table" data-testid="verify-differences">
            <thead>
              <tr>
                <th scope="col">Compared with</th>
                <th scope="col">Item</th>
                <th scope="col">What differs</th>
              </tr>
            </thead>
            <tbody>
              {report.differences.map((difference, index) => (
                <tr key={index}>
                  <td>{difference.against}</td>
                  <td className="mono">{difference.item}</td>
                  <td>{difference.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
