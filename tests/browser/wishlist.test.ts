/** The wishlist can be seen and managed: ♡ adds a product to "Your wishlist", ♡ there removes it, a reload keeps it. */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTestCatalogApp } from './catalog-fixture.ts';
import { SKIP_DATASETS, hasDatasets, waitReady } from './harness.ts';

describe.skipIf(!hasDatasets)(`the wishlist view ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  const app = withTestCatalogApp();

  it('lists what the shopper wished for, newest first, lets them remove it, and keeps it across a reload', async () => {
    const page = await app.open();
    await page.getByTestId('photo-input').setInputFiles(resolve(app.fixture.items.find((r) => r.category === 'lamp')!.path!));
    await page.getByTestId('result').nth(1).waitFor({ timeout: 120_000 });
    const ids = await page.getByTestId('result').evaluateAll((els) => els.slice(0, 2).map((e) => e.getAttribute('data-item-id')!));
    for (const id of ids) {
      const heart = page.locator(`[data-testid="result"][data-item-id="${id}"]`).getByTestId('wishlist-toggle');
      await heart.click();
      await expect.poll(() => heart.getAttribute('aria-pressed')).toBe('true');
    }
    const wishlist = page.getByTestId('wishlist');
    await expect.poll(() => wishlist.locator('summary').textContent()).toBe('Your wishlist (2)');
    await wishlist.locator('summary').click();
    const listed = () => wishlist.getByTestId('wishlist-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')));
    await expect.poll(listed).toEqual([ids[1], ids[0]]); // newest first
    expect(await wishlist.getByTestId('why').first().textContent()).toMatch(/^On your wishlist since /);

    await wishlist.locator(`[data-testid="wishlist-item"][data-item-id="${ids[1]}"]`).getByTestId('wishlist-toggle').click();
    await expect.poll(listed).toEqual([ids[0]]);
    await page.reload();
    await waitReady(page);
    await expect.poll(() => page.getByTestId('wishlist').locator('summary').textContent(), { timeout: 60_000 }).toBe('Your wishlist (1)');
    await page.getByTestId('wishlist').locator('summary').click();
    await expect
      .poll(() =>
        page
          .getByTestId('wishlist')
          .getByTestId('wishlist-item')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id'))),
      )
      .toEqual([ids[0]]);
    await page.close();
  });
});
