/**
 * The platform slice in real Chromium against the built app: WebGPU backend,
 * embeddings of real photos, no tensor leaks, installability (offline use: offline.test.ts).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, ROOT, SKIP_DATASETS, afterStatus, hasDatasets, launchProfile, openApp, waitReady, startBrowserApp, type BrowserApp } from './harness.ts';

function photosOf(category: string, count: number): string[] {
  const rows = readFileSync(resolve(DATASETS, 'clothing-photos/labels.csv'), 'utf8').trim().split('\n').slice(1);
  return rows
    .map((line) => line.split(','))
    .filter((cells) => cells[1] === category)
    .slice(0, count)
    .map((cells) => resolve(DATASETS, 'clothing-photos', cells[0]!));
}

async function upload(page: Page, file: string): Promise<void> {
  await afterStatus(page, () => page.getByTestId('photo-input').setInputFiles(file), /Looked at .* in /);
}

async function scores(page: Page): Promise<number[]> {
  return page.getByTestId('result').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-score'))));
}

async function workerTensors(page: Page): Promise<number> {
  return page.evaluate(async () => (await (window as unknown as { lookalike: { memory(): Promise<{ numTensors: number }> } }).lookalike.memory()).numTensors);
}

describe('platform: the installable offline app and its inference worker', () => {
  let env: BrowserApp;

  beforeAll(async () => {
    env = await startBrowserApp();
  });
  afterAll(() => env?.close());

  it('starts on WebGPU when asked and shows load progress in bytes', async () => {
    const page = await env.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Record every value the progress bar shows, however briefly.
    await page.addInitScript(() => {
      const seen: [string | null, string | null][] = [];
      (window as unknown as { progressSeen: typeof seen }).progressSeen = seen;
      new MutationObserver(() => {
        const bar = document.querySelector('[data-testid="progress"]');
        if (bar) seen.push([bar.getAttribute('aria-valuenow'), bar.getAttribute('aria-valuemax')]);
      }).observe(document, { subtree: true, childList: true, attributes: true });
    });
    // Forced: on this machine's software GPU the measured default is wasm (tests/browser/backend-choice.test.ts).
    await page.goto(`${env.url}?catalog=none&backend=webgpu`);
    expect(await waitReady(page)).toBe('webgpu');
    const manifest = JSON.parse(readFileSync(resolve(ROOT, 'model-artifacts/shipped/manifest.json'), 'utf8')) as {
      models: { files: { path: string; bytes: number }[] }[];
      heads: { files: { path: string; bytes: number }[] }[];
      projection: { files: { path: string; bytes: number }[] };
    };
    const files = new Map([...manifest.models, ...manifest.heads, manifest.projection].flatMap((m) => m.files).map((f) => [f.path, f.bytes]));
    const total = [...files.values()].reduce((a, b) => a + b, 0);
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: [string | null, string | null][] }).progressSeen);
    const bytes = seen.filter(([, max]) => Number(max) === total).map(([now]) => Number(now));
    expect(bytes.length).toBeGreaterThan(0);
    expect(Math.max(...bytes)).toBe(total);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('reports no installability errors', async () => {
    // Installability needs a real (non-incognito) profile.
    const profile = await launchProfile();
    try {
      const { page } = await openApp(profile.context, `${env.url}?catalog=none&backend=wasm`);
      await waitReady(page);
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
      const cdp = await profile.context.newCDPSession(page);
      const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: { errorId: string }[] };
      expect(installabilityErrors.map((e) => e.errorId)).toEqual([]);
    } finally {
      await profile.close();
    }
  });

  it('honours ?backend=wasm and says so on the badge', async () => {
    const { page } = await openApp(env.context, `${env.url}?backend=wasm`);
    expect(await waitReady(page)).toBe('wasm');
    await page.close();
  });

  it.skipIf(!hasDatasets)(`embeds real photos on WebGPU: same photo ≈ 1, shoe vs dress clearly less (${hasDatasets ? '' : SKIP_DATASETS})`, async () => {
    const { page, errors } = await openApp(env.context, `${env.url}?catalog=none&backend=webgpu`);
    expect(await waitReady(page)).toBe('webgpu');
    const [shoe] = photosOf('shoes', 1);
    const [dress] = photosOf('dress', 1);
    await upload(page, shoe!);
    await upload(page, shoe!);
    const same = await scores(page);
    expect(same[0]).toBeGreaterThan(0.999);
    await upload(page, dress!);
    const dressVsShoes = await scores(page);
    expect(Math.max(...dressVsShoes)).toBeLessThan(0.97);
    expect(same[0]! - Math.max(...dressVsShoes)).toBeGreaterThan(0.03);
    expect(errors).toEqual([]);
    await page.close();
  });

  it.skipIf(!hasDatasets)("20 embeds in a row leave the worker's tensor count unchanged", async () => {
    // WebGPU on a software GPU takes seconds per photo; the wasm backend runs the same model code quickly.
    // The 500-search soak in the benchmarks covers WebGPU's allocated bytes.
    const { page } = await openApp(env.context, `${env.url}?catalog=none&backend=wasm`);
    await waitReady(page);
    const shoes = photosOf('shoes', 21);
    await upload(page, shoes[0]!);
    const tensorsBefore = await workerTensors(page);
    for (const file of shoes.slice(1)) await upload(page, file);
    expect(await workerTensors(page)).toBe(tensorsBefore);
    await page.close();
  });

  // Offline after one visit (a fresh profile, no reload while online): tests/browser/offline.test.ts.
});
