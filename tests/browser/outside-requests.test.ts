/**
 * A hostile catalog cannot make the app talk to another site (issue #26).
 * Every request of the browser context is recorded while the app opens a set
 * of hostile catalogs and searches them: file paths and image paths that the
 * URL parser turns into another host (leading spaces, tabs and line breaks
 * inside, protocol-relative, backslashes), absolute URLs of another site,
 * javascript: and data: URLs, in each place a catalog names a URL (shards,
 * item files, the clusters file, thumbnails, scene photos). The test fails on
 * any request whose origin is neither the app's nor the catalog's.
 *
 * The catalogs are served from a second origin (http://shop.test, routed to
 * the files on disk) so the catalog's origin and the app's differ; the other
 * site (http://other.example) is routed too and answers with the catalog's
 * own bytes, as an attacker's host would, so nothing leaves the machine.
 */
import { readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import type { BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestCatalog, replaceCatalogFile, sha256, testCatalogFile, variantCatalog } from './catalog-fixture.ts';
import { ROOT, SKIP_DATASETS, hasDatasets, launchBrowser, startApp, waitReady } from './harness.ts';

const SHOP = 'http://shop.test';
const OTHER = 'http://other.example';
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

/** Ways to write a URL of another site (or a script) that a check of the raw string may take for a relative path. */
const TRICKS: [name: string, make: (path: string) => string][] = [
  ['leading space', (p) => ` ${OTHER}/${p}`],
  ['tab inside the scheme', (p) => `ht\ttp://other.example/${p}`],
  ['line break then //', (p) => `\n//other.example/${p}`],
  ['tab then //', (p) => `\t//other.example/${p}`],
  ['line break inside //', (p) => `/\n/other.example/${p}`],
  ['backslashes', (p) => `\\\\other.example\\${p}`],
  ['absolute URL', (p) => `${OTHER}/${p}`],
  ['protocol-relative', (p) => `//other.example/${p}`],
  ['javascript:', (p) => `javascript:fetch('${OTHER}/${p}')`],
  ['data:', () => `data:image/png;base64,${PNG_1X1.toString('base64')}`],
];

const TYPES: Record<string, string> = { '.json': 'application/json', '.bin': 'application/octet-stream', '.jpg': 'image/jpeg', '.png': 'image/png' };

interface CatalogJsonShape {
  shards: { path: string; bytes: number; sha256: string }[];
  items: { path: string; bytes: number; sha256: string }[];
  scenes?: { image: string; thumbnail?: string }[];
  clusters?: { path: string; bytes: number; sha256: string };
}

/** A minimal valid cluster file for the test catalog's dimension (what an attacker's host would serve). */
function clusterFile(dim: number): Buffer {
  const centroid = Array.from({ length: dim }, (_, i) => (i === 0 ? 1 : 0));
  return Buffer.from(
    JSON.stringify({
      format: 'lookalike-clusters',
      version: 1,
      catalogId: null,
      createdAt: '2026-01-01T00:00:00Z',
      dim,
      space: 'raw',
      k: 1,
      selection: { ks: [1], inertia: [0], silhouette: [0], elbowK: 1, silhouetteK: 1, chosenK: 1, rule: 'test' },
      clusters: [{ id: 0, size: 1, centroid, favourites: [] }],
    }),
  );
}

type Where = 'files' | 'scenes' | 'thumbnails';

/** The hostile variants: for each trick, one catalog whose files (shards, item files, clusters) are named with it, one whose scene photos are, one whose thumbnails are. */
function hostileCatalogs(): { name: string; trick: string; where: Where }[] {
  const base = JSON.parse(testCatalogFile('catalog.json').toString()) as CatalogJsonShape & { dimension: number };
  const clusters = clusterFile(base.dimension);
  const out: { name: string; trick: string; where: Where }[] = [];
  TRICKS.forEach(([trick, make], t) => {
    const files = `hostile-${t}-files`;
    variantCatalog(files, (j) => {
      const json = j as unknown as CatalogJsonShape & { name: string };
      json.name = `Hostile ${files}`;
      for (const f of [...json.shards, ...json.items]) f.path = make(f.path);
      json.clusters = { path: make('clusters.json'), bytes: clusters.byteLength, sha256: sha256(clusters) };
      return json;
    });
    out.push({ name: files, trick, where: 'files' });

    const scenes = `hostile-${t}-scenes`;
    variantCatalog(scenes, (j) => {
      const json = j as unknown as CatalogJsonShape & { name: string };
      json.name = `Hostile ${scenes}`;
      for (const s of json.scenes ?? []) {
        s.image = make(s.image);
        if (s.thumbnail) s.thumbnail = make(s.thumbnail);
      }
      return json;
    });
    out.push({ name: scenes, trick, where: 'scenes' });

    const thumbnails = `hostile-${t}-thumbnails`;
    variantCatalog(thumbnails, (j) => ({ ...j, name: `Hostile ${thumbnails}` }));
    for (const f of base.items) {
      const list = JSON.parse(testCatalogFile(f.path).toString()) as { thumbnail?: string }[];
      for (const item of list) if (item.thumbnail) item.thumbnail = make(item.thumbnail);
      replaceCatalogFile(thumbnails, f.path, Buffer.from(JSON.stringify(list)));
    }
    out.push({ name: thumbnails, trick, where: 'thumbnails' });
  });
  return out;
}

/** Serves dist/<path> for the shop's origin (CORS open, as a shop serving its catalog to the app must). */
async function serveShop(route: Route, url: URL): Promise<void> {
  try {
    const body = readFileSync(resolve(ROOT, 'dist', `.${decodeURIComponent(url.pathname)}`));
    await route.fulfill({
      status: 200,
      body,
      headers: { 'content-type': TYPES[extname(url.pathname)] ?? 'application/octet-stream', 'access-control-allow-origin': '*' },
    });
  } catch {
    await route.fulfill({ status: 404, body: 'not found', headers: { 'access-control-allow-origin': '*' } });
  }
}

/** The other site answers with what an attacker would: the test catalog's own file of that name, else a tiny image. */
async function serveOther(route: Route, url: URL, dim: number): Promise<void> {
  const name = basename(url.pathname);
  let body: Buffer = PNG_1X1;
  if (name === 'clusters.json') body = clusterFile(dim);
  else {
    try {
      body = testCatalogFile(decodeURIComponent(url.pathname).replace(/^\/+/, ''));
    } catch {
      /* not a file of the catalog: the image */
    }
  }
  await route.fulfill({ status: 200, body, headers: { 'content-type': TYPES[extname(name)] ?? 'image/png', 'access-control-allow-origin': '*' } });
}

describe.skipIf(!hasDatasets)(`requests a hostile catalog can cause ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let fixture: Awaited<ReturnType<typeof buildTestCatalog>>;
  let hostile: ReturnType<typeof hostileCatalogs>;
  /** Every request the context made: [url, what was open at the time]. */
  const requests: { url: string; during: string }[] = [];
  let during = 'start';

  beforeAll(async () => {
    fixture = await buildTestCatalog();
    hostile = hostileCatalogs();
    const dim = (JSON.parse(testCatalogFile('catalog.json').toString()) as { dimension: number }).dimension;
    app = await startApp();
    browser = await launchBrowser();
    // No service worker: every request the app makes reaches the routes below, none is answered from a cache.
    context = await browser.newContext({ serviceWorkers: 'block' });
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      requests.push({ url: url.href, during });
      if (url.origin === SHOP) return serveShop(route, url);
      if (url.origin === OTHER) return serveOther(route, url, dim);
      if (url.origin === new URL(app.url).origin) return route.continue();
      return route.abort(); // anything else never leaves the machine either
    });
    // Counts catalog opens that have ended (the progress bar shown while one runs has gone again).
    await context.addInitScript(() => {
      const w = window as unknown as { __opensDone: number };
      w.__opensDone = 0;
      let showing = false;
      new MutationObserver(() => {
        const now = !!document.querySelector('[data-testid="progress"]');
        if (showing && !now) w.__opensDone++;
        showing = now;
      }).observe(document, { subtree: true, childList: true });
    });
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await app?.close();
  });

  /** Opens a catalog the way a shopper does; says whether it opened, and the status line (the app's answer). */
  async function openCatalog(page: Page, url: string, name: string): Promise<{ opened: boolean; message: string }> {
    const done = await page.evaluate(() => (window as unknown as { __opensDone: number }).__opensDone);
    await page.getByRole('button', { name: 'Open another catalog' }).click();
    await page.getByLabel('Catalog URL (catalog.json)').fill(url);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.waitForFunction((n) => (window as unknown as { __opensDone: number }).__opensDone > n, done, { timeout: 60_000 });
    await expect.poll(() => page.getByTestId('app').getAttribute('data-phase')).toBe('ready');
    const message = (await page.getByTestId('status').textContent()) ?? '';
    const line = (await page.getByTestId('catalog').textContent()) ?? '';
    return { opened: line.startsWith(name), message };
  }

  /** Searches a photo and opens "Seen in" on the first result that offers it, so thumbnails and scene photos are shown. */
  async function searchAndLook(page: Page): Promise<void> {
    const sofa = fixture.items.find((r) => r.category === 'sofa')!;
    const before = await page.getByTestId('status').textContent();
    await page.getByTestId('photo-input').setInputFiles(resolve(sofa.path!));
    await expect
      .poll(async () => (await page.getByTestId('status').textContent()) !== before && (await page.getByTestId('app').getAttribute('data-phase')) === 'ready', {
        timeout: 120_000,
      })
      .toBe(true);
    await page.getByTestId('result').first().waitFor({ timeout: 120_000 });
    const seenIn = page.getByTestId('seen-in').first();
    if (await seenIn.count()) {
      await seenIn.click();
      await page
        .getByTestId('scene')
        .first()
        .waitFor({ timeout: 30_000 })
        .catch(() => undefined);
      await page
        .getByTestId('scene')
        .first()
        .click()
        .catch(() => undefined);
      await page.waitForTimeout(500);
      await page.keyboard.press('Escape');
    }
    // Let lazy images start loading.
    await page.mouse.wheel(0, 4000);
    await page.waitForTimeout(1000);
  }

  it('opens hostile catalogs and searches them without a single request to another site', async () => {
    const appOrigin = new URL(app.url).origin;
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    during = 'the app starting';
    await page.goto(`${app.url}?backend=wasm&catalog=${encodeURIComponent(`${SHOP}/${fixture.url}`)}`);
    await waitReady(page);
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/Test catalog/);

    // Control: the honest catalog on the shop's origin works, and its files and thumbnails come from there (the recorder sees the worker's requests too).
    during = 'the honest catalog';
    await searchAndLook(page);
    expect(
      requests.some((r) => r.url.startsWith(`${SHOP}/catalog/test/`) && r.url.includes('.bin')),
      'the shard was fetched from the shop',
    ).toBe(true);
    expect(
      requests.some((r) => r.url.startsWith(`${SHOP}/catalog/test/`) && /\.(jpg|png|webp)/.test(r.url)),
      'thumbnails were shown from the shop',
    ).toBe(true);

    const outcomes: string[] = [];
    for (const h of hostile) {
      during = `${h.name} (${h.trick} in its ${h.where})`;
      const { opened, message } = await openCatalog(page, `${SHOP}/catalog/${h.name}/catalog.json`, `Hostile ${h.name}`);
      if (opened) await searchAndLook(page);
      outcomes.push(`${h.trick} in ${h.where}: ${opened ? 'opened' : `refused: ${message}`}`);
    }
    console.log(outcomes.map((o) => `[outside-requests] ${o}`).join('\n'));

    const outside = requests.filter((r) => {
      if (r.url.startsWith('data:') || r.url.startsWith(`blob:${appOrigin}/`)) return false;
      const origin = new URL(r.url).origin;
      return origin !== appOrigin && origin !== SHOP;
    });
    expect(outside.map((r) => `${r.url} (while opening ${r.during})`)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
