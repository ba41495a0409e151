/**
 * Browser test rig: serves the built app (dist/) on localhost with Vite's
 * preview server and drives Debian's Chromium through playwright-core, with
 * WebGPU enabled (SwiftShader when there is no GPU).
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';

export const ROOT = resolve(import.meta.dirname, '../..');
export const DATASETS = resolve(ROOT, '../shared/datasets');
export const hasDatasets = existsSync(resolve(DATASETS, 'clothing-photos/labels.csv'));
export const SKIP_DATASETS = 'needs ../shared/datasets (the shared photo datasets) beside the repository';

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
}

/**
 * The tests' catalogs (tests/browser/catalog-fixture.ts) are written under dist/catalog/; a link
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

export async function startApp({ testHooks = false }: AppBuildOptions = {}): Promise<{ url: string; close: () => Promise<void> }> {
  const outDir = testHooks ? TEST_BUILD_DIR : 'dist';
  if (!existsSync(resolve(ROOT, outDir, 'index.html'))) {
    throw new Error(testHooks ? `${outDir}/ is missing: run \`npm test\` (it builds it) or \`npm run build:test\`` : 'dist/ is missing: run `npm test` (it builds the app first) or `npx vite build`');
  }
  if (testHooks) serveTestCatalogs(resolve(ROOT, outDir));
  const server: PreviewServer = await preview({ root: ROOT, logLevel: 'silent', build: { outDir }, preview: { port: 0, host: '127.0.0.1', strictPort: false } });
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

/** A browser with a real (non-incognito) profile in a temporary folder. */
export async function launchProfile(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'lookalike-profile-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh page that records console errors and failed requests for assertions. */
export async function openApp(context: BrowserContext, url: string): Promise<{ page: Page; failed: string[]; errors: string[] }> {
  const page = await context.newPage();
  const failed: string[] = [];
  const errors: string[] = [];
  page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, failed, errors };
}

/** Waits until the app can take a photo (models loaded, the catalog opened or refused); returns the backend. */
export async function waitReady(page: Page, timeout = 240_000): Promise<string> {
  // data-phase, not the status line: a refused catalog replaces "Ready on …" within the same frame.
  await page.waitForFunction(() => /^(ready|busy|failed)$/.test(document.querySelector('[data-testid="app"]')?.getAttribute('data-phase') ?? ''), undefined, { timeout });
  if ((await page.getByTestId('app').getAttribute('data-phase')) === 'failed') throw new Error(`The models did not load: ${await page.getByTestId('status').textContent()}`);
  return (await page.getByTestId('backend').textContent())?.trim() ?? '';
}

/**
 * Runs `action` (e.g. choosing a photo) and waits until the status line next
 * shows text matching `pattern`. It counts status changes with a
 * MutationObserver, so the same message twice in a row (the same photo again,
 * equally fast) still counts as the new answer.
 */
export async function afterStatus(page: Page, action: () => Promise<void>, pattern: RegExp, timeout = 180_000): Promise<string> {
  const seen = await page.evaluate(
    ([source, flags]) => {
      const w = window as unknown as { __statusWatch?: { source: string; matches: string[] } };
      const el = document.querySelector('[data-testid="status"]')!;
      if (w.__statusWatch?.source !== source + flags) {
        const watch = { source: source + flags, matches: [] as string[] };
        const re = new RegExp(source, flags);
        let last = '';
        new MutationObserver(() => {
          const text = el.textContent ?? '';
          if (text !== last && re.test(text)) watch.matches.push(text);
          last = text;
        }).observe(el, { childList: true, characterData: true, subtree: true });
        w.__statusWatch = watch;
      }
      return w.__statusWatch!.matches.length;
    },
    [pattern.source, pattern.flags] as const,
  );
  await action();
  await page.waitForFunction((n) => (window as unknown as { __statusWatch: { matches: string[] } }).__statusWatch.matches.length > n, seen, { timeout });
  return page.evaluate((n) => (window as unknown as { __statusWatch: { matches: string[] } }).__statusWatch.matches[n]!, seen);
}
