/**
 * On-device indexing in the built app: the shopper picks clothing photos, the
 * worker indexes them into IndexedDB with progress; the local catalog searches
 * like a downloaded one (a photo finds itself first); a second run cancelled
 * midway keeps what it indexed and loses nothing; all of it survives a reload;
 * the local catalog in use is opened again by itself after a reload.
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/shared/csv.ts';
import { DATASETS, SKIP_DATASETS, hasDatasets, openApp, startBrowserApp, waitReady, type BrowserApp } from './harness.ts';

const CATALOG = 'Wardrobe test';

/** `n` clothing photos, each from a different category in turn (val split), after skipping `skip`. */
function clothingPhotos(n: number, skip = 0): string[] {
  const rows = parseCsv(readFileSync(resolve(DATASETS, 'clothing-photos/labels.csv'), 'utf8')).filter((r) => r.split === 'val');
  return rows.slice(skip, skip + n).map((r) => resolve(DATASETS, 'clothing-photos', r.path!));
}

const title = (path: string) => basename(path).replace(/\.[^.]+$/, '');

/**
 * A photo's score against its own stored vector. The catalog keeps int8 codes
 * (step = max|x| / 127), so that score is 1 + x·e with a rounding error e whose
 * spread is step / √12: 0.0005–0.0013 over the test catalog's vectors, so a
 * photo can score 0.998 against itself. 0.995 is four spreads of the worst.
 */
const SELF_SCORE = 0.995;

/** The local indexer's own progress bar (not the model download's). */
const indexerProgress = (page: Page) => page.locator('.local-indexer').getByTestId('progress');

async function searchPhoto(page: Page, path: string): Promise<{ title: string; score: number }> {
  await page.getByTestId('photo-input').setInputFiles(path);
  // Wait for this photo's results (the status line names the photo once it is embedded).
  await expect
    .poll(() => page.getByTestId('status').textContent(), { timeout: 120_000 })
    .toMatch(new RegExp(`Looked at ${basename(path).replace(/\./g, '\\.')}`));
  const first = page.getByTestId('result').first();
  return { title: (await first.locator('.card-title').textContent()) ?? '', score: Number(await first.getAttribute('data-score')) };
}

async function listed(page: Page): Promise<string> {
  return (await page.getByTestId('local-catalogs').textContent()) ?? '';
}

/** Opens the "Index your own photos" panel when it is folded. */
async function unfoldIndexer(page: Page): Promise<void> {
  const details = page.locator('details.panel', { has: page.locator('.local-indexer') });
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await details.locator('summary').click();
}

