/**
 * "Shoppers like you" in the built app: anonymous events of two clear groups
 * (lamp lovers, sofa lovers) are clustered offline by `npm run clusters` into a
 * copy of the test catalog; a shopper who wishlists lamps is matched to the
 * lamp lovers on the device and For-you blends in their favourite, an item
 * similarity alone leaves out (the same shopper on the catalog without
 * clusters does not get it). Every request is a GET of the app's own files.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalogDir } from '../../scripts/lib/ranking-sim.ts';
import { profileFromSignals, tasteSimilarity } from '../../src/personal/profile.ts';
import { tasteSpaceOf } from '../../src/personal/taste-space.ts';
import { SERVED_DIR, buildTestCatalog, variantCatalog } from './catalog-fixture.ts';
import { ROOT, SKIP_DATASETS, hasDatasets, openApp, startBrowserApp, waitReady, type BrowserApp } from './harness.ts';

const FOR_YOU_SIZE = 12; // ForYou's limit in src/app/PersonalPanels.tsx

/**
 * The item a shopper who wishlisted `liked` would rank just outside For-you by
 * taste alone (the first after the top FOR_YOU_SIZE), not of `category`.
 */
async function justOutOfReach(liked: string[], category: string): Promise<string> {
  const catalog = await loadCatalogDir(SERVED_DIR);
  const profile = profileFromSignals(
    liked.map((itemId) => ({ itemId, kind: 'wishlist' as const, weight: 1 })),
    catalog.embedding,
    1,
    tasteSpaceOf(catalog),
  );
  const ranked = catalog.items
    .filter((i) => !liked.includes(i.id))
    .map((i) => ({ ...i, taste: tasteSimilarity(profile, catalog.embedding(i.id))! }))
    .sort((a, b) => b.taste - a.taste);
  return ranked.slice(FOR_YOU_SIZE).find((i) => i.category !== category)!.id;
}

