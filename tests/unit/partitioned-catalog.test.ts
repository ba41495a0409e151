/**
 * The worker's partitioned catalog (workers/search/partitioned-catalog.ts): what a search downloads, what it answers
 * with, what it says when a partition cannot be read, and that it keeps only what its budgets allow.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCatalogJson, partitionLayout, type CatalogItem, type CatalogJson, type ItemsFile, type ShardFile } from '../../src/shared/catalog-format.ts';
import { decodeShard, encodeShard, quantize } from '../../src/shared/catalog-shards.ts';
import { verifyBytes } from '../../src/shared/sha256.ts';
import { exactSearch } from '../../workers/search/exact-search.ts';
import { PartitionedCatalog, type PartitionFileReader } from '../../workers/search/partitioned-catalog.ts';
import { randomUnitVectors } from './search-fixtures.ts';

const D = 16;
const CATEGORIES = ['chair', 'lamp', 'sofa', 'table'];
const PER_PARTITION = 25;

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * A format-2 catalog held in memory: 4 categories × 2 partitions of 25 items, each partition's vectors around its
 * own direction (so the nearest centroid finds them), plus a reader that serves its files verified.
 */
function buildCatalog() {
  const directions = randomUnitVectors(CATEGORIES.length * 2, D, 11);
  const noise = randomUnitVectors(CATEGORIES.length * 2 * PER_PARTITION, D, 12);
  const files = new Map<string, Uint8Array>();
  const shards: ShardFile[] = [];
  const itemFiles: ItemsFile[] = [];
  const list: { id: string; category: string; count: number }[] = [];
  const centroidRows = new Float32Array(CATEGORIES.length * 2 * D);
  const all = new Float32Array(CATEGORIES.length * 2 * PER_PARTITION * D);
  let row = 0;
  for (let p = 0; p < CATEGORIES.length * 2; p++) {
    const category = CATEGORIES[p >> 1]!;
    const vectors = new Float32Array(PER_PARTITION * D);
    const items: CatalogItem[] = [];
    for (let i = 0; i < PER_PARTITION; i++, row++) {
      let norm = 0;
      for (let j = 0; j < D; j++) {
        const x = directions[p * D + j]! + 0.35 * noise[row * D + j]!;
        vectors[i * D + j] = x;
        norm += x * x;
      }
      for (let j = 0; j < D; j++) vectors[i * D + j]! /= Math.sqrt(norm);
      items.push({ id: `${category}-${p}-${i}`, title: `${category} ${i}`, category });
    }
    all.set(vectors, p * PER_PARTITION * D);
    centroidRows.set(directions.subarray(p * D, p * D + D), p * D);
    const shardBytes = encodeShard(quantize(vectors, PER_PARTITION, D));
    const itemBytes = new TextEncoder().encode(JSON.stringify(items));
    const dir = `partitions/${String(p).padStart(4, '0')}`;
    files.set(`${dir}/embeddings-000.bin`, shardBytes);
    files.set(`${dir}/items-000.json`, itemBytes);
    shards.push({ path: `${dir}/embeddings-000.bin`, bytes: shardBytes.byteLength, sha256: sha(shardBytes), count: PER_PARTITION });
    itemFiles.push({ path: `${dir}/items-000.json`, bytes: itemBytes.byteLength, sha256: sha(itemBytes), count: PER_PARTITION });
    list.push({ id: `${category}/${p % 2}`, category, count: PER_PARTITION });
  }
  const centroidBytes = encodeShard(quantize(centroidRows, CATEGORIES.length * 2, D));
  const json: CatalogJson = {
    formatVersion: 2,
    name: 'Partitioned test',
    ensembleId: 'lookalike-0123456789abcdef',
    modelSha256: [],
    dimension: D,
    dtype: 'int8',
    count: list.length * PER_PARTITION,
    shards,
    items: itemFiles,
    partitions: {
      centroids: { path: 'centroids.bin', bytes: centroidBytes.byteLength, sha256: sha(centroidBytes), count: list.length },
      list,
      probeItems: 2 * PER_PARTITION,
    },
  };
  const meta = parseCatalogJson(JSON.parse(JSON.stringify(json)));
  const centroids = decodeShard(centroidBytes, { count: list.length, dimension: D });
  /** Paths served damaged (bytes changed after listing), and every path read, in order. */
  const damaged = new Set<string>();
  const reads: string[] = [];
  const read: PartitionFileReader = async (file) => {
    reads.push(file.path);
    const bytes = files.get(file.path)!.slice();
    if (damaged.has(file.path)) bytes[bytes.length - 1]! ^= 0xff;
    await verifyBytes(file, bytes.buffer);
    return bytes.buffer;
  };
  const open = (options = {}) => new PartitionedCatalog(meta, partitionLayout(meta)!, centroids, read, options);
  return { meta, open, all, damaged, reads };
}

