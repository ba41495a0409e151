/**
 * The built app (dist/) served on localhost with Vite's preview server, and Debian's Chromium driven through
 * playwright-core with WebGPU enabled (SwiftShader when there is no GPU): shared by the browser tests
 * (tests/browser/harness.ts) and the benchmark (scripts/bench/bench.ts), so both measure the same setup.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';

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

export async function startApp(): Promise<{ url: string; close: () => Promise<void> }> {
  if (!existsSync(resolve(ROOT, 'dist/index.html'))) throw new Error('dist/ is missing: run `npm test` (it builds the app first) or `npx vite build`');
  const server: PreviewServer = await preview({ root: ROOT, logLevel: 'silent', preview: { port: 0, host: '127.0.0.1', strictPort: false } });
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

export async function startBrowserApp(extraArgs: string[] = []): Promise<BrowserApp> {
  const app = await startApp();
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
