import { useState } from 'react';

import { useBackend, type FindingFilter, type FindingsExport } from '../../api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { countOf } from '../../format';

/** Today's date as `YYYY-MM-DD` (local), for the suggested file name. */
function today(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${String(now.getFullYear())}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/**
 * Exports the findings under `filter` (every one, not only the rows loaded) to a CSV or XLSX
 * file chosen in the save dialog: rule names, explanations, legal references and decisions, for
 * an officer's spreadsheet. The file is written by Rust; the webview only passes the dialog's token.
 */
export function ExportButton({ filter }: { filter: FindingFilter }) {
  const backend = useBackend();
  const [state, setState] = useState<
    { status: 'idle' } | { status: 'busy' } | { status: 'done'; result: FindingsExport } | { status: 'error'; error: unknown }
  >({ status: 'idle' });

  const exportTo = async () => {
    const target = await backend.pickExportPath(`findings-${today()}.xlsx`);
    if (target === null) return;
    setState({ status: 'busy' });
    try {
      setState({ status: 'done', result: await backend.exportFindings(filter, target.token) });
    } catch (error: unknown) {
      setState({ status: 'error', error });
    }
  };

  return (
    <>
      <button
        type="button"
        className="no-print"
        data-testid="findings-export"
        disabled={state.status === 'busy'}
        title="Export the findings matching these filters to a spreadsheet (XLSX or CSV)"
        onClick={() => {
          exportTo().catch((error: unknown) => {
            setState({ status: 'error', error });
          });
        }}
      >
        {state.status === 'busy' ? 'Exporting…' : 'Export…'}
      </button>
      {state.status === 'done' && (
        <span role="status" className="muted-inline no-print" data-testid="findings-export-result">
          Exported {countOf(state.result.rows, 'finding')} to {state.result.path}
        </span>
      )}
      {state.status === 'error' && (
        <div className="no-print">
          <ErrorNotice error={state.error} title="The findings could not be exported" />
        </div>
      )}
    </>
  );
}
