/**
 * A small real catalog, indexed in Node with the shipped models from a few dataset photos, written under
 * dist/catalog/test/ (build output, never committed): the catalog the browser tests open and the benchmark's
 * soak searches (tests/browser/catalog-fixture.ts, scripts/bench/bench.ts).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCsv } from '../../src/shared/csv.ts';
import { DATASETS, ROOT } from './browser-app.ts';
import { indexCatalog } from './catalog-indexer.ts';
import { demoPrice, demoProductUrl } from './demo-catalog-inputs.ts';

export const FIXTURE_DIR = resolve(ROOT, '.cache/test-catalog');
export const SERVED_DIR = resolve(ROOT, 'dist/catalog/test');

/**
 * The first `perCategory` rows of each category in a dataset CSV, as a CSV beside the cache, with the demo
 * catalog's prices and product links (scripts/lib/demo-catalog-inputs.ts), so the tests can open a product.
 */
function sample(csv: string, perCategory: number, out: string): string {
  const rows = parseCsv(readFileSync(csv, 'utf8'));
  const counts = new Map<string, number>();
  const picked = rows.filter((r) => {
    const n = counts.get(r.category!) ?? 0;
    counts.set(r.category!, n + 1);
    return n < perCategory && r.category !== 'other';
  });
  for (const r of picked) {
    r.price = demoPrice(r.item_id!, r.category!).toFixed(2);
    r.url = demoProductUrl({ id: r.item_id!, title: r.name!, price: Number(r.price) });
  }
  const header = Object.keys(picked[0]!);
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [header.join(','), ...picked.map((r) => header.map((h) => (h === 'path' ? resolve(csv, '..', r[h]!) : quote(r[h] ?? ''))).join(','))];
  writeFileSync(out, `${lines.join('\n')}\n`);
  return out;
}

/**
 * The rooms of ikea/room_items.csv that show at least `minItems` of the sampled
 * items, as a scenes CSV (absolute room paths, only those items' links).
 */
function sampleScenes(csv: string, itemIds: Set<string>, minItems: number, out: string): { room: string; itemIds: string[] }[] {
  const rooms = new Map<string, string[]>();
  for (const r of parseCsv(readFileSync(csv, 'utf8'))) {
    if (!itemIds.has(r.item_id!)) continue;
    rooms.set(r.room!, [...(rooms.get(r.room!) ?? []), r.item_id!]);
  }
  const picked = [...rooms].filter(([, ids]) => ids.length >= minItems).map(([room, ids]) => ({ room: resolve(csv, '..', room), itemIds: ids }));
  writeFileSync(out, `${['room,item_id', ...picked.flatMap((s) => s.itemIds.map((id) => `${s.room},${id}`))].join('\n')}\n`);
  return picked;
}

/** Builds (or reuses) the fixture for the current models and copies it to dist/catalog/test/. */
export async function buildTestCatalog(): Promise<{ url: string; items: Record<string, string>[]; scenes: { room: string; itemIds: string[] }[] }> {
  mkdirSync(FIXTURE_DIR, { recursive: true });
  const hm = sample(resolve(DATASETS, 'hm-catalog/items.csv'), 4, resolve(FIXTURE_DIR, '..', 'test-hm.csv'));
  const ikea = sample(resolve(DATASETS, 'ikea/products.csv'), 3, resolve(FIXTURE_DIR, '..', 'test-ikea.csv'));
  // A few scenes: the rooms that show two or more of the sampled IKEA products.
  const ikeaIds = new Set(parseCsv(readFileSync(ikea, 'utf8')).map((r) => r.item_id!));
  const rooms = resolve(FIXTURE_DIR, '..', 'test-rooms.csv');
  const scenes = sampleScenes(resolve(DATASETS, 'ikea/room_items.csv'), ikeaIds, 2, rooms);
  await indexCatalog({ inputs: [hm, ikea], out: FIXTURE_DIR, name: 'Test catalog', scenes: rooms });
  rmSync(SERVED_DIR, { recursive: true, force: true });
  cpSync(FIXTURE_DIR, SERVED_DIR, { recursive: true, filter: (src) => !src.endsWith('.ndjson') });
  const items = [...parseCsv(readFileSync(hm, 'utf8')), ...parseCsv(readFileSync(ikea, 'utf8'))];
  if (!existsSync(resolve(SERVED_DIR, 'catalog.json'))) throw new Error('the test catalog was not written');
  return { url: 'catalog/test/catalog.json', items, scenes };
}
