/**
 * A million-item catalog opened and searched in the built app, as a shopper would: `npm run bench:search -- --browser`.
 *
 * The catalog is synthetic but built like a shop's: real-distribution vectors (scripts/lib/synthetic-vectors.ts)
 * sampled around the real H&M + IKEA embeddings of `.cache/catalogs/real`, each item carrying the metadata and
 * thumbnail of the real product it was sampled around (so item files weigh what real ones do), written by the
 * indexer's own writer as a partitioned catalog (format 2) with the app's models' ensemble id, and served by the
 * app's preview server. Query photos are product photos of those real products, so each query has look-alikes
 * among the million.
 *
 * Measured in Chromium on wasm: opening the catalog (bytes, time), then per photo the first search (embed + search
 * time, bytes the search downloaded, items searched), and the same photo again (partitions on the device). Memory:
 * `performance.measureUserAgentSpecificMemory()` (page and its workers; the app is cross-origin isolated).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CatalogItem } from '../../src/shared/catalog-format.ts';
import { dequantize } from '../../src/shared/catalog-shards.ts';
import { DATASETS, ROOT, launchBrowser, startApp } from './browser-app.ts';
import { readCatalogDir, writeCatalog } from './catalog-files.ts';
import { realDistributionVectors } from './synthetic-vectors.ts';

export interface MillionQuery {
  photo: string;
  /** Photo chosen → the first answer (the status line's figure: embed + search), and that search alone. */
  firstMs: number;
  firstSearchMs: number;
  /** Bytes the first answer downloaded, and the items it read. */
  firstBytes: number;
  firstItemsSearched: number;
  /** Photo chosen → the refined answer in place (measured from the test driver), its bytes in all and items read. */
  fullMs: number;
  fullBytes: number;
  itemsSearched: number;
  /** The same photo again, both stages (its partitions on the device): search time in all. */
  againSearchMs: number;
  againBytes: number;
}

export interface MillionResult {
  date: string;
  items: number;
  partitions: number;
  catalogBytes: number;
  catalogJsonBytes: number;
  centroidBytes: number;
  buildSeconds?: number;
  /** Page opened with the catalog → the catalog bar names it (models already cached). */
  openMs: number;
  queries: MillionQuery[];
  /** catalog.json + centroid file + the first query's first answer's downloads. */
  bytesBeforeFirstResults: number;
  /** Page and workers, after the queries (undefined where the browser does not measure it). */
  memoryBytes?: number;
  backend: string;
}

const CATALOG_NAME = 'million';

/** Product photos of real catalog items (two H&M flat-lays, one IKEA product): each has look-alikes among the million. */
export function millionPhotos(): string[] {
  return ['hm-catalog/images/0145872052.jpg', 'hm-catalog/images/0189626001.jpg', 'ikea/products/802.538.09.jpg'].map((p) => resolve(DATASETS, p));
}

/** Writes the synthetic catalog into `out` unless a complete one for the same inputs is there. Returns build seconds (0: reused). */
export async function buildMillionCatalog(out: string, count: number, realDir: string, log: (s: string) => void): Promise<number> {
  const realJson = readFileSync(join(realDir, 'catalog.json'), 'utf8');
  const stamp = JSON.stringify({ count, real: (JSON.parse(realJson) as { createdAt?: string }).createdAt, version: 1 });
  const stampFile = join(out, '.bench-stamp.json');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && existsSync(join(out, 'catalog.json'))) return 0;
  const started = performance.now();
  log(`building a ${count.toLocaleString('en')}-item catalog in ${out} (once; reused while its inputs stay the same)…`);
  const real = await readCatalogDir(realDir);
  const d = real.meta.dimension;
  const seeds = new Float32Array(real.items.length * d);
  let row = 0;
  for (const shard of real.shards) for (let i = 0; i < shard.count; i++, row++) seeds.set(dequantize(shard, i), row * d);
  // Each synthetic item carries the metadata of the real product it was sampled around.
  const picked = new Int32Array(count);
  const flat = realDistributionVectors(seeds, real.items.length, d, count, 1, undefined, picked);
  const items: CatalogItem[] = [];
  const vectors: Float32Array[] = [];
  for (let i = 0; i < count; i++) {
    const source = real.items[picked[i]!]!;
    items.push({ ...source, id: `${source.id}~${i}`, title: `${source.title} #${i}` });
    vectors.push(flat.subarray(i * d, (i + 1) * d));
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  symlinkSync(resolve(realDir, 'thumbs'), join(out, 'thumbs'), 'junction');
  writeCatalog(
    out,
    {
      name: `Synthetic shop (${count.toLocaleString('en')} items)`,
      ensembleId: real.meta.ensembleId,
      modelSha256: real.meta.modelSha256,
      dimension: d,
      items,
      vectors,
    },
    {
      partitioned: true,
      onPartitionProgress: (p) => log(`  k-means: ${p.done.toLocaleString('en')} of ${p.total.toLocaleString('en')} items clustered (${p.group})`),
    },
  );
  writeFileSync(stampFile, stamp);
  return (performance.now() - started) / 1000;
}

