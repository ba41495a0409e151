/**
 * A small real catalog for browser tests, indexed in Node with the shipped models
 * from a few dataset photos, written under dist/catalog/ (build output, never committed).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { parseCsv } from '../../src/shared/csv.ts';
import { indexCatalog } from '../../scripts/lib/catalog-indexer.ts';
import { DATASETS, ROOT } from './harness.ts';

export const FIXTURE_DIR = resolve(ROOT, '.cache/test-catalog');
export const SERVED_DIR = resolve(ROOT, 'dist/catalog/test');

/** The first `perCategory` rows of each category in a dataset CSV, as a CSV beside the cache. */
function sample(csv: string, perCategory: number, out: string): string {
  const rows = parseCsv(readFileSync(csv, 'utf8'));
  const counts = new Map<string, number>();
  const picked = rows.filter((r) => {
    const n = counts.get(r.category!) ?? 0;
    counts.set(r.category!, n + 1);
    return n < perCategory && r.category !== 'other';
  });
  const header = Object.keys(rows[0]!);
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [header.join(','), ...picked.map((r) => header.map((h) => (h === 'path' ? resolve(csv, '..', r[h]!) : quote(r[h] ?? ''))).join(','))];
  writeFileSync(out, lines.join('\n') + '\n');
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
  writeFileSync(out, ['room,item_id', ...picked.flatMap((s) => s.itemIds.map((id) => `${s.room},${id}`))].join('\n') + '\n');
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
export function replaceCatalogFile(name: string, path: string, served: Uint8Array, listed: Uint8Array = served, edit?: (json: Record<string, unknown>) => void): void {
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
