import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { shardByteLength } from '../../src/shared/catalog-format.ts';
import { decodeShard, encodeShard, quantize, type Shard } from '../../src/shared/catalog-shards.ts';
import { exactSearch } from '../../workers/search/exact-search.ts';
import { PartitionedSearch, type PartitionInfo } from '../../workers/search/partitioned-search.ts';
import { SearchIndex } from '../../workers/search/search-index.ts';
import { categoryPrior } from '../../workers/search/category-prior.ts';
import { assignNearest, trainCentroids } from '../../scripts/lib/kmeans.ts';
import { realDistributionVectors, uniformVectors } from '../../scripts/lib/synthetic-vectors.ts';

const d = 32;
const n = 5000;
const P = 50;
const labels = ['sofa', 'lamp', 'rug', 'bed', 'chair'];
/** Partitions from MIXED on have no category of their own: the loader gives each item's. */
const MIXED = 45;

/** A clustered catalog cut into k-means partitions, in partition order, as the indexer would write it. */
function buildCatalog() {
  const seeds = uniformVectors(120, d, 3);
  const rows = realDistributionVectors(seeds, 120, d, n, 4);
  const centroids = trainCentroids(rows, n, d, P, { seed: 5 });
  const assignment = assignNearest(rows, n, d, centroids, P);
  const order = [...assignment.keys()].sort((a, b) => assignment[a]! - assignment[b]! || a - b);
  const partitions: PartitionInfo[] = [];
  const files: Shard[][] = [];
  const itemCategories: string[] = [];
  let start = 0;
  for (let p = 0; p < P; p++) {
    const members = order.filter((i) => assignment[i] === p);
    const vectors = new Float32Array(members.length * d);
    members.forEach((i, r) => vectors.set(rows.subarray(i * d, (i + 1) * d), r * d));
    // Two shard files per partition where it is large enough, decoded from their bytes as the app does.
    const cut = members.length > 60 ? 40 : members.length;
    const shards = [
      [0, cut],
      [cut, members.length],
    ]
      .filter(([a, b]) => b! > a!)
      .map(([a, b]) => decodeShard(encodeShard(quantize(vectors.slice(a! * d, b! * d), b! - a!, d)), { count: b! - a!, dimension: d }));
    files.push(shards);
    const category = p < MIXED ? labels[p % labels.length]! : undefined;
    for (let i = 0; i < members.length; i++) itemCategories.push(category ?? labels[(start + i) % labels.length]!);
    partitions.push({ id: `part/${String(p).padStart(2, '0')}`, ...(category ? { category } : {}), count: members.length, start });
    start += members.length;
  }
  const centroidShard = decodeShard(encodeShard(quantize(centroids, P, d)), { count: P, dimension: d });
  const all = files.flat();
  return { partitions, files, centroidShard, all, itemCategories };
}

const catalog = buildCatalog();
const queries = realDistributionVectors(uniformVectors(120, d, 3), 120, d, 60, 99);
const query = (q: number) => queries.subarray(q * d, (q + 1) * d);
const partitionBytes = (p: number) => catalog.files[p]!.reduce((s, x) => s + shardByteLength(x.count, d), 0);

function makeSearch(options: { maxResidentBytes?: number; fail?: (p: number, attempt: number) => string | undefined } = {}) {
  const loads: number[] = [];
  const attempts = new Map<number, number>();
  const search = new PartitionedSearch({
    dimension: d,
    centroids: catalog.centroidShard,
    partitions: catalog.partitions,
    maxResidentBytes: options.maxResidentBytes,
    loadPartition: async (p) => {
      loads.push(p);
      const attempt = (attempts.get(p) ?? 0) + 1;
      attempts.set(p, attempt);
      await new Promise((r) => setTimeout(r, (p * 7) % 3)); // arrive out of order
      const problem = options.fail?.(p, attempt);
      if (problem) throw new Error(problem);
      const info = catalog.partitions[p]!;
      return info.category === undefined
        ? { shards: catalog.files[p]!, categories: catalog.itemCategories.slice(info.start, info.start + info.count) }
        : catalog.files[p]!;
    },
  });
  return { search, loads };
}