/** Serves `dir` at catalog/million/ of the production build (dist/catalog/ is served with it). */
function serveCatalog(dir: string): string {
  const link = resolve(ROOT, 'dist/catalog', CATALOG_NAME);
  mkdirSync(resolve(ROOT, 'dist/catalog'), { recursive: true });
  rmSync(link, { recursive: true, force: true });
  symlinkSync(dir, link, 'junction');
  return `catalog/${CATALOG_NAME}/catalog.json`;
}

const msIn = (text: string | null): number => {
  const m = text?.match(/([\d.]+) (ms|s)\b/);
  if (!m) throw new Error(`no time in ${JSON.stringify(text)}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
};

/** Opens the app on the catalog in a fresh browser and searches each photo twice. */
export async function measureMillion(dir: string, photos: string[], log: (s: string) => void): Promise<Omit<MillionResult, 'buildSeconds' | 'date'>> {
  const url = serveCatalog(dir);
  const json = JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8')) as {
    count: number;
    shards: { bytes: number }[];
    items: { bytes: number }[];
    partitions: { centroids: { bytes: number }; list: unknown[] };
  };
  const app = await startApp();
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext();
    // First visit without the catalog: the models download and are cached, so the timed open is the catalog's alone.
    const warm = await context.newPage();
    await warm.goto(`${app.url}?backend=wasm`);
    await warm.waitForFunction(() => document.querySelector('[data-testid="app"]')?.getAttribute('data-phase') === 'ready', undefined, { timeout: 600_000 });
    await warm.close();
    const page = await context.newPage();
    const started = performance.now();
    await page.goto(`${app.url}?backend=wasm&catalog=${url}`);
    await page.waitForFunction((n) => document.querySelector('[data-testid="catalog"]')?.textContent?.includes(n) ?? false, 'Synthetic shop', {
      timeout: 600_000,
    });
    const openMs = performance.now() - started;
    log(`  opened in ${Math.round(openMs)} ms`);
    const queries: MillionQuery[] = [];
    const search = async (photo: string) => {
      const before = await page.getByTestId('status').textContent();
      const started = performance.now();
      await page.getByTestId('photo-input').setInputFiles(photo);
      await page.waitForFunction(
        (prev) => {
          const t = document.querySelector('[data-testid="status"]')?.textContent ?? '';
          return t !== prev && /^Looked at|could not|not /.test(t);
        },
        before,
        { timeout: 600_000 },
      );
      const status = await page.getByTestId('status').textContent();
      if (!/^Looked at/.test(status ?? '')) throw new Error(status ?? 'no answer');
      const coverage = page.getByTestId('coverage');
      const first = {
        ms: msIn(status),
        searchMs: msIn(await page.getByTestId('search-ms').textContent()),
        searched: Number(await coverage.getAttribute('data-searched')),
        bytes: Number(await coverage.getAttribute('data-bytes')),
      };
      await page.waitForFunction(() => document.querySelector('[data-testid="coverage"]')?.getAttribute('data-refining') === 'false', undefined, {
        timeout: 600_000,
        polling: 20,
      });
      return {
        first,
        fullMs: performance.now() - started,
        searchMs: msIn(await page.getByTestId('search-ms').textContent()),
        searched: Number(await coverage.getAttribute('data-searched')),
        bytes: Number(await coverage.getAttribute('data-bytes')),
      };
    };
    for (const photo of photos) {
      const once = await search(photo);
      const again = await search(photo);
      queries.push({
        photo: photo.split('/').pop()!,
        firstMs: once.first.ms,
        firstSearchMs: once.first.searchMs,
        firstBytes: once.first.bytes,
        firstItemsSearched: once.first.searched,
        fullMs: once.fullMs,
        fullBytes: once.bytes,
        itemsSearched: once.searched,
        againSearchMs: again.searchMs,
        againBytes: again.bytes,
      });
      log(
        `  ${photo.split('/').pop()}: first answer ${Math.round(once.first.ms)} ms (${(once.first.bytes / 1e6).toFixed(1)} MB, ${once.first.searched} items), ` +
          `refined ${Math.round(once.fullMs)} ms (${(once.bytes / 1e6).toFixed(1)} MB, ${once.searched} items); again ${Math.round(again.searchMs)} ms`,
      );
    }
    const memoryBytes = await page.evaluate(async () => {
      const p = performance as Performance & { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> };
      return p.measureUserAgentSpecificMemory ? (await p.measureUserAgentSpecificMemory()).bytes : undefined;
    });
    const catalogJsonBytes = statSync(join(dir, 'catalog.json')).size;
    return {
      items: json.count,
      partitions: json.partitions.list.length,
      catalogBytes: [...json.shards, ...json.items].reduce((n, f) => n + f.bytes, 0) + json.partitions.centroids.bytes,
      catalogJsonBytes,
      centroidBytes: json.partitions.centroids.bytes,
      openMs,
      queries,
      bytesBeforeFirstResults: catalogJsonBytes + json.partitions.centroids.bytes + (queries[0]?.firstBytes ?? 0),
      ...(memoryBytes !== undefined ? { memoryBytes } : {}),
      backend: 'wasm',
    };
  } finally {
    await browser.close();
    await app.close();
  }
}
