/**
 * The embeddable widget (`npm run build:widget`, after `vite build`): Vite library mode,
 * one ES module `dist/widget/lookalike-search.js` defining `<lookalike-search>`, its worker
 * `lookalike-search.worker.js` and the worker's chunks and tfjs .wasm files under assets/ as
 * real files (no blob:/data: URLs, so it runs under `worker-src 'self'`), and the models in
 * models/. The example host page goes to dist/examples/ so `npm start` serves it.
 * See docs/embedding.md.
 */
import { cpSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { filesUnder } from './scripts/lib/files-under.ts';
import { SHIPPED_DIR } from './scripts/lib/model-artifacts.ts';
import { tfjsWasmThreads } from './scripts/lib/vite-wasm-threads.ts';
import { WIDGET_MODELS_DIR, WIDGET_MODULE_FILE, WIDGET_WORKER_FILE } from './src/widget/files.ts';

const root = import.meta.dirname;
const outDir = resolve(root, 'dist/widget');

/** The shipped model files (model-artifacts/shipped/, whole, as vite.config.ts copies them), into models/. */
function models(): Plugin {
  const dir = SHIPPED_DIR;
  return {
    name: 'lookalike-widget-models',
    generateBundle() {
      for (const file of filesUnder(dir)) {
        this.emitFile({ type: 'asset', fileName: WIDGET_MODELS_DIR + relative(dir, file), source: readFileSync(file) });
      }
    },
  };
}

/** Copies examples/ to dist/examples/ (the host page loads ../../widget/lookalike-search.js). */
function examples(): Plugin {
  return {
    name: 'lookalike-widget-examples',
    closeBundle() {
      cpSync(resolve(root, 'examples'), resolve(root, 'dist/examples'), { recursive: true });
    },
  };
}

/**
 * Fails the build if a file or worker got inlined (library mode's default): a base64 data: URL,
 * or Vite's blob: worker wrapper. A strict CSP (`worker-src 'self'`) refuses both.
 */
function noInlinedCode(): Plugin {
  return {
    name: 'lookalike-widget-no-inline',
    generateBundle(_options, bundle) {
      for (const [name, chunk] of Object.entries(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const inlined =
          /data:[\w.+-]+\/[\w.+-]+;base64,[A-Za-z0-9+/]{64}/.exec(chunk.code) ?? /const jsContent = |'data:text\/javascript;charset=utf-8,'/.exec(chunk.code);
        if (inlined)
          this.error(
            `${name} inlines a file as a data:/blob: URL (${inlined[0].slice(0, 60)}…), which a strict CSP refuses: import it with ?url&no-inline or as new Worker(new URL(…, import.meta.url))`,
          );
      }
    },
  };
}

/**
 * Drops the CSS file library mode extracts from components' own CSS imports: the element puts
 * every stylesheet into its shadow root itself (src/widget/shadow-styles.ts).
 */
function noPageCss(): Plugin {
  return {
    name: 'lookalike-widget-no-page-css',
    generateBundle: {
      order: 'post',
      handler(_options, bundle) {
        for (const name of Object.keys(bundle)) if (name.endsWith('.css')) delete bundle[name];
      },
    },
  };
}

export default defineConfig({
  base: './',
  publicDir: false,
  worker: {
    format: 'es',
    plugins: () => [tfjsWasmThreads(), noInlinedCode()],
    rolldownOptions: {
      output: { entryFileNames: WIDGET_WORKER_FILE, chunkFileNames: 'assets/[name]-[hash].js', assetFileNames: 'assets/[name]-[hash][extname]' },
    },
  },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 2500,
    rolldownOptions: { checks: { bundlerTimings: false } },
    lib: { entry: resolve(root, 'src/widget/lookalike-search.tsx'), formats: ['es'], fileName: () => WIDGET_MODULE_FILE },
  },
  plugins: [models(), examples(), noInlinedCode(), noPageCss()],
});
