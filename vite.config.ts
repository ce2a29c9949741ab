import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { build, type Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { REPORT_SHELL_FILE } from './shared/report.js';

const serverPort = Number(process.env.MEMTIDE_DEV_API_PORT ?? 5177);

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The run section both pages show, written once (client/lab.html). */
function labPartial(): Plugin {
  return {
    name: 'memtide-lab-partial',
    transformIndexHtml: (html) => html.replace('<!-- lab -->', () => readFileSync('client/lab.html', 'utf8')),
  };
}

/**
 * The report shell as one file: its script and stylesheet inline, and a CSP allowing exactly those
 * two (by hash) and nothing from any network — a report opens from disk with no server.
 * `frame-ancestors` cannot be set from a <meta>; Chromium would log an error for it.
 */
function inlineIntoHtml(): Plugin {
  return {
    name: 'memtide-inline-report',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const html = Object.values(bundle).find((f) => f.fileName.endsWith('.html'));
      if (!html || html.type !== 'asset') throw new Error('report build: no HTML');
      let text = String(html.source);
      const scripts: string[] = [];
      const styles: string[] = [];
      for (const file of Object.values(bundle)) {
        if (file.type === 'chunk') {
          // "</script" inside the code would end the element early: "<\/script" means the same in JS.
          const code = file.code.replace(/<\/(script)/gi, '<\\/$1');
          text = text.replace(new RegExp(`<script type="module" crossorigin src="/${file.fileName}"></script>`), () => `<script type="module">${code}</script>`);
          scripts.push(code);
          delete bundle[file.fileName];
        } else if (file.fileName.endsWith('.css')) {
          const css = String(file.source);
          text = text.replace(new RegExp(`<link rel="stylesheet" crossorigin href="/${file.fileName}">`), () => `<style>${css}</style>`);
          styles.push(css);
          delete bundle[file.fileName];
        }
      }
      if (/<script[^>]* src=|<link[^>]* href=/.test(text)) throw new Error('report build: an asset was left outside the file');
      const csp = [
        "default-src 'none'", `script-src ${scripts.map(sha256).join(' ')}`, `style-src ${styles.map(sha256).join(' ')}`,
        "img-src data: blob:", "connect-src 'none'", "base-uri 'none'", "form-action 'none'", "object-src 'none'",
      ].join('; ');
      text = text.replace('<head>', () => `<head>\n    <meta http-equiv="Content-Security-Policy" content="${csp}" />`);
      delete bundle[html.fileName];
      this.emitFile({ type: 'asset', fileName: REPORT_SHELL_FILE, source: text });
    },
  };
}

/** After the dashboard's build, the report shell from the same sources (report-main.ts). */
function reportShell(): Plugin {
  return {
    name: 'memtide-report-shell',
    apply: (_config, env) => env.command === 'build' && !process.env.MEMTIDE_REPORT_BUILD,
    async closeBundle() {
      process.env.MEMTIDE_REPORT_BUILD = '1';
      try {
        await build({
          configFile: false,
          root: 'client',
          logLevel: 'warn',
          plugins: [labPartial(), inlineIntoHtml()],
          build: {
            outDir: '../dist/client',
            emptyOutDir: false,
            sourcemap: false,
            modulePreload: { polyfill: false }, // one file: nothing to preload
            chunkSizeWarningLimit: 2048,
            rolldownOptions: { input: 'client/report.html', output: { codeSplitting: false } },
          },
        });
      } finally {
        delete process.env.MEMTIDE_REPORT_BUILD;
      }
    },
  };
}

export default defineConfig({
  root: 'client',
  plugins: [labPartial(), reportShell()],
  build: {
    outDir: '../dist/client', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1024,
    // zod and the module that makes it jitless in one chunk, the one before any schema is built:
    // when the bundler shares schemas between the page and a lazy half (the code card), a schema
    // built before z.config({ jitless }) probes new Function(), which the page's CSP reports.
    rolldownOptions: { output: { codeSplitting: { groups: [{ name: 'zod', test: /node_modules[\\/]zod[\\/]|zod-jitless/ }] } } },
  },
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