/** An events file: `users` shoppers per group, each wishlisting 2 of the group's items (varied) and the group's favourite, clicking the third. */
function eventsCsv(groups: { name: string; items: string[]; favourite: string }[], users = 12): string {
  const lines = ['user,item_id,event'];
  for (const g of groups) {
    for (let u = 0; u < users; u++) {
      const skip = u % g.items.length;
      g.items.forEach((id, i) => lines.push(`${g.name}-${u},${id},${i === skip ? 'click' : 'wishlist'}`));
      lines.push(`${g.name}-${u},${g.favourite},wishlist`);
      if (u % 2) lines.push(`${g.name}-${u},${g.favourite},click`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Wishlists `ids` from the results of a photo search, then reloads to show For-you; answers its items and reasons. */
async function forYouAfterWishlisting(page: Page, photo: string, ids: string[]): Promise<{ id: string; why: string }[]> {
  await waitReady(page);
  await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/Test catalog/);
  const skip = page.getByRole('button', { name: 'Skip' });
  if (await skip.isVisible()) await skip.click();
  await page.getByTestId('photo-input').setInputFiles(photo);
  await page.getByTestId('result').first().waitFor({ timeout: 120_000 });
  for (const id of ids) {
    const card = page.locator(`[data-testid="result"][data-item-id="${id}"]`);
    await card.getByTestId('wishlist-toggle').click();
    await expect.poll(() => card.getByTestId('wishlist-toggle').getAttribute('aria-pressed')).toBe('true');
  }
  await page.reload();
  await waitReady(page);
  await page.getByTestId('for-you-item').first().waitFor({ timeout: 60_000 });
  // For-you settles once the profile (and the cluster) are loaded: wait for the taste reasons.
  await expect.poll(() => page.getByTestId('for-you').getByTestId('why').first().textContent(), { timeout: 30_000 }).toMatch(/Matches your taste/);
  return page.getByTestId('for-you-item').evaluateAll((els) =>
    els.map((e) => ({
      id: e.getAttribute('data-item-id')!,
      why: `${e.querySelector('[data-testid="why"]')?.textContent ?? ''} | ${e.querySelector('[data-testid="why-detail"]')?.textContent ?? ''}`,
    })),
  );
}

describe.skipIf(!hasDatasets)(`shoppers like you (taste clusters) ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  let env: BrowserApp;
  let fixture: Awaited<ReturnType<typeof buildTestCatalog>>;
  let lamps: string[];
  let sofas: string[];
  let lampFavourite: string;
  let sofaFavourite: string;
  let clustered: string;

  beforeAll(async () => {
    fixture = await buildTestCatalog();
    const ids = (category: string) => fixture.items.filter((r) => r.category === category).map((r) => r.item_id!);
    lamps = ids('lamp');
    sofas = ids('sofa');
    expect(lamps.length).toBeGreaterThanOrEqual(3);
    lampFavourite = await justOutOfReach(lamps.slice(0, 2), 'lamp');
    sofaFavourite = await justOutOfReach(sofas.slice(0, 2), 'sofa');
    // The clusters script on a copy of the test catalog; it records clusters.json in that copy's catalog.json.
    clustered = variantCatalog('clusters', (j) => j);
    const dir = resolve(ROOT, 'dist', clustered, '..');
    const events = resolve(dir, '..', 'clusters-events.csv');
    writeFileSync(
      events,
      eventsCsv([
        { name: 'lamp-lover', items: lamps, favourite: lampFavourite },
        { name: 'sofa-lover', items: sofas, favourite: sofaFavourite },
      ]),
    );
    execFileSync(
      resolve(ROOT, 'node_modules/.bin/tsx'),
      ['scripts/catalog/clusters.ts', events, '--catalog', dir, '--out', resolve(dir, 'clusters.json'), '--k-max', '4'],
      { cwd: ROOT, stdio: 'pipe' },
    );
    expect(JSON.parse(readFileSync(resolve(dir, 'catalog.json'), 'utf8')).clusters?.path).toBe('clusters.json');
    env = await startBrowserApp();
  }, 300_000);
  afterAll(() => env?.close());

  it('a lamp shopper gets the lamp lovers’ favourite in For-you, with the reason, and nothing leaves the app', async () => {
    const origin = new URL(env.url).origin;
    const requests: string[] = [];
    env.context.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
    const lamp = fixture.items.find((r) => r.item_id === lamps[0])!;
    const liked = lamps.slice(0, 2);

    // Control: the same shopper on the catalog without clusters does not reach the favourite.
    const plain = await openApp(env.context, `${env.url}?catalog=${fixture.url}&backend=wasm`);
    const withoutClusters = await forYouAfterWishlisting(plain.page, resolve(lamp.path!), liked);
    expect(withoutClusters.map((r) => r.id)).not.toContain(lampFavourite);
    expect(withoutClusters.some((r) => /shoppers like you/.test(r.why))).toBe(false);
    await plain.page.close();

    // With the cluster file, on the device: matched to the lamp lovers, their favourite blended in.
    const { page, errors } = await openApp(env.context, `${env.url}?catalog=${clustered}&backend=wasm`);
    const withClusters = await forYouAfterWishlisting(page, resolve(lamp.path!), liked);
    const favourite = withClusters.find((r) => r.id === lampFavourite);
    expect(favourite, `For-you: ${withClusters.map((r) => r.id).join(', ')}`).toBeDefined();
    // In words, with the figures one tap away.
    expect(favourite!.why).toMatch(/^Matches your taste · popular with shoppers like you \| your taste -?\d\.\d\d · shoppers like you \+0\.\d\d$/);
    // Only the lamp lovers' favourites carry the cluster reason (never the sofa lovers' own).
    const lampCluster = new Set([...lamps, lampFavourite]);
    for (const r of withClusters.filter((x) => /shoppers like you/.test(x.why))) expect(lampCluster.has(r.id), `${r.id}: ${r.why}`).toBe(true);
    if (!lampCluster.has(sofaFavourite)) expect(withClusters.find((r) => r.id === sofaFavourite)?.why ?? '').not.toMatch(/shoppers like you/);
    expect(errors).toEqual([]);
    await page.close();

    // Privacy: every request of both sessions is a GET of one of the app's own static files.
    expect(
      requests.some((r) => r.includes(`/${clustered.replace('catalog.json', 'clusters.json')}`)),
      'the cluster file was fetched with the catalog',
    ).toBe(true);
    for (const line of requests) {
      const [method, url] = line.split(' ') as [string, string];
      if (url.startsWith('blob:') || url.startsWith('data:')) continue;
      expect(method, line).toBe('GET');
      const u = new URL(url);
      expect(u.origin, line).toBe(origin);
      const file = u.pathname === '/' ? 'index.html' : decodeURIComponent(u.pathname.slice(1));
      expect(existsSync(resolve(ROOT, 'dist', file)), `${line} is not one of the app's files`).toBe(true);
    }
  });
});
