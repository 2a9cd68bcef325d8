import { toIpcError, type IpcError } from '../api';

/** What a person can do about each kind of failure. */
const NEXT_STEP: Record<IpcError['code'], string> = {
  database:
    'Check that the database file is a ConsentTrail database and that the disk is writable, then restart ConsentTrail.',
  invalid_input: 'Correct what the message names and try again.',
  not_found: 'It may have been removed by another action; refresh the screen.',
  cancelled: 'Nothing from the cancelled file was kept. Start again when ready.',
  internal: 'This is a bug in ConsentTrail. Please report the message above.',
  forbidden_path: 'Drop the file on the window or choose it again with Choose….',
};

/** A failure in words, with what to do next. Accepts anything a backend call rejected with. */
export function ErrorNotice({ error, title }: { error: unknown; title: string }) {
  const ipc = toIpcError(error);
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">{title}</p>
      <p className="notice-body">{ipc.message}</p>
      <p className="notice-code">{NEXT_STEP[ipc.code]}</p>
    </div>
  );
}
