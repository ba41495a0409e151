/**
 * The backend chosen by measurement (#24) in real Chromium against the built app. This machine's GPU is
 * SwiftShader (WebGPU and WebGL emulated on the CPU), so the measured default must be wasm, the badge must say
 * why, a second visit must reuse the remembered choice without measuring, and `?backend=webgpu` must still force WebGPU.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, startBrowserApp, waitReady, type BrowserApp } from './harness.ts';

/** Records every loading phase the progress bar shows (its data-phase), however briefly. */
async function recordPhases(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { phasesSeen: string[] }).phasesSeen = seen;
    new MutationObserver(() => {
      const phase = document.querySelector('.progress')?.getAttribute('data-phase');
      if (phase && seen[seen.length - 1] !== phase) seen.push(phase);
    }).observe(document, { subtree: true, childList: true, attributes: true });
  });
}

const phasesSeen = (page: Page) => page.evaluate(() => (window as unknown as { phasesSeen: string[] }).phasesSeen);
const badge = (page: Page) => page.getByTestId('backend-badge');
const workerTensors = (page: Page) =>
  page.evaluate(async () => (await (window as unknown as { lookalike: { memory(): Promise<{ numTensors: number }> } }).lookalike.memory()).numTensors);

describe('backend chosen by measurement', () => {
  let env: BrowserApp;
  beforeAll(async () => {
    env = await startBrowserApp();
  });
  afterAll(() => env?.close());

  it('measures on the first visit, picks wasm over the software GPU and says why; the next visit reuses the choice without measuring', async () => {
    const context = await env.browser.newContext();
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await recordPhases(page);
      await page.goto(`${env.url}?catalog=none`);
      expect(await waitReady(page)).toBe('wasm');
      expect(await phasesSeen(page)).toContain('measure');
      expect(await badge(page).getAttribute('data-how')).toBe('measured');
      expect(await page.getByTestId('backend-reason').textContent()).toBe(' · faster than this software GPU');
      const details = (await badge(page).getAttribute('title')) ?? '';
      // Both were timed: wasm to the end, WebGPU on SwiftShader abandoned or clearly slower.
      expect(details).toMatch(/GPU: .*swiftshader.*\(software/i);
      expect(details).toMatch(/Measured: wasm: ready in [\d.]+ s, [\d.]+ ms a photo; webgpu: /);
      // The abandoned GPU's models are gone: the worker holds what a forced wasm load holds.
      const measuredTensors = await workerTensors(page);
      const forced = await openApp(context, `${env.url}?catalog=none&backend=wasm`);
      expect(await waitReady(forced.page)).toBe('wasm');
      expect(measuredTensors).toBe(await workerTensors(forced.page));
      await forced.page.close();

      // Second visit, same browser profile: the remembered choice, no measuring.
      const again = await context.newPage();
      await recordPhases(again);
      await again.goto(`${env.url}?catalog=none`);
      expect(await waitReady(again)).toBe('wasm');
      expect(await badge(again).getAttribute('data-how')).toBe('remembered');
      expect(await phasesSeen(again)).not.toContain('measure');
      expect(await again.getByTestId('backend-reason').textContent()).toBe(' · faster than this software GPU');
      expect(await badge(again).getAttribute('title')).toMatch(/Remembered from .* for this browser, GPU and models/);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 240_000);

  it('?backend=webgpu still forces WebGPU, software or not, and the badge says it was requested', async () => {
    const { page, errors } = await openApp(env.context, `${env.url}?catalog=none&backend=webgpu`);
    expect(await waitReady(page)).toBe('webgpu');
    expect(await badge(page).getAttribute('data-how')).toBe('forced');
    expect(await page.getByTestId('backend-reason').textContent()).toBe(' · as requested');
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);
});
