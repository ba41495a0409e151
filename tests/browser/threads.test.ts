/**
 * Threads where allowed (#24): the app as `npm start` serves it is cross-origin isolated (COOP + COEP on its
 * documents and scripts), so the wasm backend runs tfjs's threaded SIMD build (half the cores); served by a host
 * without those headers it still works, on one thread, and says why; the embedded widget stays on one thread
 * unless its host asks for threads (its documented CSP refuses the `blob:` workers the threaded build starts).
 */
import type { BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterStatus, launchBrowser, openApp, startApp, waitReady } from './harness.ts';

/** The first line of the backend badge's tooltip: the backend's own description (workers/backend.ts). */
async function backendDetail(page: Page): Promise<string> {
  return ((await page.getByTestId('backend-badge').getAttribute('title')) ?? '').split('\n')[0] ?? '';
}

describe('wasm threads where the page is cross-origin isolated', () => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let isolated: Awaited<ReturnType<typeof startApp>>;
  let plain: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    [isolated, plain, browser] = await Promise.all([startApp(), startApp({ withoutIsolation: true }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await isolated?.close();
    await plain?.close();
  });

  /** Opens the app on wasm; returns the page, the .wasm files it loaded and the worker script's response headers. */
  async function openOnWasm(context: BrowserContext, url: string) {
    const page = await context.newPage();
    const errors: string[] = [];
    const workerHeaders: Record<string, string>[] = [];
    const wasmFiles: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('response', (r) => {
      if (/inference\.worker-[\w-]+\.js$/.test(r.url())) workerHeaders.push(r.headers());
      if (r.url().endsWith('.wasm')) wasmFiles.push(r.url().split('/').pop()!);
    });
    const response = await page.goto(url);
    expect(await waitReady(page)).toBe('wasm');
    return { page, response, errors, workerHeaders, wasmFiles, cores: await page.evaluate(() => navigator.hardwareConcurrency) };
  }

  it("the app is served with COOP and COEP, is cross-origin isolated, and runs tfjs's threaded build where it has two threads", async () => {
    const context = await browser.newContext();
    try {
      const { page, response, errors, workerHeaders, wasmFiles, cores } = await openOnWasm(context, `${isolated.url}?backend=wasm&catalog=none`);
      expect(response?.headers()['cross-origin-opener-policy']).toBe('same-origin');
      expect(response?.headers()['cross-origin-embedder-policy']).toBe('credentialless');
      expect(workerHeaders[0]?.['cross-origin-embedder-policy']).toBe('credentialless');
      expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
      // tfjs's threaded build runs half the cores: with fewer than 4 that is one thread, measured slower than the plain SIMD build.
      const threads = Math.floor(cores / 2);
      if (threads >= 2) {
        expect(wasmFiles).toEqual([expect.stringMatching(/^tfjs-backend-wasm-threaded-simd-/)]);
        expect(await backendDetail(page)).toBe(`WebAssembly, ${threads} threads (threaded build: half of ${cores} cores)`);
      } else {
        expect(wasmFiles).toEqual([expect.stringMatching(/^tfjs-backend-wasm-simd-/)]);
        expect(await backendDetail(page)).toBe(`WebAssembly, 1 thread (${cores} cores: the single-threaded build is faster here)`);
      }
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('?threads=on runs the threaded build whatever the cores, and it searches', async () => {
    const context = await browser.newContext();
    try {
      const { page, errors, wasmFiles, cores } = await openOnWasm(context, `${isolated.url}?backend=wasm&catalog=none&threads=on`);
      expect(wasmFiles).toEqual([expect.stringMatching(/^tfjs-backend-wasm-threaded-simd-/)]);
      const threads = Math.max(1, Math.floor(cores / 2));
      expect(await backendDetail(page)).toBe(`WebAssembly, ${threads} ${threads === 1 ? 'thread' : 'threads'} (threaded build: half of ${cores} cores)`);
      // Its threads run (the blob: thread script survived minification): a photo is embedded.
      const photo = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 180, g: 90, b: 40 } } })
        .jpeg()
        .toBuffer();
      await afterStatus(
        page,
        () => page.getByTestId('photo-input').setInputFiles({ name: 'plain.jpg', mimeType: 'image/jpeg', buffer: photo }),
        /^Looked at plain\.jpg/,
      );
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('served without the headers, the app still works on wasm, on one thread, and says why', async () => {
    const context = await browser.newContext();
    try {
      const { page, errors, wasmFiles } = await openOnWasm(context, `${plain.url}?backend=wasm&catalog=none&threads=on`);
      expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
      expect(await backendDetail(page)).toBe('WebAssembly, 1 thread (the page is not cross-origin isolated)');
      expect(wasmFiles).toEqual([expect.stringMatching(/^tfjs-backend-wasm-simd-/)]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the widget on an isolated shop page stays on one thread unless the page sets `wasm-threads`', async () => {
    const context = await browser.newContext();
    try {
      for (const [attributes, expected] of [
        ['', 'WebAssembly, 1 thread (threads not allowed here)'],
        // `auto`: the threaded build where it runs two threads or more (4 cores), else the plain one, saying why.
        [' wasm-threads', /^WebAssembly, (\d+ threads \(threaded build: half of \d+ cores\)|1 thread \(\d cores: the single-threaded build is faster here\))$/],
      ] as const) {
        // A shop page on the app's origin, sent with the isolation headers, that embeds the built widget.
        const shop = `${isolated.url}examples/threads-shop.html`;
        await context.route(shop, (route) =>
          route.fulfill({
            contentType: 'text/html',
            headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'credentialless' },
            body: `<!doctype html><script type="module" src="../widget/lookalike-search.js"></script><lookalike-search backend="wasm"${attributes}></lookalike-search>`,
          }),
        );
        const { page, errors } = await openApp(context, shop);
        await page.locator('[data-testid="app"]:is([data-phase="ready"], [data-phase="failed"])').waitFor({ timeout: 240_000 });
        expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
        if (typeof expected === 'string') expect(await backendDetail(page)).toBe(expected);
        else expect(await backendDetail(page)).toMatch(expected);
        expect(errors).toEqual([]);
        await page.close();
        await context.unroute(shop);
      }
    } finally {
      await context.close();
    }
  });
});
