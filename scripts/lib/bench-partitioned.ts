/**
 * The partitioned-search part of bench:search (#25): exact scan vs
 * PartitionedSearch (workers/search/partitioned-search.ts) on synthetic
 * catalogs of 100,000 and 1,000,000 items, uniform and real-distribution
 * vectors (scripts/lib/synthetic-vectors.ts, seeded by the real catalog's
 * embeddings).
 *
 * Per catalog: k-means partitions (scripts/lib/kmeans.ts trained on a sample;
 * every item then assigned to its nearest centroid with a tfjs matMul, the same
 * argmax as assignNearest, faster), one int8 shard per partition encoded to
 * bytes and decoded as the app does. Ground truth = the exact int8 scan over
 * the whole catalog (exactSearch); recall@10 is against it.
 *
 * Bytes before first results = catalog.json (built with the real partition,
 * shard and item-file lists, fake sha256s) + the centroid file + the probed
 * partitions' shards + the item files of the partitions that hold the top 10
 * (the app needs the metadata of what it shows, not of everything it scanned;
 * per-item JSON bytes are the real catalog's mean). Raw bytes (no gzip).
 *
 * Validation queries (other seeds than the reported ones) give recall@10 and
 * bytes for a range of probe budgets: DEFAULT_PROBE_ITEMS was chosen on them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { shardByteLength } from '../../src/shared/catalog-format.ts';
import { decodeShard, dequantize, encodeShard, quantize, type Shard } from '../../src/shared/catalog-shards.ts';
import { exactSearch } from '../../workers/search/exact-search.ts';
import {
  DEFAULT_MAX_RESIDENT_BYTES,
  DEFAULT_PROBE_ITEMS,
  FIRST_RESULTS_ITEMS,
  PartitionedSearch,
  type PartitionInfo,
} from '../../workers/search/partitioned-search.ts';
import { TopK, type Scored } from '../../workers/search/top-k.ts';
import { readCatalogDir } from './catalog-files.ts';
import { trainCentroids } from './kmeans.ts';
import { realDistributionVectors, uniformVectors, type VectorDistribution } from './synthetic-vectors.ts';

export interface PartitionedBudgetPoint {
  probeItems: number;
  recallAt10: number;
  /** Bytes before first results over the validation queries. */
  bytesMedian: number;
  bytesP95: number;
}

export interface PartitionedRow {
  n: number;
  dimension: number;
  distribution: VectorDistribution;
  partitionSize: number;
  partitions: number;
  /** k-means on the sample + assigning every item, ms. */
  buildMs: number;
  kmeansSample: number;
  exactMsMedian: number;
  exactMsP95: number;
  /** The whole catalog's shards, held by an exact scan. */
  exactResidentMB: number;
  probeItems: number;
  probesMedian: number;
  itemsScannedMedian: number;
  partitionedWarmMsMedian: number;
  partitionedWarmMsP95: number;
  recallAt10: number;
  /** Share of queries with recall@10 = 1. */
  perfectShare: number;
  coldBytesMedian: number;
  coldBytesP95: number;
  /** Of the median query: catalog.json, centroids, probed shards, item files. */
  coldBytesParts: { catalogJson: number; centroids: number; shards: number; items: number };
  /** Most decoded shard bytes the LRU held over all the queries (plus the centroids). */
  partitionedResidentPeakMB: number;
  /** Validation queries: recall and bytes by probe budget (only when swept). */
  budgets?: PartitionedBudgetPoint[];
  /** The app's quick first answer (FIRST_RESULTS_ITEMS), on the same test queries: recall@10 and median MB before it. */
  first?: { probeItems: number; recallAt10: number; coldBytesMedian: number };
}

export interface PartitionedSection {
  k: number;
  queries: number;
  validationQueries: number;
  itemBytesPerItem: number;
  realCatalog?: { path: string; items: number };
  defaultProbeItems: number;
  maxResidentMB: number;
  rows: PartitionedRow[];
  /** Partition size chosen on 100k real-distribution validation queries: recall and bytes by budget for each size. */
  sizeSweep?: { n: number; partitionSize: number; partitions: number; buildMs: number; budgets: PartitionedBudgetPoint[] }[];
}

export interface PartitionedBenchOptions {
  ns: number[];
  dimension: number;
  realCatalog: string;
  queries: number;
  validationQueries: number;
  partitionSize: number;
  /** Partition sizes swept on validation queries (100k real only). */
  sweepSizes: number[];
  budgets: number[];
  /** Only these distributions (default both). */
  distributions?: VectorDistribution[];
  log: (line: string) => void;
}

