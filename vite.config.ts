import { defineConfig } from 'vitest/config';

const serverPort = Number(process.env.MEMTIDE_DEV_API_PORT ?? 5177);

export default defineConfig({
  root: 'client',
  build: { outDir: '../dist/client', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1024 },
  server: {
    port: 5173,
    proxy: {
      // Keep the browser's Host (the string shorthand would rewrite it): the server checks that
      // Origin and Host agree (server/security.ts).
      '/api': { target: `http://127.0.0.1:${serverPort}`, changeOrigin: false },
      '/ws': { target: `ws://127.0.0.1:${serverPort}`, ws: true },
    },
  },
  test: {
    root: '.',
    include: ['{shared,server,client,test}/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    reporters: ['default', './test/plain-count-reporter.ts'],
  },
});
