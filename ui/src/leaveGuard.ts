import { useEffect } from 'react';

/**
 * Asked before the app switches to the screen `to`: true to switch now; false when the screen on
 * show keeps the user (it asks, and calls `proceed` if they choose to leave).
 */
export type LeaveGuard = (to: string, proceed: () => void) => boolean;

/** Registers `guard` with the app shell through `register` while the calling screen is on show. */
export function useLeaveGuard(register: ((guard: LeaveGuard | null) => void) | undefined, guard: LeaveGuard): void {
  useEffect(() => {
    register?.(guard);
    return () => {
      register?.(null);
    };
  }, [register, guard]);
}
