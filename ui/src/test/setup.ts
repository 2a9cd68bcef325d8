// Adds jest-dom's matchers (toHaveTextContent, …) to Vitest's expect, and unmounts after each test.
import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => {
  cleanup();
});

// The app runs with Tauri's `freezePrototype: true`: a library that assigns `toString` (or any
// other Object.prototype name) on a plain object throws there. Freeze it here too, so such a
// dependency fails the component tests instead of leaving a blank window.
Object.freeze(Object.prototype);