const K = 10;
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: number[]) => quantile(xs, 0.5);
const round = (x: number, digits = 2) => +x.toFixed(digits);

/** How to build the real catalog the real-distribution vectors are sampled around. */
export const REAL_CATALOG_COMMAND = 'npm run index -- ../shared/datasets/hm-catalog/items.csv ../shared/datasets/ikea/products.csv --out .cache/catalogs/real';

/** Mean bytes of item JSON per item in the real catalog's item files. */
function itemBytesPerItem(dir: string): number | undefined {
  try {
    const meta = JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8')) as { count: number };
    const bytes = readdirSync(dir)
      .filter((f) => /^items-\d+\.json$/.test(f))
      .reduce((s, f) => s + statSync(join(dir, f)).size, 0);
    return bytes / meta.count;
  } catch {
    return undefined;
  }
}

/** The real catalog's embeddings, dequantised (seeds for the real distribution). */
async function realSeeds(dir: string): Promise<{ rows: Float32Array; count: number } | undefined> {
  try {
    const catalog = await readCatalogDir(dir);
    const d = catalog.meta.dimension;
    const rows = new Float32Array(catalog.meta.count * d);
    let i = 0;
    for (const s of catalog.shards) for (let r = 0; r < s.count; r++, i++) rows.set(dequantize(s, r), i * d);
    return { rows, count: i };
  } catch {
    return undefined;
  }
}

/** Every row's nearest centroid, by a tfjs matMul in chunks (rows and centroids unit length: max dot = max cosine). */
function assignAll(rows: Float32Array, n: number, d: number, centroids: Float32Array, k: number): Int32Array {
  const out = new Int32Array(n);
  const c = tf.tidy(() => tf.transpose(tf.tensor2d(centroids, [k, d])));
  const chunk = 8192;
  for (let start = 0; start < n; start += chunk) {
    const m = Math.min(chunk, n - start);
    const idx = tf.tidy(() => tf.argMax(tf.matMul(tf.tensor2d(rows.subarray(start * d, (start + m) * d), [m, d]), c), 1));
    out.set(idx.dataSync() as Int32Array, start);
    idx.dispose();
  }
  c.dispose();
  return out;
}

interface Built {
  partitions: PartitionInfo[];
  /** Encoded shard file of each partition (what the server holds). */
  files: Uint8Array[];
  decoded: Shard[];
  centroids: Shard;
  centroidBytes: number;
  catalogJsonBytes: number;
  buildMs: number;
  kmeansSample: number;
}

