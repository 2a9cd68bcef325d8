import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The app is served by Tauri from ui/dist (tauri.conf.json `frontendDist`); nothing here may
// reach the network at run time (CSP `default-src 'self'`).
export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // One stylesheet file, no inline <style>: the CSP allows `style-src 'self'` only.
    cssCodeSplit: false,
    sourcemap: false,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
    // Stylesheets are not loaded in component tests, except the print stylesheet, whose rules a
    // test reads (`print.css?raw`).
    css: { include: [/print\.css/] },
  },
});
