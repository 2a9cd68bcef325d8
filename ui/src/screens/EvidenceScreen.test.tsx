import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import {
  BackendError,
  type Backend,
  type ChosenFile,
  type PackProgress,
  type PackResult,
  type SubjectQuery,
  type SubjectSummary,
  type VerifyReport,
} from '../api';
import { fakeBackend } from '../test/fakeBackend';

/** The screen's backend: packs signed with the database's own key unless a test says otherwise. */
function evidenceBackend(methods: Partial<Backend> = {}): Backend {
  return fakeBackend({ signingKey: () => Promise.resolve(null), ...methods });
}
import { defaultPackName, EvidenceScreen } from './EvidenceScreen';
import type { EvidenceRequest } from './types';
import { TestBackend } from '../test/render';

const PACK: PackResult = {
  path: '/home/dpo/packs/ada.pdf',
  sha256: 'c0ffee'.padEnd(64, '1'),
  manifest_sha256: 'feed'.padEnd(64, '2'),
  pages: 14,
  signed_by: { subject: 'CN=Fernhill Outdoor Ltd (evidence packs),O=Fernhill Outdoor Ltd', sha256: 'ab'.repeat(32) },
};

const MATCHES: VerifyReport = {
  ok: true,
  differences: [],
  pack_id: 'pack-2024-05-01-0007',
  kind: 'subject',
  manifest_sha256: PACK.manifest_sha256,
  signature: null,
  checked: [],
  not_checked: [],
};

function renderEvidence(backend: Backend, request: EvidenceRequest | null) {
  const view = render(
    <TestBackend value={backend}>
      <EvidenceScreen request={request} />
    </TestBackend>,
  );
  return {
    ...view,
    rerenderWith: (next: EvidenceRequest | null) => {
      view.rerender(
        <TestBackend value={backend}>
          <EvidenceScreen request={next} />
        </TestBackend>,
      );
    },
  };
}

const ADA: EvidenceRequest = { kind: 'subject', subjectId: 7, label: 'ada@example.com', seq: 1 };

/** A save dialog that answers `files` in turn (the Rust side keeps the paths; the page gets tokens). */
function saveDialog(...files: ChosenFile[]) {
  const pick = vi.fn<Backend['pickSavePath']>();
  for (const file of files) pick.mockResolvedValueOnce(file);
  return pick;
}

/** Chooses where the pack goes with the Choose… button and waits for its name to show. */
async function choosePackFile(name: string) {
  fireEvent.click(screen.getByTestId('pack-choose'));
  await waitFor(() => {
    expect(screen.getByTestId('pack-path')).toHaveTextContent(name);
  });
}

