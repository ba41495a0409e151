/**
 * Personal ranking in the built app: wishlisting survives a reload and shapes
 * "For you", each result says why it ranks there, and a whole session of
 * searching, clicking and wishlisting requests nothing but the app's own files.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestCatalog } from './catalog-fixture.ts';
import { SKIP_DATASETS, hasDatasets, openApp, waitReady, startBrowserApp, type BrowserApp } from './harness.ts';

describe.skipIf(!hasDatasets)(`personal ranking on the device ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  let env: BrowserApp;
  let fixture: Awaited<ReturnType<typeof buildTestCatalog>>;

  beforeAll(async () => {
    fixture = await buildTestCatalog();
    env = await startBrowserApp();
  });
  afterAll(() => env?.close());

  it('search, wishlist and reload: reasons shown, wishlist kept, For-you follows it, no request leaves the app', async () => {
    const origin = new URL(env.url).origin;
    const foreign: string[] = [];
    const posts: string[] = [];
    env.context.on('request', (r) => {
      if (!r.url().startsWith(origin) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreign.push(r.url());
      if (r.method() !== 'GET') posts.push(`${r.method()} ${r.url()}`);
    });
    const url = `${env.url}?catalog=${fixture.url}&backend=wasm`;
    const { page } = await openApp(env.context, url);
    await waitReady(page);
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/Test catalog/);
    // First use: onboarding can be skipped; For-you is there without a photo.
    await page.getByRole('button', { name: 'Skip' }).click();
    await page.getByTestId('for-you').waitFor();

    const lamp = fixture.items.find((r) => r.category === 'lamp')!;
    await page.getByTestId('photo-input').setInputFiles(resolve(lamp.path!));
    await page.getByTestId('result').first().waitFor({ timeout: 120_000 });
    // Why it ranks here in words, and the figures one tap away.
    expect(await page.getByTestId('why').first().textContent()).toMatch(/^Similar look/);
    await page.getByTestId('result').first().getByText('Why?').click();
    expect(await page.getByTestId('why-detail').first().textContent()).toMatch(/^look \d\.\d\d/);

    // Wishlist the second result; it is kept across a reload.
    // Located by id: wishlisting re-ranks the results by taste, so the item may move.
    const wishedId = await page.getByTestId('result').nth(1).getAttribute('data-item-id');
    const second = page.locator(`[data-testid="result"][data-item-id="${wishedId}"]`);
    await second.getByTestId('wishlist-toggle').click();
    await expect.poll(() => second.getByTestId('wishlist-toggle').getAttribute('aria-pressed')).toBe('true');
    await page.reload();
    await waitReady(page);
    await page.getByTestId('for-you').waitFor({ timeout: 60_000 });
    // Wishlisted items are left out of For-you, and For-you now follows the wishlisted lamp's taste.
    const forYouIds = await page.getByTestId('for-you-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')));
    expect(forYouIds).not.toContain(wishedId);
    const reasons = await page.getByTestId('for-you').getByTestId('why').allTextContents();
    expect(reasons.some((r) => /Matches your taste/.test(r))).toBe(true);

    // The privacy controls are there, labelled as such.
    await page.getByText('Your data (stays on this device)').click();
    for (const name of ['Export my data', 'Import my data', 'Delete all my data']) expect(await page.getByText(name, { exact: true }).count()).toBe(1);

    expect(foreign).toEqual([]);
    expect(posts).toEqual([]);
    await page.close();
  });
});