const recallAt = (got: { index: number }[], want: { index: number }[]) => {
  const w = new Set(want.map((h) => h.index));
  return got.filter((h) => w.has(h.index)).length / want.length;
};

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('partitioned search', () => {
  it('finds the exact top 10 with a few partitions probed, and exactly exactSearch when probing all', async () => {
    const { search } = makeSearch();
    let recall = 0;
    let scanned = 0;
    for (let q = 0; q < 40; q++) {
      const exact = exactSearch(catalog.all, query(q), 10);
      const few = await search.search(query(q), { k: 10, probes: 6 });
      expect(few.stats.probes).toBe(6);
      recall += recallAt(few.results, exact);
      scanned += few.stats.itemsScanned;
      const all = await search.search(query(q), { k: 10, probes: P });
      expect(all.results).toEqual(exact.map((h) => ({ ...h, prior: 0 })));
      expect(all.stats).toMatchObject({ probed: P, itemsScanned: n, remaining: 0, failed: [] });
    }
    expect(recall / 40).toBeGreaterThanOrEqual(0.95);
    expect(scanned / 40).toBeLessThan(n / 5); // it did not scan everything to get there
    // Scores of a partial search are the same cosines as the exact scan's.
    const exact = exactSearch(catalog.all, query(0), n);
    const score = new Map(exact.map((h) => [h.index, h.score]));
    for (const h of (await search.search(query(0), { k: 50, probes: 3 })).results) expect(h.score).toBe(score.get(h.index));
  });

  it('probes by item budget nearest centroid first, and gives more results by probing further (cached partitions not fetched again)', async () => {
    const { search, loads } = makeSearch();
    const order = search.probeOrder(query(1));
    expect(new Set(order).size).toBe(P);
    const cos = (p: number) => exactSearch([catalog.centroidShard], query(1), P).find((h) => h.index === p)!.score;
    for (let i = 1; i < P; i++) expect(cos(order[i - 1]!)).toBeGreaterThanOrEqual(cos(order[i]!));
    const byItems = await search.search(query(1), { k: 10, probeItems: 1000 });
    const covered = search.plan(query(1), { probeItems: 1000 });
    expect(covered).toEqual(order.slice(0, covered.length));
    expect(covered.reduce((s, p) => s + catalog.partitions[p]!.count, 0)).toBeGreaterThanOrEqual(1000);
    expect(covered.slice(0, -1).reduce((s, p) => s + catalog.partitions[p]!.count, 0)).toBeLessThan(1000);
    expect(byItems.stats.bytesLoaded).toBe(covered.reduce((s, p) => s + partitionBytes(p), 0));
    const more = await search.search(query(1), { k: 10, probes: covered.length + 5 });
    expect(more.stats.bytesLoaded).toBe(order.slice(covered.length, covered.length + 5).reduce((s, p) => s + partitionBytes(p), 0));
    expect(more.stats.remaining).toBe(P - covered.length - 5);
    expect(loads.length).toBe(covered.length + 5);
    expect((await search.search(query(1), { k: 10, probes: covered.length + 5 })).stats.bytesLoaded).toBe(0);
  });

  it('keeps the cache within its byte budget across many queries, and a query over more partitions than it holds lets each go once scanned', async () => {
    const budget = [0, 1, 2, 3, 4, 5, 6, 7].reduce((s, p) => s + partitionBytes(p), 0);
    const { search, loads } = makeSearch({ maxResidentBytes: budget });
    for (let q = 0; q < 60; q++) {
      const r = await search.search(query(q), { k: 10, probes: 4 });
      expect(r.stats.residentBytes).toBeLessThanOrEqual(budget);
      expect(search.residentBytes).toBe(search.cachedPartitions.reduce((s, p) => s + partitionBytes(p), 0));
    }
    expect(search.peakResidentBytes).toBeLessThanOrEqual(budget);
    expect(loads.length).toBeGreaterThan(8); // it did evict and reload
    // The most recently used partitions stay: the last query again costs nothing.
    expect((await search.search(query(59), { k: 10, probes: 4 })).stats.bytesLoaded).toBe(0);
    // A query over more partitions than the budget holds scans them all, letting each go once scanned: it never
    // holds them all at once (only those still arriving beyond the budget), and the cache ends within its budget.
    const big = await search.search(query(3), { k: 10, probes: 30 });
    expect(big.results).toEqual((await makeSearch().search.search(query(3), { k: 10, probes: 30 })).results);
    const bigPlan = search.plan(query(3), { probes: 30 });
    expect(search.peakResidentBytes).toBeLessThan(bigPlan.reduce((s, p) => s + partitionBytes(p), 0));
    expect(big.stats.residentBytes).toBeLessThanOrEqual(budget);
    search.dispose();
    expect(search.residentBytes).toBe(0);
    await expect(search.search(query(0))).rejects.toThrow(/disposed/);
  });

  it('reports a partition that fails to load by id and message, answers from the rest, and retries it next time', async () => {
    const { search, loads } = makeSearch({ fail: (p, attempt) => (p === 17 && attempt === 1 ? 'part-17/embeddings-031.bin: sha256 mismatch' : undefined) });
    // A query whose nearest partition is 17.
    const q = [...Array(60).keys()].find((i) => search.probeOrder(query(i))[0] === 17) ?? 0;
    const v = query(q);
    expect(search.probeOrder(v)[0]).toBe(17);
    const first = await search.search(v, { k: 10, probes: 5 });
    expect(first.stats.failed).toEqual([{ partition: 'part/17', message: 'part-17/embeddings-031.bin: sha256 mismatch' }]);
    expect(first.stats.probed).toBe(4);
    const plan = search.plan(v, { probes: 5 });
    const others = plan.filter((p) => p !== 17);
    expect(first.stats.itemsScanned).toBe(others.reduce((s, p) => s + catalog.partitions[p]!.count, 0));
    expect(first.results.length).toBe(10);
    for (const h of first.results)
      expect(others.some((p) => h.index >= catalog.partitions[p]!.start && h.index < catalog.partitions[p]!.start + catalog.partitions[p]!.count)).toBe(true);
    const again = await search.search(v, { k: 10, probes: 5 });
    expect(loads.filter((p) => p === 17).length).toBe(2);
    expect(again.stats.failed).toEqual([]);
    expect(again.stats.bytesLoaded).toBe(partitionBytes(17));
    expect(again.results).toEqual((await makeSearch().search.search(v, { k: 10, probes: 5 })).results);
    // A loader whose shards do not match catalog.json is a failure too, named.
    const wrong = new PartitionedSearch({
      dimension: d,
      centroids: catalog.centroidShard,
      partitions: catalog.partitions,
      loadPartition: async (p) => catalog.files[(p + 1) % P]!,
    });
    const r = await wrong.search(v, { k: 5, probes: 2 });
    expect(r.stats.failed.map((f) => f.message).join()).toMatch(/partition part\/\d+: its shards hold \d+ items; catalog.json says \d+/);
  });

  it('re-ranks with the category prior exactly as SearchIndex does', async () => {
    const index = new SearchIndex({ shards: catalog.all, items: catalog.itemCategories.map((category, i) => ({ id: `i${i}`, category })) });
    const { search } = makeSearch();
    const prior = categoryPrior(labels, [0.05, 0.7, 0.05, 0.1, 0.1], 0.5);
    let changed = 0;
    for (let q = 0; q < 10; q++) {
      const want = await index.search(query(q), { k: 10, categoryPrior: prior });
      const got = await search.search(query(q), { k: 10, probes: P, categoryPrior: prior });
      expect(got.results).toEqual(want.map(({ index, score, prior }) => ({ index, score, prior })));
      const plain = await search.search(query(q), { k: 10, probes: P });
      if (plain.results.map((h) => h.index).join() !== got.results.map((h) => h.index).join()) changed++;
    }
    expect(changed).toBeGreaterThan(0); // the prior did move results
    // Weight 0 is no prior.
    const off = await search.search(query(2), { k: 10, probes: 8, categoryPrior: { ...prior, weight: 0 } });
    expect(off.results).toEqual((await search.search(query(2), { k: 10, probes: 8 })).results);
  });

  it('filters by category: partitions of other categories are not fetched; mixed ones are masked item by item', async () => {
    const { search, loads } = makeSearch();
    const wanted = ['rug', 'bed'];
    const mask = Uint8Array.from(catalog.itemCategories, (c) => (wanted.includes(c) ? 1 : 0));
    for (let q = 0; q < 5; q++) {
      loads.length = 0;
      const r = await search.search(query(q), { k: 15, probes: P, categories: wanted });
      expect(r.results).toEqual(exactSearch(catalog.all, query(q), 15, mask).map((h) => ({ ...h, prior: 0 })));
      for (const h of r.results) expect(wanted).toContain(catalog.itemCategories[h.index]);
      const eligible = catalog.partitions.filter((p) => p.category === undefined || wanted.includes(p.category)).length;
      expect(r.stats.probes).toBe(eligible);
      for (const p of loads) expect(catalog.partitions[p]!.category === undefined || wanted.includes(catalog.partitions[p]!.category!)).toBe(true);
    }
  });

  it('refuses inconsistent partitions and queries of the wrong dimension', () => {
    const bad = catalog.partitions.map((p, i) => (i === 3 ? { ...p, start: p.start + 1 } : p));
    expect(() => new PartitionedSearch({ dimension: d, centroids: catalog.centroidShard, partitions: bad, loadPartition: async () => [] })).toThrow(
      /part\/03 starts at/,
    );
    expect(
      () => new PartitionedSearch({ dimension: d, centroids: catalog.centroidShard, partitions: catalog.partitions.slice(1), loadPartition: async () => [] }),
    ).toThrow(/50 centroids for 49 partitions/);
    expect(() => makeSearch().search.probeOrder(new Float32Array(d + 1))).toThrow(/33 values/);
  });
});
