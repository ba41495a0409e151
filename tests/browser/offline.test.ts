/**
 * The offline promise, exactly as a new shopper meets it: a fresh browser profile opens the app once (models and
 * the test catalog download, a photo is searched and its results' pictures shown), waits a moment, goes offline
 * (the browser's offline mode, and the server stopped) and reloads. The app must load its models and the catalog
 * from the device, search a photo, and show the pictures of the products already seen; a product never seen
 * online shows a placeholder that says so, never a broken image.
 */
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestCatalog } from './catalog-fixture.ts';
import { SKIP_DATASETS, afterStatus, hasDatasets, launchProfile, openApp, startApp, waitReady } from './harness.ts';

async function searchPhoto(page: Page, file: string): Promise<string> {
  return afterStatus(page, () => page.getByTestId('photo-input').setInputFiles(file), /^(?!Looking at).*(Looked at|could not|not )/);
}

/** Images on the page the browser could not show (what a shopper sees as a broken picture). */
const brokenImages = (page: Page) =>
  page
    .locator('img')
    .evaluateAll((imgs) =>
      imgs.filter((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth === 0).map((i) => (i as HTMLImageElement).src),
    );

const resultIds = (page: Page) => page.getByTestId('result').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')!));

/** The results whose picture the browser shows (loaded, with pixels), after scrolling each into view. */
async function shownPictures(page: Page): Promise<string[]> {
  for (const card of await page.getByTestId('result').all()) await card.scrollIntoViewIfNeeded();
  // Lazy pictures start loading once in view: wait until none is still on its way.
  await expect
    .poll(() => page.locator('[data-testid="result"] img').evaluateAll((imgs) => imgs.filter((i) => !(i as HTMLImageElement).complete).length), {
      timeout: 30_000,
    })
    .toBe(0);
  return page.getByTestId('result').evaluateAll((cards) =>
    cards
      .filter((c) => {
        const img = c.querySelector('img');
        return img?.complete && img.naturalWidth > 0;
      })
      .map((c) => c.getAttribute('data-item-id')!),
  );
}

describe.skipIf(!hasDatasets)(`offline after one visit ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  let fixture: Awaited<ReturnType<typeof buildTestCatalog>>;
  beforeAll(async () => {
    fixture = await buildTestCatalog();
  });

  let server: Awaited<ReturnType<typeof startApp>> | undefined;
  let profile: Awaited<ReturnType<typeof launchProfile>> | undefined;
  afterAll(async () => {
    await profile?.close();
    await server?.close();
  });

  it('one complete visit, then offline and a reload: the models, the catalog and the pictures already seen come from the device, and a search works', async () => {
    server = await startApp();
    profile = await launchProfile();
    const { page, errors } = await openApp(profile.context, `${server.url}?catalog=${fixture.url}&backend=wasm`);

    // 1. The one visit: ready, the catalog open, a photo searched and its results' pictures shown.
    await waitReady(page);
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/Test catalog/);
    const shoe = fixture.items.find((r) => r.category === 'shoes')!;
    expect(await searchPhoto(page, resolve(shoe.path!))).toMatch(/Looked at/);
    const onlineResults = await resultIds(page);
    const seenOnline = await shownPictures(page);
    expect(seenOnline.length).toBeGreaterThan(0);
    // 2. "Wait": the service worker finishes installing, as it does while a shopper looks at the results.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));

    // 3. Offline (the browser's offline mode, and nothing answers on the server's port), then a reload.
    await profile.context.setOffline(true);
    await server.close();
    server = undefined;
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    await page.reload();
    expect(await waitReady(page)).toBe('wasm');
    const status = (await page.getByTestId('status').textContent()) ?? '';
    expect(status).not.toMatch(/not stored|offline/i);
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(new RegExp(`Test catalog.*${fixture.items.length} items`));

    // 4. The same search offline: the same results, the pictures seen online shown again.
    expect(await searchPhoto(page, resolve(shoe.path!))).toMatch(/Looked at/);
    expect(await resultIds(page)).toEqual(onlineResults);
    const seenOffline = await shownPictures(page);
    expect(seenOffline).toEqual(expect.arrayContaining(seenOnline));

    // 5. Another photo offline: a search works, and a product never seen online has a placeholder, not a broken picture.
    const sofa = fixture.items.find((r) => r.category === 'sofa')!;
    expect(await searchPhoto(page, resolve(sofa.path!))).toMatch(/Looked at/);
    expect((await resultIds(page))[0]).toBe(sofa.item_id);
    await shownPictures(page);
    expect(await brokenImages(page)).toEqual([]);
    const placeholders = await page.getByTestId('no-picture').allTextContents();
    expect(placeholders.length).toBeGreaterThan(0); // the sofa's look-alikes were never shown online
    expect(new Set(placeholders)).toEqual(new Set(['No picture offline']));
    // Only pictures of products never seen online may fail to arrive; the app, models and catalog never do.
    expect(failed.filter((url) => !/\.(jpe?g|png|webp)(\?|$)/.test(url))).toEqual([]);
    expect(errors).toEqual([]);
  });
});
