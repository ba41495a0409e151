/**
 * A product can be opened: the test catalog carries the demo catalog's prices and links (scripts/lib/demo-catalog-
 * inputs.ts), a result shows its price, and its title opens the app's own demo product page, which says it is a
 * demo and shows that product. A product's colour variants share one card.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTestCatalogApp } from './catalog-fixture.ts';
import { SKIP_DATASETS, hasDatasets } from './harness.ts';

describe.skipIf(!hasDatasets)(`opening a product ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  const app = withTestCatalogApp();

  it("a result's title opens the demo product page with its title and price", async () => {
    const page = await app.open();
    const chair = app.fixture.items.find((r) => r.category === 'chair') ?? app.fixture.items[0]!;
    await page.getByTestId('photo-input').setInputFiles(resolve(chair.path!));
    const first = page.getByTestId('result').first();
    await first.waitFor({ timeout: 120_000 });
    const price = (await first.locator('.price').textContent())?.trim();
    expect(price).toMatch(/^€\d[\d,]*\.9[59]$/);
    const title = (await first.locator('a.card-title').textContent())?.trim();
    const [product] = await Promise.all([app.env.context.waitForEvent('page'), first.locator('a.card-title').click()]);
    await product.waitForLoadState();
    expect(new URL(product.url()).pathname).toBe('/demo/product.html');
    await expect.poll(() => product.locator('#title').textContent()).toBe(title);
    expect(await product.locator('#price').textContent()).toBe(price);
    expect(await product.getByRole('note').textContent()).toMatch(/not a real shop/);
  });

  it("a product's colour variants fill one card, which lists its colours", async () => {
    const byCode = new Map<string, Record<string, string>[]>();
    for (const r of app.fixture.items) if (r.product_code) byCode.set(r.product_code, [...(byCode.get(r.product_code) ?? []), r]);
    const variants = [...byCode.values()].find((rows) => new Set(rows.map((r) => r.color)).size > 1);
    expect(variants, 'the test catalog has a product in two colours').toBeDefined();
    const page = await app.open();
    await page.getByTestId('photo-input').setInputFiles(resolve(variants![0]!.path!));
    await page.getByTestId('result').first().waitFor({ timeout: 120_000 });
    const ids = await page.getByTestId('result').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')));
    const shown = variants!.filter((r) => ids.includes(r.item_id!));
    expect(shown).toHaveLength(1);
    const colours = await page.locator(`[data-testid="result"][data-item-id="${shown[0]!.item_id}"]`).getByTestId('colours').textContent();
    for (const c of new Set(variants!.map((r) => r.color!))) expect(colours).toContain(c);
  });
});
