/**
 * Catalog search in the built app: a catalog indexed in Node is searched in
 * the browser on WebGPU; the same photo comes back first with cosine ≥ 0.999
 * (Node↔browser parity); mismatched and malformed catalogs are refused.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestCatalog, variantCatalog } from './catalog-fixture.ts';
import { DATASETS, ROOT, SKIP_DATASETS, afterStatus, hasDatasets, openApp, waitReady, startBrowserApp, type BrowserApp } from './harness.ts';

async function searchPhoto(page: Page, file: string): Promise<void> {
  await afterStatus(page, () => page.getByTestId('photo-input').setInputFiles(file), /^(?!Looking at).*(Looked at|could not|not )/);
}

const results = (page: Page) =>
  page.getByTestId('result').evaluateAll((els) => els.map((e) => ({ id: e.getAttribute('data-item-id')!, score: Number(e.getAttribute('data-score')) })));

describe.skipIf(!hasDatasets)(`catalog search in the browser ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  let env: BrowserApp;
  let fixture: Awaited<ReturnType<typeof buildTestCatalog>>;

  beforeAll(async () => {
    fixture = await buildTestCatalog();
    variantCatalog('other-models', (j) => ({ ...j, ensembleId: 'lookalike-0000000000000000' }));
    variantCatalog('newer', (j) => ({ ...j, formatVersion: 3 }));
    variantCatalog('malformed', () => '{"formatVersion": 1, "name": "broken", ');
    env = await startBrowserApp();
  });
  afterAll(() => env?.close());

  it('shows the catalog, finds the photographed product first (Node↔WebGPU cosine ≥ 0.999), with categories', async () => {
    const { page, errors } = await openApp(env.context, `${env.url}?catalog=${fixture.url}&backend=webgpu`);
    expect(await waitReady(page)).toBe('webgpu');
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(new RegExp(`Test catalog.*${fixture.items.length} items`));
    const sofa = fixture.items.find((r) => r.category === 'sofa')!;
    await searchPhoto(page, resolve(sofa.path!));
    const top = (await results(page))[0]!;
    expect(top.id).toBe(sofa.item_id);
    expect(top.score).toBeGreaterThanOrEqual(0.999);
    const categories = await page
      .getByTestId('category')
      .evaluateAll((els) => els.map((e) => ({ label: e.getAttribute('data-label'), prob: Number(e.getAttribute('data-prob')) })));
    // Up to three, leaving out those that would read 0%.
    expect(categories.length).toBeGreaterThanOrEqual(1);
    expect(categories.length).toBeLessThanOrEqual(3);
    for (const c of categories.slice(1)) expect(c.prob).toBeGreaterThanOrEqual(0.005);
    expect(categories[0]!.label).toBe('sofa');
    if (categories[1]) expect(categories[0]!.prob).toBeGreaterThan(categories[1].prob);
    expect(errors).toEqual([]);
    await page.close();
  });

  // The remaining cases run on the wasm backend: the same worker code, without minutes of software-GPU time.
  it('the categories are the soft vote of the members (tap to see each vote); the category filter restricts results to that category', async () => {
    const { page } = await openApp(env.context, `${env.url}?catalog=${fixture.url}&backend=wasm`);
    await waitReady(page);
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/Test catalog/);
    const shoe = fixture.items.find((r) => r.category === 'shoes')!;
    await searchPhoto(page, resolve(shoe.path!));
    // The category shown is the soft vote: the manifest's weighted average of each member's probability.
    const top = page.getByTestId('category').first();
    const ensembleProb = Number(await top.getAttribute('data-prob'));
    await top.click();
    const votes = await page
      .getByTestId('member-vote')
      .evaluateAll((els) => els.map((e) => ({ model: e.getAttribute('data-model')!, prob: Number(e.getAttribute('data-prob')) })));
    const { voteWeights, mirrorView } = JSON.parse(readFileSync(resolve(ROOT, 'model-artifacts/shipped/manifest.json'), 'utf8')) as {
      voteWeights: Record<string, number>;
      mirrorView?: boolean;
    };
    expect(votes.map((v) => v.model).sort()).toEqual(Object.keys(voteWeights).sort());
    expect(Math.abs(votes.reduce((sum, v) => sum + voteWeights[v.model]! * v.prob, 0) - ensembleProb)).toBeLessThan(2e-4);
    // A photo the vote calls clothing is classified from its centre as well (manifest cropView), and with the
    // manifest's mirrorView each view with its mirror image; the page says so.
    await expect
      .poll(() => page.locator('.member-votes .vote-note').textContent(), { timeout: 10_000 })
      .toBe(mirrorView ? 'Each vote averages the whole photo, its centre and their mirror images.' : 'Each vote averages the whole photo and its centre.');
    await page.getByTestId('category-filter').selectOption('lamp');
    // "Searching … among Lamp…" while it runs, "Searched … among Lamp in …" once the results are in.
    await expect.poll(async () => page.getByTestId('status').textContent(), { timeout: 120_000 }).toMatch(/^Searched .*among Lamp/);
    await expect.poll(async () => (await results(page)).length, { timeout: 120_000 }).toBeGreaterThan(0);
    const lampIds = new Set(fixture.items.filter((r) => r.category === 'lamp').map((r) => r.item_id));
    for (const r of await results(page)) expect(lampIds.has(r.id)).toBe(true);
    await page.close();
  });

  it.each([
    ['other-models', /built with the models "lookalike-0000000000000000", but this app runs/],
    ['newer', /format version 3, newer than this app reads/],
    ['malformed', /not valid JSON/],
  ])('refuses the %s catalog with a clear message', async (name, message) => {
    const { page } = await openApp(env.context, `${env.url}?catalog=catalog/${name}/catalog.json&backend=wasm`);
    await waitReady(page);
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 60_000 }).toMatch(message);
    expect(await page.getByTestId('catalog').textContent()).toMatch(/No catalog open/);
    await page.close();
  });

  it('proposes the objects in a room photo and searches the one the shopper taps', async () => {
    const { page } = await openApp(env.context, `${env.url}?catalog=${fixture.url}&backend=wasm`);
    await waitReady(page);
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/Test catalog/);
    await searchPhoto(page, resolve(DATASETS, 'ikea/rooms/ikea-a-cosy-space-for-coffee-and-conversation__1364308407140-s4.jpg'));
    const chair = page.getByTestId('detected-object').filter({ hasText: 'chair' }).first();
    await chair.waitFor({ timeout: 180_000 });
    const wholePhoto = (await results(page)).map((r) => r.id).join();
    await chair.click();
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 180_000 }).toMatch(/Searched the selected object/);
    expect(await chair.getAttribute('aria-pressed')).toBe('true');
    expect((await results(page)).map((r) => r.id).join()).not.toBe(wholePhoto);
    await page.close();
  });
});
