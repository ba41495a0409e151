/** A first visit downloads the catalog beside the models, not after their warm-up. */
import { describe, expect, it } from 'vitest';
import { withTestCatalogApp } from './catalog-fixture.ts';
import { SKIP_DATASETS, hasDatasets, waitReady } from './harness.ts';

describe.skipIf(!hasDatasets)(`first visit ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  const app = withTestCatalogApp();

  it("the catalog's files are requested while the models are still loading", async () => {
    const context = await app.env.browser.newContext();
    const page = await context.newPage();
    // Slow model weights, as on a phone's connection: the models are ready only seconds later.
    await page.route('**/models/**/*.bin*', async (route) => {
      await new Promise((r) => setTimeout(r, 3000));
      await route.continue();
    });
    const firstShard: number[] = [];
    page.on('request', (r) => {
      if (/\/catalog\/test\/(embeddings|items)-\d+\.(bin|json)/.test(r.url())) firstShard.push(Date.now());
    });
    await page.goto(`${app.env.url}?catalog=${app.fixture.url}&backend=wasm`);
    await waitReady(page);
    const ready = Date.now();
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/Test catalog/);
    expect(firstShard.length).toBeGreaterThan(0);
    expect(Math.min(...firstShard)).toBeLessThan(ready - 1000);
    await context.close();
  });
});
