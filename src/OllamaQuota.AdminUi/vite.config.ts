/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The Admin service (ASP.NET Core) listens on 127.0.0.1:8001 and serves dist/.
const admin = process.env.ADMIN_URL ?? 'http://127.0.0.1:8001';

export default defineConfig({
  base: '/',
  plugins: [react()],
  server: {
    port: 5173,
    strictPort: true,
    proxy: { '/api': { target: admin, changeOrigin: false } },
  },
  preview: {
    proxy: { '/api': { target: admin, changeOrigin: false } },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 700,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    restoreMocks: true,
    // Two shared cores: keep the worker pool small.
    pool: 'threads',
    poolOptions: { threads: { maxThreads: 2, minThreads: 1 } },
    // user-event types key by key in jsdom; on two busy cores one dialog test can pass Vitest's 5 s default.
    testTimeout: 30_000,
  },
});
