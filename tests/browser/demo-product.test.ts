/**
 * A product can be opened: the test catalog carries the demo catalog's prices and links (scripts/lib/demo-catalog-
 * inputs.ts), a result shows its price, and its title opens the app's own demo product page, which says it is a
 * demo and shows that product.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestCatalog } from './catalog-fixture.ts';
import { SKIP_DATASETS, hasDatasets, openApp, startBrowserApp, waitReady, type BrowserApp } from './harness.ts';

describe.skipIf(!hasDatasets)(`opening a product ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  let env: BrowserApp;
  let fixture: Awaited<ReturnType<typeof buildTestCatalog>>;

  beforeAll(async () => {
    fixture = await buildTestCatalog();
    env = await startBrowserApp();
  });
  afterAll(() => env?.close());

  it("a result's title opens the demo product page with its title and price", async () => {
    const { page } = await openApp(env.context, `${env.url}?catalog=${fixture.url}&backend=wasm`);
    await waitReady(page);
    const chair = fixture.items.find((r) => r.category === 'chair') ?? fixture.items[0]!;
    await page.getByTestId('photo-input').setInputFiles(resolve(chair.path!));
    const first = page.getByTestId('result').first();
    await first.waitFor({ timeout: 120_000 });
    const price = (await first.locator('.price').textContent())?.trim();
    expect(price).toMatch(/^€\d[\d,]*\.9[59]$/);
    const title = (await first.locator('a.card-title').textContent())?.trim();
    const [product] = await Promise.all([env.context.waitForEvent('page'), first.locator('a.card-title').click()]);
    await product.waitForLoadState();
    expect(new URL(product.url()).pathname).toBe('/demo/product.html');
    await expect.poll(() => product.locator('#title').textContent()).toBe(title);
    expect(await product.locator('#price').textContent()).toBe(price);
    expect(await product.getByRole('note').textContent()).toMatch(/not a real shop/);
  });
});