describe.skipIf(!hasDatasets)(`on-device indexing ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  let env: BrowserApp;
  beforeAll(async () => {
    env = await startBrowserApp();
  });
  afterAll(() => env?.close());

  it('indexes 12 photos with progress, searches them, keeps a cancelled run’s photos, and survives a reload', async () => {
    const first = clothingPhotos(12);
    const more = clothingPhotos(30, 12);
    const { page, errors } = await openApp(env.context, `${env.url}?catalog=none&backend=wasm`);
    await waitReady(page);
    await expect.poll(() => listed(page), { timeout: 30_000 }).toBe('');
    await page.getByTestId('local-index-name').fill(CATALOG);

    // 1. Index 12 photos: the progress bar advances through them to the end.
    const seen = new Set<number>();
    await page.getByTestId('local-index-input').setInputFiles(first);
    const summary = page.getByTestId('local-index-summary');
    while (!(await summary.isVisible())) {
      const now = await indexerProgress(page)
        .getAttribute('aria-valuenow', { timeout: 1_000 })
        .catch(() => null);
      if (now !== null) seen.add(Number(now));
      await page.waitForTimeout(50);
    }
    expect(seen.size).toBeGreaterThanOrEqual(3); // several distinct steps were shown, not just start and end
    expect(Math.max(...seen)).toBeLessThanOrEqual(12);
    expect(await summary.textContent()).toMatch(new RegExp(`Indexed 12 photos into “${CATALOG}”\\. The catalog holds 12 photos\\.`));
    await expect.poll(() => listed(page)).toMatch(new RegExp(`${CATALOG} · 12 photos`));

    // 2. It searches like a downloaded catalog: an indexed photo finds itself first.
    await page.getByRole('button', { name: `Search “${CATALOG}”` }).click();
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 30_000 }).toMatch(new RegExp(`${CATALOG}.*12 items`));
    const hit = await searchPhoto(page, first[4]!);
    expect(hit.title).toBe(title(first[4]!));
    expect(hit.score).toBeGreaterThan(SELF_SCORE);

    // 3. A second run into the same catalog, cancelled midway: what it indexed is kept, nothing before is lost.
    await unfoldIndexer(page);
    await page.getByTestId('local-index-input').setInputFiles(more);
    await expect
      .poll(
        async () =>
          Number(
            (await indexerProgress(page)
              .getAttribute('aria-valuenow')
              .catch(() => null)) ?? 0,
          ),
        { timeout: 60_000 },
      )
      .toBeGreaterThanOrEqual(2);
    await page.getByTestId('local-index-cancel').click();
    await summary.waitFor({ timeout: 60_000 });
    const stopped = (await summary.textContent()) ?? '';
    const match = new RegExp(`^Stopped\\. Indexed (\\d+) photos? into “${CATALOG}”\\. The catalog holds (\\d+) photos\\.`).exec(stopped);
    expect(match, stopped).not.toBeNull();
    const added = Number(match![1]);
    expect(added).toBeGreaterThanOrEqual(2);
    expect(added).toBeLessThan(more.length);
    expect(Number(match![2])).toBe(12 + added);
    await expect.poll(() => listed(page)).toMatch(new RegExp(`${CATALOG} · ${12 + added} photos`));
    // The catalog being searched was the one that grew: it is searched with every photo now, the new ones too.
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 30_000 }).toMatch(new RegExp(`${CATALOG}.*${12 + added} items`));
    const fresh = await searchPhoto(page, more[0]!);
    expect(fresh.title).toBe(title(more[0]!));
    expect(fresh.score).toBeGreaterThan(SELF_SCORE);

    // 4. Reload: the catalog is still listed with every photo, opens and searches (an old and a new photo).
    await page.reload();
    await waitReady(page);
    await expect.poll(() => listed(page), { timeout: 30_000 }).toMatch(new RegExp(`${CATALOG} · ${12 + added} photos`));
    await page.getByRole('button', { name: `Open ${CATALOG}` }).click();
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 30_000 }).toMatch(new RegExp(`${CATALOG}.*${12 + added} items`));
    for (const path of [first[0]!, more[added - 1]!]) {
      const found = await searchPhoto(page, path);
      expect(found.title).toBe(title(path));
      expect(found.score).toBeGreaterThan(SELF_SCORE);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the local catalog in use is opened again after a reload, with no click; once deleted, a reload no longer looks for it', async () => {
    const name = 'Reopen test';
    const context = await env.browser.newContext();
    try {
      // No ?catalog=: the app opens what the shopper last used.
      const { page, errors } = await openApp(context, `${env.url}?backend=wasm`);
      await waitReady(page);
      await unfoldIndexer(page);
      await page.getByTestId('local-index-name').fill(name);
      const photos = clothingPhotos(4, 60);
      await page.getByTestId('local-index-input').setInputFiles(photos);
      await page.getByTestId('local-index-summary').waitFor({ timeout: 120_000 });
      await page.getByRole('button', { name: `Search “${name}”` }).click();
      await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 30_000 }).toMatch(new RegExp(`${name}.*4 items`));

      await page.reload();
      await waitReady(page);
      expect(await page.getByTestId('catalog').textContent()).toMatch(new RegExp(`${name}.*4 items`));
      expect(await page.getByTestId('status').textContent()).toMatch(new RegExp(`${name}: 4 of your photos`));
      const found = await searchPhoto(page, photos[2]!);
      expect(found.title).toBe(title(photos[2]!));

      await unfoldIndexer(page);
      page.once('dialog', (d) => void d.accept());
      await page.getByRole('button', { name: `Delete ${name}` }).click();
      await expect.poll(() => listed(page), { timeout: 30_000 }).toBe('');
      await page.reload();
      await waitReady(page);
      expect(await page.getByTestId('catalog').textContent()).toMatch(/No catalog open/);
      expect(await page.getByTestId('status').textContent()).not.toMatch(/not on this device|could not/);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
