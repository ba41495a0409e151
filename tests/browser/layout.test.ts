/**
 * Phone and desktop polish: on a touch screen no keyboard tips and two photo buttons (choose, take), a header
 * that stays on one line with the Offline badge; on a wide screen the photo sits beside its results.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTestCatalogApp } from './catalog-fixture.ts';
import { SKIP_DATASETS, hasDatasets, waitReady } from './harness.ts';

describe.skipIf(!hasDatasets)(`layout on phones and desktops ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  const app = withTestCatalogApp();

  it('a phone gets no keyboard tips, two photo buttons, and a one-line header when offline', async () => {
    const phone = await app.env.browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
    const page = await phone.newPage();
    await page.goto(`${app.env.url}?catalog=${app.fixture.url}&backend=wasm`);
    await waitReady(page);
    expect(await page.getByText(/Ctrl\+V/).isVisible()).toBe(false);
    const visibleButtons = await page
      .locator('.picker-buttons > *')
      .evaluateAll((els) => els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => e.textContent?.trim()));
    expect(visibleButtons).toEqual(['Choose a photo', 'Take a photo']);
    await phone.setOffline(true);
    await page.evaluate(() => dispatchEvent(new Event('offline')));
    await page.locator('.badge.offline').waitFor();
    const header = await page
      .locator('header.topbar')
      .evaluate((h) => ({ height: h.getBoundingClientRect().height, title: h.querySelector('h1')!.getBoundingClientRect().height }));
    expect(header.height).toBeLessThan(header.title + 30); // one line: no badge wrapped under the title
    const badges = await page.locator('.badge').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
    for (const h of badges) expect(h).toBeLessThan(32); // not stretched to the install button's height
    await phone.close();
  });

  it('a desktop shows the photo beside its results, the first results in view', async () => {
    const page = await app.env.context.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${app.env.url}?catalog=${app.fixture.url}&backend=wasm`);
    await waitReady(page);
    await page.getByTestId('photo-input').setInputFiles(resolve(app.fixture.items.find((r) => r.category === 'chair')!.path!));
    const first = page.getByTestId('result').first();
    await first.waitFor({ timeout: 120_000 });
    await page.waitForTimeout(1000); // the results' smooth scroll into view
    const photo = await page.locator('.search-photo').boundingBox();
    const card = await first.boundingBox();
    expect(card!.x).toBeGreaterThan(photo!.x + photo!.width - 1); // beside, not below
    expect(card!.y + card!.height).toBeLessThanOrEqual(800);
    await page.close();
  });
});
