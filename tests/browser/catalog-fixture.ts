/**
 * The browser tests' catalog (scripts/lib/test-catalog.ts builds it), and variants of it: edited
 * catalog.json, replaced or damaged files.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { readCatalogDir, writeCatalog } from '../../scripts/lib/catalog-files.ts';
import { buildTestCatalog, SERVED_DIR } from '../../scripts/lib/test-catalog.ts';
import { SearchIndex } from '../../workers/search/search-index.ts';
import { type BrowserApp, openApp, ROOT, startBrowserApp, waitReady } from './harness.ts';

export { SERVED_DIR, buildTestCatalog } from '../../scripts/lib/test-catalog.ts';

/** A copy of the test catalog with catalog.json changed by `edit`, served at catalog/<name>/. */
export function variantCatalog(name: string, edit: (json: Record<string, unknown>) => unknown): string {
  const dir = resolve(ROOT, 'dist/catalog', name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(SERVED_DIR, dir, { recursive: true });
  const json = JSON.parse(readFileSync(resolve(dir, 'catalog.json'), 'utf8'));
  const edited = edit(json);
  writeFileSync(resolve(dir, 'catalog.json'), typeof edited === 'string' ? edited : JSON.stringify(edited));
  return `catalog/${name}/catalog.json`;
}

/** The sha256 of some bytes, as catalog.json lists it. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Serves `served` as file `path` of the catalog at catalog/<name>/ and lists
 * `listed` for it in catalog.json (size and sha256; by default the served bytes
 * themselves). Listing other bytes than are served makes a damaged download.
 */
export function replaceCatalogFile(
  name: string,
  path: string,
  served: Uint8Array,
  listed: Uint8Array = served,
  edit?: (json: Record<string, unknown>) => void,
): void {
  const dir = resolve(ROOT, 'dist/catalog', name);
  writeFileSync(resolve(dir, path), served);
  const json = JSON.parse(readFileSync(resolve(dir, 'catalog.json'), 'utf8')) as Record<string, unknown>;
  for (const list of ['shards', 'items'] as const) {
    for (const f of json[list] as { path: string; bytes: number; sha256: string }[]) {
      if (f.path !== path) continue;
      f.bytes = listed.byteLength;
      f.sha256 = sha256(listed);
    }
  }
  edit?.(json);
  writeFileSync(resolve(dir, 'catalog.json'), JSON.stringify(json));
}

/** A file of the served test catalog (dist/catalog/test/), as built. */
export function testCatalogFile(path: string): Buffer {
  return readFileSync(resolve(SERVED_DIR, path));
}

/** What `withTestCatalogApp` gives a describe block once its beforeAll ran. */
export interface TestCatalogApp {
  env: BrowserApp;
  fixture: Awaited<ReturnType<typeof buildTestCatalog>>;
  /** A fresh page on the app with the test catalog open, on wasm, ready for a photo. */
  open(): Promise<Page>;
}

/**
 * For a describe block: builds (or reuses) the test catalog and serves the built app in Chromium before its tests,
 * and closes both after them. Read `env` and `fixture` inside the tests (they are set by then).
 */
export function withTestCatalogApp(): TestCatalogApp {
  const app = {
    open: async () => {
      const { page } = await openApp(app.env.context, `${app.env.url}?catalog=${app.fixture.url}&backend=wasm`);
      await waitReady(page);
      return page;
    },
  } as TestCatalogApp;
  beforeAll(async () => {
    app.fixture = await buildTestCatalog();
    app.env = await startBrowserApp();
  });
  afterAll(() => app.env?.close());
  return app;
}

/**
 * The test catalog rewritten as a partitioned catalog (format 2, partitions of at most `partitionSize` items) at
 * catalog/<name>/, with `probeItems` as its search budget (and `firstItems` for the quick first answer): same items,
 * thumbnails and vectors.
 */
export async function partitionedCatalog(name: string, partitionSize: number, probeItems: number, firstItems?: number): Promise<string> {
  const dir = resolve(ROOT, 'dist/catalog', name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(SERVED_DIR, dir, { recursive: true });
  const loaded = await readCatalogDir(dir);
  const index = new SearchIndex(loaded);
  const vectors = loaded.items.map((_, i) => index.vector(i));
  const { meta } = loaded;
  writeCatalog(
    dir,
    {
      name: `${meta.name} (partitioned)`,
      ensembleId: meta.ensembleId,
      modelSha256: meta.modelSha256,
      dimension: meta.dimension,
      items: loaded.items,
      vectors,
      ...(meta.scenes ? { scenes: meta.scenes } : {}),
      ...(meta.currency ? { currency: meta.currency } : {}),
    },
    { partitioned: true, partitionSize },
  );
  const json = JSON.parse(readFileSync(resolve(dir, 'catalog.json'), 'utf8')) as { partitions: { probeItems?: number; firstItems?: number } };
  json.partitions.probeItems = probeItems;
  if (firstItems !== undefined) json.partitions.firstItems = firstItems;
  writeFileSync(resolve(dir, 'catalog.json'), JSON.stringify(json));
  return `catalog/${name}/catalog.json`;
}
