import { useState } from 'react';

import { useBackend } from '../api';
import { ErrorNotice } from './ErrorNotice';

/**
 * Prints the screen as it is (filters, expanded findings) through the platform's print dialog;
 * `print.css` leaves out the navigation and the controls and lets tables run across pages.
 */
export function PrintButton({ testId, what }: { testId: string; what: string }) {
  const backend = useBackend();
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <button
        type="button"
        className="no-print"
        data-testid={testId}
        title={`Print ${what} (or save it as PDF from the print dialog)`}
        onClick={() => {
          setError(null);
          backend.printWindow().catch((reason: unknown) => {
            setError(reason);
          });
        }}
      >
        Print…
      </button>
      {error !== null && (
        <div className="no-print">
          <ErrorNotice error={error} title="The print dialog could not be opened" />
        </div>
      )}
    </>
  );
}
