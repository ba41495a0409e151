/**
 * The built app (dist/) served on localhost with Vite's preview server, and Debian's Chromium driven through
 * playwright-core with WebGPU enabled (SwiftShader when there is no GPU): shared by the browser tests
 * (tests/browser/harness.ts) and the benchmark (scripts/bench/bench.ts), so both measure the same setup.
 */
import { existsSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { type Plugin, preview, type PreviewServer } from 'vite';

export const ROOT = resolve(import.meta.dirname, '../..');
export const DATASETS = resolve(ROOT, '../shared/datasets');
export const hasDatasets = existsSync(resolve(DATASETS, 'clothing-photos/labels.csv'));

export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * The test build (`npm run build:test`: `vite build --mode test` into dist-test/): the app with
 * its fault-injection and benchmark hooks, which the production build in dist/ leaves out (docs/testing.md).
 */
export const TEST_BUILD_DIR = 'dist-test';

export interface AppBuildOptions {
  /** Serve the test build (TEST_BUILD_DIR), for tests that use `window.lookalike.debug` or the benchmark hooks. */
  testHooks?: boolean;
  /**
   * Serve without the cross-origin isolation headers (vite.config.ts ISOLATION_HEADERS), like a static host that
   * does not send them: the page is not isolated and the wasm backend runs on one thread.
   */
  withoutIsolation?: boolean;
}

/** A preview-server plugin that drops the COOP/COEP headers the config adds (for `withoutIsolation`). */
const dropIsolationHeaders = (): Plugin => ({
  name: 'lookalike-drop-isolation-headers',
  configurePreviewServer: (server) =>
    void server.middlewares.use((_req, res, next) => {
      const setHeader = res.setHeader.bind(res);
      res.setHeader = (name, value) => (/^cross-origin-(opener|embedder)-policy$/i.test(name) ? res : setHeader(name, value));
      next();
    }),
});

/**
 * The test catalogs (scripts/lib/test-catalog.ts) are written under dist/catalog/; a link
 * makes the test build serve the same folder at catalog/ (a build of the app empties its folder, link included).
 */
function serveTestCatalogs(outDir: string): void {
  const catalogs = resolve(ROOT, 'dist/catalog');
  mkdirSync(catalogs, { recursive: true });
  const link = resolve(outDir, 'catalog');
  try {
    lstatSync(link);
  } catch {
    symlinkSync(catalogs, link, 'junction');
  }
}

export async function startApp({ testHooks = false, withoutIsolation = false }: AppBuildOptions = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const outDir = testHooks ? TEST_BUILD_DIR : 'dist';
  if (!existsSync(resolve(ROOT, outDir, 'index.html'))) {
    throw new Error(
      testHooks
        ? `${outDir}/ is missing: run \`npm test\` (it builds it) or \`npm run build:test\``
        : 'dist/ is missing: run `npm test` (it builds the app first) or `npx vite build`',
    );
  }
  if (testHooks) serveTestCatalogs(resolve(ROOT, outDir));
  const server: PreviewServer = await preview({
    root: ROOT,
    logLevel: 'silent',
    build: { outDir },
    preview: { port: 0, host: '127.0.0.1', strictPort: false },
    plugins: withoutIsolation ? [dropIsolationHeaders()] : [],
  });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('preview server has no port');
  return { url: `http://127.0.0.1:${address.port}/`, close: () => server.close() };
}

/** `extraArgs` are added to CHROMIUM_ARGS for this browser only (e.g. a fake camera). */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** The built app served, and a browser context to open it in; `close()` ends all three. */
export interface BrowserApp {
  url: string;
  browser: Browser;
  context: BrowserContext;
  close(): Promise<void>;
}

export async function startBrowserApp(extraArgs: string[] = [], build: AppBuildOptions = {}): Promise<BrowserApp> {
  const app = await startApp(build);
  const browser = await launchBrowser(extraArgs);
  const context = await browser.newContext();
  return {
    url: app.url,
    browser,
    context,
    close: async () => {
      await context.close();
      await browser.close();
      await app.close();
    },
  };
}
