/**
 * "Seen in" scenes in the built app: a product result offers the scene photos
 * that show it (then its look-alikes'), and a scene opens to list its items.
 */
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestCatalog, variantCatalog } from './catalog-fixture.ts';
import { SKIP_DATASETS, hasDatasets, openApp, startBrowserApp, waitReady, type BrowserApp } from './harness.ts';

async function searchPhoto(page: Page, path: string): Promise<void> {
  await page.getByTestId('photo-input').setInputFiles(path);
  await page.getByTestId('result').first().waitFor({ timeout: 120_000 });
}

describe.skipIf(!hasDatasets)(`"Seen in" scenes ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  let env: BrowserApp;
  let fixture: Awaited<ReturnType<typeof buildTestCatalog>>;

  beforeAll(async () => {
    fixture = await buildTestCatalog();
    variantCatalog('no-scenes', (j) => ({ ...j, scenes: undefined }));
    env = await startBrowserApp();
  });
  afterAll(() => env?.close());

  it('a product photo → "Seen in" lists the rooms that show it, then look-alikes; a room lists its items, the product among them', async () => {
    expect(fixture.scenes.length).toBeGreaterThanOrEqual(2);
    // The product shown in the most fixture rooms.
    const rooms = (id: string) => fixture.scenes.filter((s) => s.itemIds.includes(id)).map((s) => s.room);
    const productId = [...new Set(fixture.scenes.flatMap((s) => s.itemIds))].sort((a, b) => rooms(b).length - rooms(a).length)[0]!;
    const product = fixture.items.find((r) => r.item_id === productId)!;
    const { page, errors } = await openApp(env.context, `${env.url}?catalog=${fixture.url}&backend=wasm`);
    await waitReady(page);
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/Test catalog/);
    await searchPhoto(page, resolve(product.path!));
    const first = page.getByTestId('result').first();
    expect(await first.getAttribute('data-item-id')).toBe(productId);

    await first.getByTestId('seen-in').click();
    const dialog = page.getByRole('dialog', { name: new RegExp(`Seen in: ${product.name}`) });
    await dialog.waitFor();
    await page.getByTestId('scene').first().waitFor({ timeout: 30_000 });
    const scenes = await page
      .getByTestId('scene')
      .evaluateAll((els) => els.map((e) => ({ id: e.getAttribute('data-scene-id')!, reason: e.getAttribute('data-reason')!, text: e.textContent ?? '' })));
    const containing = scenes.filter((s) => s.reason === 'contains');
    expect(containing.map((s) => s.id).sort()).toEqual(rooms(productId).slice(0, 6).sort());
    for (const s of containing) expect(s.text).toMatch(/contains this product/);
    // The list is filled up with the rooms of its closest look-alikes of its own category (similarity ≥ 0.5), saying which and how alike, best first.
    expect(scenes.slice(0, containing.length).every((s) => s.reason === 'contains')).toBe(true);
    expect(scenes.length).toBeLessThanOrEqual(Math.min(6, fixture.scenes.length));
    const alike = scenes.filter((x) => x.reason === 'look-alike').map((s) => Number(/contains a look-alike \(([01]\.\d\d)\): \S/.exec(s.text)?.[1]));
    for (const similarity of alike) expect(similarity).toBeGreaterThanOrEqual(0.5);
    expect(alike).toEqual([...alike].sort((a, b) => b - a));
    expect(new Set(scenes.map((s) => s.id)).size).toBe(scenes.length);

    // Keyboard: the first containing scene opens with Enter and lists its items, the product among them.
    const room = page.locator(`[data-testid="scene"][data-scene-id="${containing[0]!.id}"]`);
    await room.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('scene-item').first().waitFor({ timeout: 30_000 });
    // The keyboard user lands on the way back to the list.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('← All scenes');
    const itemIds = await page.getByTestId('scene-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')));
    expect(itemIds).toContain(productId);
    expect(itemIds.sort()).toEqual(fixture.scenes.find((s) => s.room === containing[0]!.id)!.itemIds.sort());
    const mine = page.locator(`[data-testid="scene-item"][data-item-id="${productId}"]`);
    expect(await mine.getByTestId('why').textContent()).toMatch(/the product you asked about/);
    // Scene items are result cards: they can be wishlisted like any result.
    await mine.getByTestId('wishlist-toggle').click();
    await expect.poll(() => mine.getByTestId('wishlist-toggle').getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByRole('img', { name: /^Scene: / }).count()).toBe(1);

    // Back to the list, then Escape closes the dialog.
    await page.getByRole('button', { name: '← All scenes' }).click();
    await page.getByTestId('scene').first().waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    // And the Close button closes it too.
    await first.getByTestId('seen-in').click();
    await page.getByTestId('scene').first().waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Close seen in' }).click();
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('clothes, which no room shows, offer no "Seen in" (no weak look-alike leads to a room)', async () => {
    const { page } = await openApp(env.context, `${env.url}?catalog=${fixture.url}&backend=wasm`);
    await waitReady(page);
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/Test catalog/);
    await searchPhoto(page, resolve(fixture.items.find((r) => r.category === 'tshirt')!.path!));
    const clothes = new Set(fixture.items.filter((r) => r.product_code).map((r) => r.item_id));
    const cards = await page
      .getByTestId('result')
      .evaluateAll((els) => els.map((e) => ({ id: e.getAttribute('data-item-id')!, seenIn: !!e.querySelector('[data-testid="seen-in"]') })));
    expect(cards.filter((c) => clothes.has(c.id)).length).toBeGreaterThan(0);
    expect(cards.filter((c) => clothes.has(c.id) && c.seenIn)).toEqual([]);
    await page.close();
  });

  it('a catalog without scenes offers no "Seen in"', async () => {
    const { page } = await openApp(env.context, `${env.url}?catalog=catalog/no-scenes/catalog.json&backend=wasm`);
    await waitReady(page);
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/Test catalog/);
    await searchPhoto(page, resolve(fixture.items.find((r) => r.category === 'sofa')!.path!));
    expect(await page.getByTestId('result').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('seen-in').count()).toBe(0);
    await page.close();
  });
});
