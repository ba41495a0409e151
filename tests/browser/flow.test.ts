/**
 * The search flow on a phone and a desktop screen: after choosing a photo the results come into view by
 * themselves (no scrolling past the setup panels), the setup panels are folded once used, and a change that
 * keeps the results in view does not move the page. While a photo is searched the app shows it is working (on
 * the photo, on the results about to be replaced, in words) and takes no other photo; a category change
 * reports the time it took, not the earlier embedding's.
 */
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestCatalog } from './catalog-fixture.ts';
import { SKIP_DATASETS, afterStatus, hasDatasets, startBrowserApp, waitReady, type BrowserApp } from './harness.ts';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

/** Where the first result card is on the screen, and whether it is wholly in view. */
/** "123 ms" or "1.2 s" in milliseconds. */
const ms = (text: string) => {
  const m = /(\d+(?:\.\d+)?) (ms|s)\b/.exec(text);
  if (!m) throw new Error(`no time in “${text}”`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
};

interface BusyMoment {
  inputDisabled: boolean | null;
  working: boolean;
  resultsBusy: string | null;
  status: string;
}

const firstResult = (page: Page) =>
  page
    .getByTestId('result')
    .first()
    .evaluate((card) => {
      const { top, bottom } = card.getBoundingClientRect();
      return { top: Math.round(top), inView: top >= 0 && bottom <= innerHeight };
    });

describe.skipIf(!hasDatasets)(`results first ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  let env: BrowserApp;
  let fixture: Awaited<ReturnType<typeof buildTestCatalog>>;
  beforeAll(async () => {
    fixture = await buildTestCatalog();
    env = await startBrowserApp();
  });
  afterAll(() => env?.close());

  it.each([
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const)('%s: after choosing a photo the first result is in view without scrolling, and the photo picker folds to its buttons', async (_, viewport) => {
    const page = await env.context.newPage();
    await page.setViewportSize(viewport);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${env.url}?catalog=${fixture.url}&backend=wasm`);
    await waitReady(page);
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/Test catalog/);
    // The setup panels: "Index your own photos" is folded while a catalog is open; the picker is shown in full.
    expect(await page.locator('details.panel', { has: page.locator('.local-indexer') }).evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await page.getByText('Snap, choose, drop or paste a photo').isVisible()).toBe(true);
    const pickerBefore = (await page.locator('.dropzone').boundingBox())!.height;

    const shirt = fixture.items.find((r) => r.category === 'longsleeve') ?? fixture.items[0]!;
    await afterStatus(page, () => page.getByTestId('photo-input').setInputFiles(resolve(shirt.path!)), /^Looked at/);
    // The results come to the shopper (a smooth scroll: wait for it to settle).
    await expect.poll(() => firstResult(page).then((r) => r.inView), { timeout: 10_000 }).toBe(true);
    // Used once, the picker folds to its buttons (still there for the next photo).
    expect(await page.getByText('Snap, choose, drop or paste a photo').count()).toBe(0);
    expect((await page.locator('.dropzone').boundingBox())!.height).toBeLessThan(pickerBefore);
    expect(await page.getByText('Choose a photo').isVisible()).toBe(true);

    // A category change with the results in view answers in place: the filter the shopper used stays where it was.
    const filter = page.getByTestId('category-filter');
    const filterTop = async () => Math.round((await filter.boundingBox())!.y);
    await page.waitForTimeout(500);
    const before = await filterTop();
    const category = (await page.getByTestId('category').first().getAttribute('data-label'))!;
    await afterStatus(page, () => filter.selectOption(category).then(() => undefined), /^Searched/);
    await page.waitForTimeout(500);
    // (within a few pixels: the detected objects may arrive above meanwhile, and the browser keeps the view anchored)
    expect(Math.abs((await filterTop()) - before)).toBeLessThanOrEqual(4);
    expect((await firstResult(page)).inView).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('while a photo is searched it shows it is working, in words, and takes no other photo; a category change reports its own time', async () => {
    const page = await env.context.newPage();
    await page.setViewportSize(DESKTOP);
    // Every state the page shows while it is busy, however briefly.
    await page.addInitScript(() => {
      const seen: BusyMoment[] = [];
      (window as unknown as { busySeen: BusyMoment[] }).busySeen = seen;
      new MutationObserver(() => {
        if (document.querySelector('[data-testid="app"]')?.getAttribute('data-phase') !== 'busy') return;
        seen.push({
          inputDisabled: document.querySelector<HTMLInputElement>('[data-testid="photo-input"]')?.disabled ?? null,
          working: !!document.querySelector('[data-testid="working"]'),
          resultsBusy: document.querySelector('.search-results')?.getAttribute('aria-busy') ?? null,
          status: document.querySelector('[data-testid="status"]')?.textContent ?? '',
        });
      }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await page.goto(`${env.url}?catalog=${fixture.url}&backend=wasm`);
    await waitReady(page);
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/Test catalog/);
    const [first, second] = fixture.items.filter((r) => r.category === 'sofa' || r.category === 'shoes');
    await afterStatus(page, () => page.getByTestId('photo-input').setInputFiles(resolve(first!.path!)), /^Looked at/);
    // The second photo replaces results already shown: those are marked as about to change.
    await afterStatus(page, () => page.getByTestId('photo-input').setInputFiles(resolve(second!.path!)), /^Looked at/);
    const seen = await page.evaluate(() => (window as unknown as { busySeen: BusyMoment[] }).busySeen);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((m) => m.inputDisabled === true)).toBe(true);
    expect(seen.some((m) => m.working)).toBe(true);
    expect(seen.some((m) => m.resultsBusy === 'true')).toBe(true);
    expect(seen.map((m) => m.status)).toContainEqual(expect.stringMatching(/recognising what it shows and finding similar products…$/));
    expect(await page.getByTestId('photo-input').isDisabled()).toBe(false);
    expect(await page.getByTestId('working').count()).toBe(0);

    // A category change searches again without running the models: it reports that search's time.
    const embedded = ms((await page.getByTestId('embed-ms').textContent()) ?? '');
    const category = (await page.getByTestId('category').first().getAttribute('data-label'))!;
    const line = await afterStatus(
      page,
      () =>
        page
          .getByTestId('category-filter')
          .selectOption(category)
          .then(() => undefined),
      /^Searched/,
    );
    expect(ms(line)).toBeLessThan(embedded);
    await page.close();
  });
});