function build(rows: Float32Array, n: number, d: number, partitionSize: number, log: (l: string) => void): Built {
  const k = Math.max(1, Math.round(n / partitionSize));
  const kmeansSample = Math.min(n, Math.max(10_000, 10 * k));
  const t0 = performance.now();
  const trained = trainCentroids(rows, n, d, k, { seed: 1, iterations: 6, sampleSize: kmeansSample });
  log(`    k-means k=${k} on ${kmeansSample.toLocaleString('en')} rows: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const assignment = assignAll(rows, n, d, trained, k);
  const buildMs = performance.now() - t0;
  log(`    assigned ${n.toLocaleString('en')} items: ${(buildMs / 1000).toFixed(1)} s in all`);
  // Counting sort into partition order; empty clusters are dropped (a partition holds at least one item).
  const sizes = new Int32Array(k);
  for (const a of assignment) sizes[a]!++;
  const kept = [...sizes.keys()].filter((c) => sizes[c]! > 0);
  const offsets = new Int32Array(k);
  let acc = 0;
  for (const c of kept) {
    offsets[c] = acc;
    acc += sizes[c]!;
  }
  const order = new Int32Array(n);
  const fill = offsets.slice();
  for (let i = 0; i < n; i++) order[fill[assignment[i]!]!++] = i;
  const partitions: PartitionInfo[] = [];
  const files: Uint8Array[] = [];
  const decoded: Shard[] = [];
  const centroidRows = new Float32Array(kept.length * d);
  kept.forEach((c, p) => {
    const count = sizes[c]!;
    const start = offsets[c]!;
    const vectors = new Float32Array(count * d);
    for (let r = 0; r < count; r++) vectors.set(rows.subarray(order[start + r]! * d, order[start + r]! * d + d), r * d);
    const bytes = encodeShard(quantize(vectors, count, d));
    files.push(bytes);
    decoded.push(decodeShard(bytes, { count, dimension: d }));
    partitions.push({ id: `p${String(p).padStart(5, '0')}`, count, start });
    centroidRows.set(trained.subarray(c * d, c * d + d), p * d);
  });
  const centroidFile = encodeShard(quantize(centroidRows, kept.length, d));
  const centroids = decodeShard(centroidFile, { count: kept.length, dimension: d });
  const sha = 'f'.repeat(64);
  const catalogJson = {
    formatVersion: 2,
    name: 'A shop of a million things',
    ensembleId: 'x'.repeat(40),
    modelSha256: [sha, sha, sha],
    dimension: d,
    dtype: 'int8',
    count: n,
    shards: partitions.map((p, i) => ({ path: `embeddings-${String(i).padStart(5, '0')}.bin`, bytes: files[i]!.byteLength, sha256: sha, count: p.count })),
    items: partitions.map((p, i) => ({ path: `items-${String(i).padStart(5, '0')}.json`, bytes: 999_999, sha256: sha, count: p.count })),
    createdAt: new Date().toISOString(),
    partitions: {
      centroids: { path: 'centroids.bin', bytes: centroidFile.byteLength, sha256: sha, count: kept.length },
      list: partitions.map((p) => ({ id: p.id, category: 'category', count: p.count })),
    },
  };
  return {
    partitions,
    files,
    decoded,
    centroids,
    centroidBytes: centroidFile.byteLength,
    catalogJsonBytes: JSON.stringify(catalogJson, null, 2).length,
    buildMs,
    kmeansSample,
  };
}

const recallOf = (got: readonly Scored[], want: readonly Scored[]) => {
  const w = new Set(want.map((h) => h.index));
  return got.filter((h) => w.has(h.index)).length / want.length;
};

/** The partition holding catalog item `index`. */
function partitionOf(partitions: readonly PartitionInfo[], index: number): number {
  let lo = 0;
  let hi = partitions.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (partitions[mid]!.start <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function itemFileBytes(built: Built, results: readonly { index: number }[], perItem: number): number {
  const parts = new Set(results.map((r) => partitionOf(built.partitions, r.index)));
  let bytes = 0;
  for (const p of parts) bytes += Math.round(built.partitions[p]!.count * perItem) + 2;
  return bytes;
}

/** Recall@10 and bytes on the validation queries for each budget, probing incrementally. */
function sweep(
  built: Built,
  search: PartitionedSearch,
  queries: Float32Array[],
  truth: Scored[][],
  budgets: number[],
  perItem: number,
): PartitionedBudgetPoint[] {
  const sorted = [...budgets].sort((a, b) => a - b);
  const recall = sorted.map(() => [] as number[]);
  const bytes = sorted.map(() => [] as number[]);
  const fixed = built.catalogJsonBytes + built.centroidBytes;
  queries.forEach((q, qi) => {
    const order = search.probeOrder(q);
    const top = new TopK(K);
    let covered = 0;
    let shardBytes = 0;
    let next = 0;
    sorted.forEach((budget, b) => {
      while (next < order.length && (next === 0 || covered < budget)) {
        const p = order[next++]!;
        const info = built.partitions[p]!;
        for (const h of exactSearch([built.decoded[p]!], q, K)) top.push(info.start + h.index, h.score);
        covered += info.count;
        shardBytes += built.files[p]!.byteLength;
      }
      const got = top.sorted();
      recall[b]!.push(recallOf(got, truth[qi]!));
      bytes[b]!.push(fixed + shardBytes + itemFileBytes(built, got, perItem));
    });
  });
  return sorted.map((probeItems, b) => ({
    probeItems,
    recallAt10: round(recall[b]!.reduce((s, x) => s + x, 0) / queries.length, 4),
    bytesMedian: median(bytes[b]!),
    bytesP95: quantile(bytes[b]!, 0.95),
  }));
}

function splitRows(flat: Float32Array, count: number, d: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => flat.subarray(i * d, (i + 1) * d));
}

export async function benchPartitioned(options: PartitionedBenchOptions): Promise<PartitionedSection | undefined> {
  const { dimension: d, log } = options;
  const seeds = await realSeeds(options.realCatalog);
  const perItem = itemBytesPerItem(options.realCatalog);
  if (!seeds || seeds.rows.length / seeds.count !== d) {
    log(
      `partitioned: no real catalog of d=${d} at ${options.realCatalog}: the real-distribution rows are skipped. Build it with\n` + `  ${REAL_CATALOG_COMMAND}`,
    );
  }
  const bytesPerItem = perItem ?? 205;
  const distributions: VectorDistribution[] = (seeds && seeds.rows.length / seeds.count === d ? (['uniform', 'real'] as const) : (['uniform'] as const)).filter(
    (x) => !options.distributions || options.distributions.includes(x),
  );
  const make = (dist: VectorDistribution, count: number, seed: number) =>
    dist === 'uniform' ? uniformVectors(count, d, seed) : realDistributionVectors(seeds!.rows, seeds!.count, d, count, seed);
  const rows: PartitionedRow[] = [];
  const sizeSweep: NonNullable<PartitionedSection['sizeSweep']> = [];

  // Partition size: swept on 100k real-distribution validation queries.
  if (distributions.includes('real') && options.sweepSizes.length > 0) {
    const n = 100_000;
    log(`partitioned: partition-size sweep, N=${n.toLocaleString('en')} real, sizes ${options.sweepSizes.join(', ')}`);
    const data = make('real', n, 11);
    const val = splitRows(make('real', options.validationQueries, 31), options.validationQueries, d);
    for (const size of options.sweepSizes) {
      const built = build(data, n, d, size, log);
      const truth = val.map((q) => exactSearch(built.decoded, q, K));
      const search = new PartitionedSearch({ dimension: d, centroids: built.centroids, partitions: built.partitions, loadPartition: async () => [] });
      const points = sweep(built, search, val, truth, options.budgets, bytesPerItem);
      log(`    size ${size}: ${points.map((p) => `${p.probeItems / 1000}k→${p.recallAt10.toFixed(3)}`).join('  ')}`);
      sizeSweep.push({ n, partitionSize: size, partitions: built.partitions.length, buildMs: Math.round(built.buildMs), budgets: points });
    }
  }

  for (const n of options.ns) {
    for (const dist of distributions) {
      log(`partitioned: N=${n.toLocaleString('en')} ${dist}: generating`);
      let data: Float32Array | undefined = make(dist, n, 11);
      const built = build(data, n, d, options.partitionSize, log);
      data = undefined; // the float vectors are not needed any more
      const test = splitRows(make(dist, options.queries, 21), options.queries, d);
      const val = splitRows(make(dist, options.validationQueries, 31), options.validationQueries, d);
      log(`    exact ground truth: ${options.validationQueries} validation queries`);
      const exactMs: number[] = [];
      const truth: Scored[][] = [];
      const valTruth = val.map((q) => exactSearch(built.decoded, q, K));
      const search = new PartitionedSearch({
        dimension: d,
        centroids: built.centroids,
        partitions: built.partitions,
        loadPartition: async (p) => [decodeShard(built.files[p]!, { count: built.partitions[p]!.count, dimension: d }, `embeddings-${p}.bin`)],
      });
      log('    validation sweep');
      const budgets = sweep(built, search, val, valTruth, options.budgets, bytesPerItem);
      log(`    ${budgets.map((p) => `${p.probeItems / 1000}k→${p.recallAt10.toFixed(3)} (${(p.bytesMedian / 1e6).toFixed(1)} MB)`).join('  ')}`);
      log(`    partitioned search: ${options.queries} queries, cold then warm`);
      const warmMs: number[] = [];
      const coldBytes: { total: number; shards: number; items: number }[] = [];
      const recalls: number[] = [];
      const probes: number[] = [];
      const scanned: number[] = [];
      const firstRecalls: number[] = [];
      const firstBytes: number[] = [];
      for (const [qi, q] of test.entries()) {
        const plan = search.plan(q);
        const cold = await search.search(q, { k: K });
        // The exact scan and the cached partitioned search back to back, so a machine shared with other work slows both alike.
        let t = performance.now();
        truth.push(exactSearch(built.decoded, q, K));
        exactMs.push(performance.now() - t);
        t = performance.now();
        const warm = await search.search(q, { k: K });
        warmMs.push(performance.now() - t);
        if (warm.stats.bytesLoaded !== 0) throw new Error('the warm search loaded partitions: the cache is too small for one query');
        const shards = plan.reduce((s, p) => s + built.files[p]!.byteLength, 0);
        const items = itemFileBytes(built, cold.results, bytesPerItem);
        coldBytes.push({ total: built.catalogJsonBytes + built.centroidBytes + shards + items, shards, items });
        recalls.push(recallOf(warm.results, truth[qi]!));
        // The quick first answer: its partitions are the nearest of those just read (cached), so only recall and bytes count.
        const firstAnswer = await search.search(q, { k: K, probeItems: FIRST_RESULTS_ITEMS });
        firstRecalls.push(recallOf(firstAnswer.results, truth[qi]!));
        const firstShards = search.plan(q, { probeItems: FIRST_RESULTS_ITEMS }).reduce((s, p) => s + built.files[p]!.byteLength, 0);
        firstBytes.push(built.catalogJsonBytes + built.centroidBytes + firstShards + itemFileBytes(built, firstAnswer.results, bytesPerItem));
        probes.push(warm.stats.probed);
        scanned.push(warm.stats.itemsScanned);
      }
      const medianCold = [...coldBytes].sort((a, b) => a.total - b.total)[coldBytes.length >> 1]!;
      const row: PartitionedRow = {
        ...emptyRow(n, d, dist, options.partitionSize, built),
        exactMsMedian: round(median(exactMs)),
        exactMsP95: round(quantile(exactMs, 0.95)),
        exactResidentMB: round(built.files.reduce((s, f) => s + f.byteLength, 0) / 1e6, 1),
        probeItems: DEFAULT_PROBE_ITEMS,
        probesMedian: median(probes),
        itemsScannedMedian: median(scanned),
        partitionedWarmMsMedian: round(median(warmMs)),
        partitionedWarmMsP95: round(quantile(warmMs, 0.95)),
        recallAt10: round(recalls.reduce((s, x) => s + x, 0) / recalls.length, 4),
        perfectShare: round(recalls.filter((r) => r === 1).length / recalls.length, 3),
        coldBytesMedian: medianCold.total,
        coldBytesP95: quantile(
          coldBytes.map((c) => c.total),
          0.95,
        ),
        coldBytesParts: { catalogJson: built.catalogJsonBytes, centroids: built.centroidBytes, shards: medianCold.shards, items: medianCold.items },
        partitionedResidentPeakMB: round((search.peakResidentBytes + shardByteLength(built.centroids.count, d)) / 1e6, 1),
        budgets,
        first: {
          probeItems: FIRST_RESULTS_ITEMS,
          recallAt10: round(firstRecalls.reduce((s, x) => s + x, 0) / firstRecalls.length, 4),
          coldBytesMedian: median(firstBytes),
        },
      };
      search.dispose();
      rows.push(row);
      log(
        `    exact ${row.exactMsMedian} ms (p95 ${row.exactMsP95}); partitioned warm ${row.partitionedWarmMsMedian} ms (p95 ${row.partitionedWarmMsP95}); recall@10 ${row.recallAt10}; cold ${(row.coldBytesMedian / 1e6).toFixed(1)} MB (p95 ${(row.coldBytesP95 / 1e6).toFixed(1)}); LRU peak ${row.partitionedResidentPeakMB} MB vs ${row.exactResidentMB} MB`,
      );
    }
  }
  return {
    k: K,
    queries: options.queries,
    validationQueries: options.validationQueries,
    itemBytesPerItem: round(bytesPerItem, 1),
    ...(seeds ? { realCatalog: { path: relative(process.cwd(), options.realCatalog), items: seeds.count } } : {}),
    defaultProbeItems: DEFAULT_PROBE_ITEMS,
    maxResidentMB: round(DEFAULT_MAX_RESIDENT_BYTES / 1e6, 1),
    rows,
    ...(sizeSweep.length > 0 ? { sizeSweep } : {}),
  };
}

/** A row with the build figures only (the partition-size sweep's rows: validation budgets, no timings). */
function emptyRow(n: number, d: number, distribution: VectorDistribution, partitionSize: number, built: Built): PartitionedRow {
  return {
    n,
    dimension: d,
    distribution,
    partitionSize,
    partitions: built.partitions.length,
    buildMs: Math.round(built.buildMs),
    kmeansSample: built.kmeansSample,
    exactMsMedian: 0,
    exactMsP95: 0,
    exactResidentMB: 0,
    probeItems: 0,
    probesMedian: 0,
    itemsScannedMedian: 0,
    partitionedWarmMsMedian: 0,
    partitionedWarmMsP95: 0,
    recallAt10: 0,
    perfectShare: 0,
    coldBytesMedian: 0,
    coldBytesP95: 0,
    coldBytesParts: { catalogJson: 0, centroids: 0, shards: 0, items: 0 },
    partitionedResidentPeakMB: 0,
  };
}