describe('EvidenceScreen', () => {
  it('makes a subject pack to the file chosen in the save dialog and shows its hashes, then opens and verifies it', async () => {
    const makeSubjectPack = vi.fn(() => Promise.resolve(PACK));
    const openPath = vi.fn(() => Promise.resolve());
    const verifyPack = vi.fn(() => Promise.resolve(MATCHES));
    const pickSavePath = saveDialog({ token: 'tok-no-pdf', name: 'ada' }, { token: 'tok-ada', name: 'ada.pdf' });
    renderEvidence(evidenceBackend({ makeSubjectPack, openPath, verifyPack, pickSavePath }), ADA);

    expect(screen.getByTestId('pack-subject')).toHaveTextContent('ada@example.com');
    const make = screen.getByTestId('pack-make');
    expect(make).toBeDisabled();
    expect(screen.getByText('Choose where to save the pack.')).toBeInTheDocument();
    expect(screen.queryByRole('textbox', { name: 'Save the pack as' })).toBeNull();
    await choosePackFile('ada');
    expect(make).toBeDisabled();
    expect(screen.getByText('An evidence pack is a PDF: choose a file name ending in .pdf.')).toBeInTheDocument();
    await choosePackFile('ada.pdf');
    fireEvent.change(screen.getByLabelText('Case reference (optional)'), { target: { value: ' ICO RFA0123 ' } });
    expect(make).toBeEnabled();
    fireEvent.click(make);

    const result = await screen.findByTestId('pack-result');
    expect(makeSubjectPack).toHaveBeenCalledWith(7, 'tok-ada', 'ICO RFA0123');
    expect(screen.getByTestId('pack-result-path')).toHaveTextContent('/home/dpo/packs/ada.pdf');
    expect(screen.getByTestId('pack-result-sha256')).toHaveTextContent(PACK.sha256);
    expect(result).toHaveTextContent(PACK.manifest_sha256);
    expect(result).toHaveTextContent('14');

    fireEvent.click(within(result).getByRole('button', { name: 'Open' }));
    expect(openPath).toHaveBeenCalledWith('tok-ada');

    fireEvent.click(within(result).getByRole('button', { name: 'Verify' }));
    const verified = await screen.findByTestId('verify-result');
    expect(verifyPack).toHaveBeenCalledWith('tok-ada', expect.any(Function));
    expect(verified).toHaveAttribute('data-ok', 'true');
    expect(verified).toHaveTextContent('The pack matches the database: every event and finding it lists is unchanged');
    expect(verified).toHaveTextContent('pack-2024-05-01-0007');
    expect(screen.getByTestId('verify-path')).toHaveTextContent('ada.pdf');
  });

  it('sends no case reference when none was typed, and shows why a pack could not be made', async () => {
    const makeSubjectPack = vi.fn(() =>
      Promise.reject(new BackendError({ code: 'not_found', message: 'no subject with id 7' })),
    );
    const pickSavePath = saveDialog({ token: 'tok-ada', name: 'ada.PDF' });
    renderEvidence(evidenceBackend({ makeSubjectPack, pickSavePath }), ADA);
    await choosePackFile('ada.PDF');
    fireEvent.click(screen.getByTestId('pack-make'));
    expect(await screen.findByRole('alert')).toHaveTextContent('no subject with id 7');
    expect(makeSubjectPack).toHaveBeenCalledWith(7, 'tok-ada', null);
    expect(screen.queryByTestId('pack-result')).not.toBeInTheDocument();
  });

  it('finds the subject of a pack by any identifier, makes its pack, and lets another be chosen', async () => {
    const summary = (id: number, email: string): SubjectSummary => ({
      id,
      identifiers: [
        { id: id * 10, kind: 'email', value: email },
        { id: id * 10 + 1, kind: 'hubspot:record', value: String(5500 + id) },
      ],
      events: 12,
      systems: ['hubspot', 'mailchimp'],
      findings: 2,
      findings_high: 1,
      findings_medium: 1,
      findings_low: 0,
      names: [],
    });
    const listSubjects = vi.fn((query: SubjectQuery) =>
      Promise.resolve(
        query.search === 'soren'
          ? { total: 11, rows: [summary(41, 'soren.kierkegaard@example.dk'), summary(42, 'soren.lund@example.dk')] }
          : { total: 0, rows: [] },
      ),
    );
    const makeSubjectPack = vi.fn(() => Promise.resolve(PACK));
    const pickSavePath = saveDialog({ token: 'tok-soren', name: 'soren.pdf' });
    renderEvidence(evidenceBackend({ listSubjects, makeSubjectPack, pickSavePath }), null);
    fireEvent.click(screen.getByRole('radio', { name: /Subject pack/ }));
    expect(screen.getByTestId('pack-make')).toBeDisabled();
    expect(screen.getByText('Choose a subject first.')).toBeInTheDocument();

    fireEvent.change(screen.getByTestId('pack-subject-search'), { target: { value: 'nobody' } });
    expect(await screen.findByTestId('pack-subject-none')).toHaveTextContent('No subject has an identifier containing “nobody”');

    fireEvent.change(screen.getByTestId('pack-subject-search'), { target: { value: ' soren ' } });
    const options = await screen.findAllByTestId('pack-subject-option');
    expect(listSubjects).toHaveBeenLastCalledWith({ search: 'soren', sort: 'id', descending: false, limit: 8, offset: 0 });
    expect(options).toHaveLength(2);
    expect(options[1]).toHaveTextContent('soren.lund@example.dk · hubspot:record:5542 · 12 events · 2 findings');
    expect(screen.getByTestId('pack-subject-more')).toHaveTextContent('Showing 2 of 11 matching subjects');

    fireEvent.click(options[1] as HTMLElement);
    expect(screen.getByTestId('pack-subject')).toHaveTextContent('soren.lund@example.dk');
    expect(screen.queryByTestId('pack-subject-picker')).not.toBeInTheDocument();
    await choosePackFile('soren.pdf');
    fireEvent.click(screen.getByTestId('pack-make'));
    await screen.findByTestId('pack-result');
    expect(makeSubjectPack).toHaveBeenCalledWith(42, 'tok-soren', null);

    // Another subject: the picker again, and the last result is not shown as theirs.
    fireEvent.click(screen.getByTestId('pack-subject-change'));
    expect(screen.getByTestId('pack-subject-search')).toBeInTheDocument();
    expect(screen.queryByTestId('pack-result')).not.toBeInTheDocument();
    expect(screen.getByTestId('pack-make')).toBeDisabled();
  });

  it('makes an organisation pack to a chosen path, and offers a subject picker for subject packs', async () => {
    const pickSavePath = saveDialog({ token: 'tok-org', name: 'organisation-evidence.pdf' });
    let finish: (result: PackResult) => void = () => undefined;
    const makeOrganisationPack = vi.fn((_token: string, onProgress: (progress: PackProgress) => void) => {
      onProgress({ step: 1, steps: 4, label: 'checking the rules', done: 2500, total: 10000 });
      return new Promise<PackResult>((resolve) => {
        finish = resolve;
      });
    });
    renderEvidence(evidenceBackend({ pickSavePath, makeOrganisationPack }), null);

    fireEvent.click(screen.getByRole('radio', { name: /Subject pack/ }));
    expect(screen.getByTestId('pack-subject-search')).toBeInTheDocument();
    expect(screen.getByTestId('pack-make')).toBeDisabled();

    fireEvent.click(screen.getByRole('radio', { name: /Organisation pack/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Choose…' }));
    await waitFor(() => {
      expect(screen.getByTestId('pack-path')).toHaveTextContent('organisation-evidence.pdf');
    });
    expect(pickSavePath).toHaveBeenCalledWith('organisation-evidence.pdf');
    fireEvent.click(screen.getByTestId('pack-make'));
    const progress = await screen.findByTestId('pack-progress');
    expect(progress).toHaveTextContent('Step 1 of 4: checking the rules (2,500 of 10,000 subjects)');
    expect(progress.querySelector('progress')).toHaveAttribute('value', '2500');
    act(() => {
      finish({ ...PACK, path: '/home/dpo/packs/organisation-evidence.pdf' });
    });
    expect(await screen.findByTestId('pack-result-path')).toHaveTextContent('/home/dpo/packs/organisation-evidence.pdf');
    expect(screen.queryByTestId('pack-progress')).not.toBeInTheDocument();
    expect(makeOrganisationPack).toHaveBeenCalledWith('tok-org', expect.any(Function));
  });

  it('verifies a dropped pack at once and lists every difference', async () => {
    const verifyPack = vi.fn(() =>
      Promise.resolve<VerifyReport>({
        ok: false,
        differences: [
          { against: 'database', item: 'event 1042', detail: 'no longer in the database (its source was removed)' },
          { against: 'manifest', item: 'finding R2-7f3a', detail: 'decision changed from open to accepted' },
        ],
        pack_id: 'pack-2024-05-01-0007',
        kind: 'subject',
        manifest_sha256: PACK.manifest_sha256,
        signature: null,
        checked: [],
        not_checked: [],
      }),
    );
    renderEvidence(evidenceBackend({ verifyPack }), {
      kind: 'verify',
      file: { token: 'tok-dropped', name: 'ada.pdf' },
      seq: 4,
    });

    const result = await screen.findByTestId('verify-result');
    expect(verifyPack).toHaveBeenCalledWith('tok-dropped', expect.any(Function));
    expect(result).toHaveAttribute('data-ok', 'false');
    expect(result).toHaveTextContent('2 differences');
    const rows = within(screen.getByTestId('verify-differences')).getAllByRole('row');
    expect(rows[1]).toHaveTextContent('event 1042');
    expect(rows[1]).toHaveTextContent('no longer in the database (its source was removed)');
    expect(rows[2]).toHaveTextContent('finding R2-7f3a');
    expect(screen.getByTestId('verify-path')).toHaveTextContent('ada.pdf');
  });

  it("says whether the pack's signature is valid and who signed it", async () => {
    const signer = { subject: 'CN=Fernhill Outdoor Ltd,O=Fernhill Outdoor Ltd', sha256: 'ab'.repeat(32) };
    const verifyPack = vi
      .fn<Backend['verifyPack']>()
      .mockResolvedValueOnce({ ...MATCHES, signature: { valid: true, problem: null, signer } })
      .mockResolvedValueOnce({
        ...MATCHES,
        ok: false,
        signature: { valid: false, problem: 'the signed bytes were changed', signer },
      })
      .mockResolvedValueOnce(MATCHES);
    renderEvidence(evidenceBackend({ verifyPack }), { kind: 'verify', file: { token: 'tok-a', name: 'a.pdf' }, seq: 5 });

    await screen.findByTestId('verify-result');
    expect(screen.getByTestId('verify-signature')).toHaveTextContent(/^Valid$/);
    expect(screen.getByTestId('verify-signer')).toHaveTextContent('CN=Fernhill Outdoor Ltd,O=Fernhill Outdoor Ltd');
    expect(screen.getByTestId('verify-result')).toHaveTextContent('ab'.repeat(32));

    fireEvent.click(screen.getByTestId('verify-run'));
    await waitFor(() => {
      expect(screen.getByTestId('verify-signature')).toHaveTextContent('Not valid: the signed bytes were changed');
    });

    fireEvent.click(screen.getByTestId('verify-run'));
    await waitFor(() => {
      expect(screen.getByTestId('verify-signature')).toHaveTextContent('Not signed');
    });
    expect(screen.queryByTestId('verify-signer')).not.toBeInTheDocument();
  });

  it('verifies a pack chosen in the file dialog, and again on Verify; no path can be typed', async () => {
    const pickPaths = vi.fn(() => Promise.resolve([{ token: 'tok-chosen', name: 'chosen.pdf' }]));
    const verifyPack = vi.fn(() => Promise.resolve(MATCHES));
    renderEvidence(evidenceBackend({ pickPaths, verifyPack }), null);

    expect(screen.getByTestId('verify-run')).toBeDisabled();
    expect(screen.queryByRole('textbox')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Choose a pack…' }));
    await screen.findByTestId('verify-result');
    expect(pickPaths).toHaveBeenCalledWith({ folders: false, pdfOnly: true });
    expect(verifyPack).toHaveBeenLastCalledWith('tok-chosen', expect.any(Function));

    fireEvent.click(screen.getByTestId('verify-run'));
    await waitFor(() => {
      expect(verifyPack).toHaveBeenCalledTimes(2);
    });
    expect(verifyPack).toHaveBeenLastCalledWith('tok-chosen', expect.any(Function));
    expect(await screen.findByTestId('verify-result')).toHaveTextContent('chosen.pdf');
  });

  it('takes a new subject from a new request', async () => {
    const pickSavePath = saveDialog({ token: 'tok-ada', name: 'ada.pdf' });
    const { rerenderWith } = renderEvidence(evidenceBackend({ pickSavePath }), ADA);
    await choosePackFile('ada.pdf');
    rerenderWith({ kind: 'subject', subjectId: 9, label: 'Zoë Ångström', seq: 2 });
    expect(screen.getByTestId('pack-subject')).toHaveTextContent('Zoë Ångström');
    expect(screen.getByTestId('pack-path')).toHaveTextContent('No file chosen');
  });
});

describe('defaultPackName', () => {
  it('derives a safe file name from the subject label', () => {
    expect(defaultPackName({ subjectId: 7, label: 'ada@example.com', seq: 1 })).toBe('evidence-ada-example.com.pdf');
    expect(defaultPackName({ subjectId: 9, label: 'Zoë Ångström', seq: 1 })).toBe('evidence-zoe-angstrom.pdf');
    expect(defaultPackName({ subjectId: 3, label: '王小明', seq: 1 })).toBe('evidence-subject-3.pdf');
    expect(defaultPackName(null)).toBe('organisation-evidence.pdf');
  });
});

describe('EvidenceScreen signature', () => {
  it("signs with the database's key until an organisation certificate is chosen with its password", async () => {
    const ORG = { subject: 'CN=Example Org packs,O=Example Org', sha256: 'cd'.repeat(32) };
    const signingKey = vi.fn(() => Promise.resolve(null));
    const pickPaths = vi.fn(() => Promise.resolve([{ token: 'tok-p12', name: 'org.p12' }]));
    const setSigningKey = vi.fn((_token: string, password: string) =>
      password === 'right'
        ? Promise.resolve(ORG)
        : Promise.reject(new BackendError({ code: 'invalid_input', message: 'org.p12: wrong password?' })),
    );
    const clearSigningKey = vi.fn(() => Promise.resolve());
    renderEvidence(evidenceBackend({ signingKey, pickPaths, setSigningKey, clearSigningKey }), null);

    await waitFor(() => {
      expect(screen.getByTestId('signing-current')).toHaveTextContent("this database's own key");
    });
    fireEvent.click(screen.getByTestId('signing-choose'));
    await waitFor(() => {
      expect(screen.getByTestId('signing-password')).toBeInTheDocument();
    });
    expect(pickPaths).toHaveBeenCalledWith({ folders: false, certificate: true });
    expect(screen.getByTestId('signing-password')).toHaveAttribute('type', 'password');

    fireEvent.change(screen.getByTestId('signing-password'), { target: { value: 'wrong' } });
    fireEvent.click(screen.getByTestId('signing-use'));
    await waitFor(() => {
      expect(screen.getByText('The certificate could not be used')).toBeInTheDocument();
    });
    // The password field is emptied after each try.
    expect(screen.getByTestId('signing-password')).toHaveValue('');

    fireEvent.change(screen.getByTestId('signing-password'), { target: { value: 'right' } });
    fireEvent.click(screen.getByTestId('signing-use'));
    await waitFor(() => {
      expect(screen.getByTestId('signing-current')).toHaveTextContent('CN=Example Org packs');
    });
    expect(setSigningKey).toHaveBeenLastCalledWith('tok-p12', 'right');
    expect(screen.queryByTestId('signing-password')).toBeNull();

    fireEvent.click(screen.getByTestId('signing-reset'));
    await waitFor(() => {
      expect(screen.getByTestId('signing-current')).toHaveTextContent("this database's own key");
    });
    expect(clearSigningKey).toHaveBeenCalledTimes(1);
  });
});
