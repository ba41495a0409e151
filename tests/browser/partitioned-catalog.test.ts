/**
 * A partitioned catalog (format 2) in the built app: opening it downloads catalog.json and the centroid file only; a
 * search downloads the partitions nearest the photo and finds the product photographed; "More results" reads more of
 * the catalog; a partition that fails its sha256 check is named while the rest answer.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestCatalog, partitionedCatalog, replaceCatalogFile } from './catalog-fixture.ts';
import { ROOT, SKIP_DATASETS, afterStatus, hasDatasets, launchProfile, openApp, startApp, startBrowserApp, waitReady, type BrowserApp } from './harness.ts';

const results = (page: Page) => page.getByTestId('result').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')!));

/** Files of catalog/<name>/ the page requested (worker included), as paths inside the catalog. */
function catalogRequests(page: Page, name: string): string[] {
  const seen: string[] = [];
  page.context().on('request', (r) => {
    const path = new URL(r.url()).pathname;
    const at = path.indexOf(`/catalog/${name}/`);
    if (at >= 0) seen.push(path.slice(at + `/catalog/${name}/`.length));
  });
  return seen;
}

describe.skipIf(!hasDatasets)(`a partitioned catalog in the browser ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  let env: BrowserApp;
  let fixture: Awaited<ReturnType<typeof buildTestCatalog>>;
  let url: string;
  let damagedUrl: string;
  let refiningUrl: string;
  let damagedPartition: { id: string; path: string };

  beforeAll(async () => {
    fixture = await buildTestCatalog();
    // 82 items in partitions of at most 8 (one category each); a search reads about 16 items before its first results.
    url = await partitionedCatalog('partitioned', 8, 16);
    damagedUrl = await partitionedCatalog('partitioned-damaged', 8, 16);
    refiningUrl = await partitionedCatalog('partitioned-refining', 8, 40, 1);
    const json = JSON.parse(readFileSync(resolve(ROOT, 'dist/catalog/partitioned-damaged/catalog.json'), 'utf8')) as {
      shards: { path: string }[];
      partitions: { list: { id: string; category?: string }[] };
    };
    // Damage the first partition of shoes: what a shoe photo searches first.
    const shoes = json.partitions.list.findIndex((p) => p.category === 'shoes');
    const path = json.shards.find((s) => s.path.startsWith(`partitions/${String(shoes).padStart(4, '0')}/`))!.path;
    damagedPartition = { id: json.partitions.list[shoes]!.id, path };
    const served = readFileSync(resolve(ROOT, 'dist/catalog/partitioned-damaged', path));
    const listed = Uint8Array.from(served);
    listed[listed.length - 1]! ^= 0xff;
    replaceCatalogFile('partitioned-damaged', path, served, listed);
    env = await startBrowserApp();
  }, 900_000);

  afterAll(async () => {
    await env?.close();
  });

  it('opens with catalog.json and the centroid file, finds the photographed product, and reads more on request', async () => {
    const { page } = await openApp(env.context, 'about:blank');
    const requested = catalogRequests(page, 'partitioned');
    await page.goto(`${env.url}?catalog=${url}&backend=wasm`);
    await waitReady(page);
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/Test catalog \(partitioned\)/);
    expect(requested.filter((p) => p !== 'catalog.json')).toEqual(['centroids.bin']);

    const shoe = fixture.items.find((r) => r.category === 'shoes')!;
    await afterStatus(page, () => page.getByTestId('photo-input').setInputFiles(resolve(shoe.path!)), /^(?!Looking at).*(Looked at|could not|not )/);
    expect((await results(page))[0]).toBe(shoe.item_id);
    const coverage = page.getByTestId('coverage');
    await expect.poll(() => coverage.textContent()).toMatch(/Searched the part of the catalog nearest your photo: \d+ of 82 products \(downloaded/);
    const first = Number((await coverage.textContent())!.match(/: (\d+) of 82/)![1]);
    expect(first).toBeLessThan(82);
    // Only partitions' shards, and the item files of the partitions results came from: never the whole catalog.
    const shards = requested.filter((p) => p.endsWith('.bin') && p !== 'centroids.bin');
    expect(shards.length).toBeGreaterThan(0);
    expect(shards.length).toBeLessThan(JSON.parse(readFileSync(resolve(ROOT, 'dist/catalog/partitioned/catalog.json'), 'utf8')).shards.length);

    await afterStatus(page, () => page.getByTestId('more-results').click(), /^Searched \d+ of 82 products/);
    const second = Number((await coverage.textContent())!.match(/: ([\d,]+) of 82/)![1]);
    expect(second).toBeGreaterThan(first);
    expect((await results(page))[0]).toBe(shoe.item_id);
    await page.close();
  });

  it('answers first from the nearest partition, then shows the fuller answer in place', async () => {
    const { page, errors } = await openApp(env.context, `${env.url}?catalog=${refiningUrl}&backend=wasm`);
    await waitReady(page);
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/partitioned/);
    const shoe = fixture.items.find((r) => r.category === 'shoes')!;
    await afterStatus(page, () => page.getByTestId('photo-input').setInputFiles(resolve(shoe.path!)), /^(?!Looking at).*(Looked at|could not|not )/);
    const coverage = page.getByTestId('coverage');
    // The first answer read one partition; the refinement reads the rest of the 40-item budget and replaces it.
    await expect.poll(() => coverage.getAttribute('data-refining'), { timeout: 60_000 }).toBe('false');
    expect(Number(await coverage.getAttribute('data-searched'))).toBeGreaterThanOrEqual(40);
    expect(await coverage.textContent()).not.toMatch(/Looking at more/);
    expect((await results(page))[0]).toBe(shoe.item_id);
    expect(await page.getByTestId('more-results').isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('offline after one visit: the partitions already read answer the same search; the others are named as not stored', async () => {
    let server: Awaited<ReturnType<typeof startApp>> | undefined = await startApp();
    const profile = await launchProfile();
    try {
      const { page, errors } = await openApp(profile.context, `${server.url}?catalog=${url}&backend=wasm`);
      await waitReady(page);
      await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/partitioned/);
      const shoe = fixture.items.find((r) => r.category === 'shoes')!;
      const search = (path: string) =>
        afterStatus(page, () => page.getByTestId('photo-input').setInputFiles(resolve(path)), /^(?!Looking at).*(Looked at|could not|not )/);
      await search(shoe.path!);
      const online = await results(page);
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));

      await profile.context.setOffline(true);
      await server.close();
      server = undefined;
      await page.reload();
      await waitReady(page);
      await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/partitioned.*82 items/);
      expect(await search(shoe.path!)).toMatch(/Looked at/);
      expect(await results(page)).toEqual(online);
      expect(await page.getByTestId('coverage-failed').count()).toBe(0);
      // A photo of something else needs partitions never read online: they are named, nothing breaks.
      const sofa = fixture.items.find((r) => r.category === 'sofa')!;
      expect(await search(sofa.path!)).toMatch(/Looked at/);
      await expect.poll(() => page.getByTestId('coverage-failed').textContent()).toMatch(/sofa/);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await profile.close();
      await server?.close();
    }
  });

  it('names a partition that fails its check and answers from the others', async () => {
    const { page } = await openApp(env.context, `${env.url}?catalog=${damagedUrl}&backend=wasm`);
    await waitReady(page);
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/partitioned/);
    const shoe = fixture.items.find((r) => r.category === 'shoes')!;
    await afterStatus(page, () => page.getByTestId('photo-input').setInputFiles(resolve(shoe.path!)), /^(?!Looking at).*(Looked at|could not|not )/);
    const failed = page.getByTestId('coverage-failed');
    await expect.poll(() => failed.textContent()).toContain(damagedPartition.id);
    expect(await failed.textContent()).toContain(damagedPartition.path);
    expect((await results(page)).length).toBeGreaterThan(0);
    await page.close();
  });
});