/** A query near item `row` of the catalog. */
function queryNear(all: Float32Array, row: number): Float32Array {
  const q = all.slice(row * D, row * D + D);
  const n = Math.hypot(...q);
  return q.map((x) => x / n);
}

describe('a partitioned catalog in the worker', () => {
  it('downloads only the nearest partitions, answers with their items, and then reads from the device', async () => {
    const { open, all, reads } = buildCatalog();
    const catalog = open();
    const row = 3 * PER_PARTITION + 7; // sofa/1... the 4th partition
    const { results, coverage } = await catalog.searchCovered(queryNear(all, row), { k: 5 });
    expect(results[0]!.index).toBe(row);
    expect(results[0]!.id).toBe(catalog.items[row]!.id);
    expect(coverage).toMatchObject({ searched: 2, partitions: 8, itemsSearched: 50, items: 200, more: true, refining: false, failed: [] });
    expect(coverage.bytesDownloaded).toBeGreaterThan(0);
    // Two partitions' shards, and only the item files of partitions that hold results.
    expect(reads.filter((p) => p.endsWith('.bin'))).toHaveLength(2);
    expect(reads.filter((p) => p.endsWith('.json')).length).toBeGreaterThanOrEqual(1);
    expect(catalog.items.filter(Boolean).length).toBeLessThan(200);

    const again = await catalog.searchCovered(queryNear(all, row), { k: 5 });
    expect(again.results).toEqual(results);
    expect(again.coverage.bytesDownloaded).toBe(0);
    catalog.dispose();
  });

  it('finds what an exact search of the whole catalog finds for a query near its items', async () => {
    const { open, all } = buildCatalog();
    const catalog = open();
    const whole = quantize(all, 200, D);
    for (const row of [5, 60, 110, 190]) {
      const q = queryNear(all, row);
      const got = await catalog.search(q, { k: 10 });
      const exact = exactSearch([whole], q, 10);
      expect(got.map((r) => r.index)).toEqual(exact.map((r) => r.index));
    }
    catalog.dispose();
  });

  it('"more results" searches more partitions; searching all of them leaves nothing more', async () => {
    const { open, all } = buildCatalog();
    const catalog = open();
    const q = queryNear(all, 0);
    expect((await catalog.searchCovered(q, { k: 10, partitions: 4 })).coverage).toMatchObject({ searched: 4, itemsSearched: 100, more: true });
    expect((await catalog.searchCovered(q, { k: 10, partitions: 8 })).coverage).toMatchObject({ searched: 8, itemsSearched: 200, more: false });
    catalog.dispose();
  });

  it('a first answer reads fewer items and says it is refining; the full search reads the rest of the budget', async () => {
    const { open, all, reads } = buildCatalog();
    // The catalog's budget is 50 items (2 partitions); a first answer reads 25 (1 partition).
    const catalog = open({ firstItems: PER_PARTITION });
    const q = queryNear(all, 30);
    const first = await catalog.searchCovered(q, { k: 5, stage: 'first' });
    expect(first.coverage).toMatchObject({ searched: 1, itemsSearched: 25, refining: true, more: true });
    expect(reads.filter((p) => p.endsWith('.bin'))).toHaveLength(1);
    const full = await catalog.searchCovered(q, { k: 5 });
    expect(full.coverage).toMatchObject({ searched: 2, itemsSearched: 50, refining: false });
    expect(reads.filter((p) => p.endsWith('.bin'))).toHaveLength(2); // the first partition came from memory
    // A first answer that already reads the whole budget has nothing to refine.
    const whole = open({ firstItems: 1000 });
    expect((await whole.searchCovered(q, { k: 5, stage: 'first' })).coverage).toMatchObject({ searched: 2, refining: false });
    catalog.dispose();
    whole.dispose();
  });

  it('a category filter reads only partitions of that category', async () => {
    const { open, all, reads } = buildCatalog();
    const catalog = open();
    const results = await catalog.search(queryNear(all, 0), { k: 10, filter: { categories: ['lamp'] } });
    expect(results.length).toBe(10);
    expect(results.every((r) => catalog.items[r.index]!.category === 'lamp')).toBe(true);
    expect(reads.filter((p) => p.endsWith('.bin')).every((p) => p.startsWith('partitions/0002') || p.startsWith('partitions/0003'))).toBe(true);
    expect(catalog.categories()).toEqual({ chair: 50, lamp: 50, sofa: 50, table: 50 });
    catalog.dispose();
  });

  it('names a partition that fails its sha256 check, answers from the others, and tries it again next time', async () => {
    const { open, all, damaged } = buildCatalog();
    const catalog = open();
    const row = 2 * PER_PARTITION; // first item of partition 2 (lamp/0)
    damaged.add('partitions/0002/embeddings-000.bin');
    const { results, coverage } = await catalog.searchCovered(queryNear(all, row), { k: 5 });
    expect(coverage.failed).toEqual([{ partition: 'lamp/0', message: expect.stringContaining('partitions/0002/embeddings-000.bin') }]);
    expect(results.length).toBe(5);
    expect(results.some((r) => r.index >= 2 * PER_PARTITION && r.index < 3 * PER_PARTITION)).toBe(false);

    damaged.clear();
    const fixed = await catalog.searchCovered(queryNear(all, row), { k: 5 });
    expect(fixed.coverage.failed).toEqual([]);
    expect(fixed.results[0]!.index).toBe(row);
    catalog.dispose();
  });

  it('names a partition whose item file cannot be read, and leaves out only its results', async () => {
    const { open, all, damaged } = buildCatalog();
    const catalog = open();
    damaged.add('partitions/0000/items-000.json');
    const { results, coverage } = await catalog.searchCovered(queryNear(all, 0), { k: 30 });
    expect(coverage.failed).toEqual([{ partition: 'chair/0', message: expect.stringContaining('partitions/0000/items-000.json') }]);
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.index >= PER_PARTITION)).toBe(true);
    catalog.dispose();
  });

  it('offers the page the items and vectors on the device only, and lets item lists go beyond its budget', async () => {
    const { open, all } = buildCatalog();
    const catalog = open({ maxItemPartitions: 2 });
    for (const row of [0, 60, 110, 160]) await catalog.search(queryNear(all, row), { k: 3 });
    const held = catalog.held();
    expect(held.items.length).toBe(held.vectors.count);
    expect(held.items.length).toBeLessThanOrEqual(2 * PER_PARTITION);
    expect(catalog.itemIndex.size).toBeLessThanOrEqual(2 * PER_PARTITION);
    const first = held.items[0]!;
    const i = catalog.itemIndex.get(first.id)!;
    // The stored (int8) vector of that item: within quantisation error of the vector it was made from.
    const v = catalog.vector(i);
    const original = all.subarray(i * D, i * D + D);
    expect(v.reduce((sum, x, j) => sum + x * original[j]!, 0)).toBeGreaterThan(0.999);
    expect(held.vectors.codes.length).toBe(held.items.length * D);
    expect(() => catalog.vector(catalog.size + 1)).toThrow();
    catalog.dispose();
  });
});
