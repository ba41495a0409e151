/**
 * A way back: searches, filters and panels are browser history entries. Back returns to the view before (and
 * past the first search to the start, without leaving the app); "New search" starts over; "Goes with…" opens
 * where the shopper is, its heading focused.
 */
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { withTestCatalogApp } from './catalog-fixture.ts';
import { SKIP_DATASETS, hasDatasets } from './harness.ts';

const resultIds = (page: Page) => page.getByTestId('result').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')).join(','));
const idle = (page: Page) =>
  page.waitForFunction(() => document.querySelector('[data-testid="app"]')?.getAttribute('data-phase') === 'ready', undefined, { timeout: 120_000 });

describe.skipIf(!hasDatasets)(`history and Back ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  const app = withTestCatalogApp();

  it('Back undoes a filter, then the search, staying in the app; New search starts over and Back returns to the photo', async () => {
    const page = await app.open();
    const appUrl = page.url();
    const sofa = app.fixture.items.find((r) => r.category === 'sofa')!;
    await page.getByTestId('photo-input').setInputFiles(resolve(sofa.path!));
    await page.getByTestId('result').first().waitFor({ timeout: 120_000 });
    await idle(page);
    const wholePhoto = await resultIds(page);

    await page.getByTestId('category-filter').selectOption('lamp');
    await expect.poll(() => resultIds(page), { timeout: 120_000 }).not.toBe(wholePhoto);
    await idle(page);
    await page.goBack();
    await expect.poll(() => page.getByTestId('category-filter').inputValue(), { timeout: 60_000 }).toBe('');
    await expect.poll(() => resultIds(page), { timeout: 120_000 }).toBe(wholePhoto);
    await idle(page);

    await page.goBack();
    await expect.poll(() => page.getByTestId('result').count(), { timeout: 60_000 }).toBe(0);
    expect(page.url()).toBe(appUrl); // still the app, at its start
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('Choose a photo to search.');

    await page.goForward();
    await expect.poll(() => resultIds(page), { timeout: 120_000 }).toBe(wholePhoto);
    await idle(page);
    await page.getByTestId('new-search').click();
    await expect.poll(() => page.getByTestId('result').count()).toBe(0);
    await page.goBack();
    await expect.poll(() => resultIds(page), { timeout: 120_000 }).toBe(wholePhoto);
    await page.close();
  });

  it('"Goes with…" opens in view with its heading focused; Back closes it and keeps the results', async () => {
    const page = await app.open();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('photo-input').setInputFiles(resolve(app.fixture.items.find((r) => r.category === 'shirt')!.path!));
    await page.getByTestId('result').first().waitFor({ timeout: 120_000 });
    await idle(page);
    const results = await resultIds(page);
    await page.getByTestId('result').first().getByRole('button', { name: 'Goes with…' }).click();
    const heading = page.getByTestId('goes-with-heading');
    await heading.waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('goes-with-heading');
    await expect
      .poll(
        () =>
          heading.evaluate((h) => {
            const r = h.getBoundingClientRect();
            return r.top >= 0 && r.bottom <= innerHeight;
          }),
        { timeout: 10_000 },
      )
      .toBe(true);
    await page.goBack();
    await expect.poll(() => heading.count()).toBe(0);
    expect(await resultIds(page)).toBe(results);
    await page.close();
  });
});
