/**
 * Threads where allowed (#24): the app as `npm start` serves it is cross-origin isolated (COOP + COEP on its
 * documents and scripts), so the wasm backend runs tfjs's threaded SIMD build on every core; served by a host
 * without those headers it still works, on one thread, and says why; the embedded widget stays on one thread
 * unless its host asks for threads (its documented CSP refuses the `blob:` workers the threaded build starts).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openApp, startApp, waitReady } from './harness.ts';

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

  it('the app is served with COOP and COEP, is cross-origin isolated, and runs wasm on every core', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const workerHeaders: Record<string, string>[] = [];
      page.on('response', (r) => {
        if (/inference\.worker-[\w-]+\.js$/.test(r.url())) workerHeaders.push(r.headers());
      });
      const response = await page.goto(`${isolated.url}?backend=wasm&catalog=none`);
      expect(response?.headers()['cross-origin-opener-policy']).toBe('same-origin');
      expect(response?.headers()['cross-origin-embedder-policy']).toBe('credentialless');
      expect(await waitReady(page)).toBe('wasm');
      expect(workerHeaders[0]?.['cross-origin-embedder-policy']).toBe('credentialless');
      expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      expect(await backendDetail(page)).toBe(cores > 1 ? `WebAssembly, ${cores} threads` : 'WebAssembly, 1 thread');
    } finally {
      await context.close();
    }
  });

  it('served without the headers, the app still works on wasm, on one thread, and says why', async () => {
    const context = await browser.newContext();
    try {
      const { page, errors } = await openApp(context, `${plain.url}?backend=wasm&catalog=none`);
      expect(await waitReady(page)).toBe('wasm');
      expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
      expect(await backendDetail(page)).toBe('WebAssembly, 1 thread (the page is not cross-origin isolated)');
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
        [' wasm-threads', /^WebAssembly, \d+ threads$/],
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
