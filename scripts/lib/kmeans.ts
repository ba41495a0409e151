/**
 * Spherical k-means (cosine) over unit-length embeddings, for partitioning a
 * large catalog into coarse clusters (docs/catalog-format.md, "Partitions").
 * Deterministic for a given seed. Trained on a sample (at most `sampleSize`
 * rows), then every row is assigned to its nearest centroid.
 *
 * Rows are one flat Float32Array, row-major (`count × dimension`).
 */
import { mulberry32 } from '../../src/shared/prng.ts';

export interface KMeansOptions {
  /** Seed for the sample and the initial centroids (default 1). */
  seed?: number;
  /** Lloyd iterations on the sample (default 12). */
  iterations?: number;
  /** Rows the centroids are trained on (default 64 × k, at least 10,000). */
  sampleSize?: number;
}

/** Σ a[ao+j]·b[bo+j] over j < d, 4 accumulators. */
function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < d; j += 4) {
    s0 += a[ao + j]! * b[bo + j]!;
    s1 += a[ao + j + 1]! * b[bo + j + 1]!;
    s2 += a[ao + j + 2]! * b[bo + j + 2]!;
    s3 += a[ao + j + 3]! * b[bo + j + 3]!;
  }
  for (; j < d; j++) s0 += a[ao + j]! * b[bo + j]!;
  return s0 + s1 + s2 + s3;
}

/** Normalises each row of `rows` in place (a zero row stays zero). */
function normaliseRows(rows: Float32Array, count: number, d: number): void {
  for (let i = 0; i < count; i++) {
    const norm = Math.sqrt(dot(rows, i * d, rows, i * d, d));
    if (norm > 0) for (let j = 0; j < d; j++) rows[i * d + j]! /= norm;
  }
}

/** The index of the centroid with the largest cosine to row `i`, and that cosine. */
export function nearestCentroid(rows: Float32Array, i: number, centroids: Float32Array, k: number, d: number): { index: number; score: number } {
  let best = 0;
  let bestScore = -Infinity;
  for (let c = 0; c < k; c++) {
    const s = dot(rows, i * d, centroids, c * d, d);
    if (s > bestScore) {
      bestScore = s;
      best = c;
    }
  }
  return { index: best, score: bestScore };
}

/** Every row's nearest centroid (ties: the lower index). */
export function assignNearest(rows: Float32Array, count: number, d: number, centroids: Float32Array, k: number): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = nearestCentroid(rows, i, centroids, k, d).index;
  return out;
}

/**
 * `k` unit centroids (k × d) for `count` rows of dimension `d`. k is capped
 * at the number of rows. An emptied cluster is re-seeded with the sample row
 * farthest from its centroid, so every centroid ends up owning rows.
 */
export function trainCentroids(rows: Float32Array, count: number, d: number, k: number, options: KMeansOptions = {}): Float32Array {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer (got ${k})`);
  if (count < 1) throw new RangeError('k-means needs at least one row');
  k = Math.min(k, count);
  const random = mulberry32(options.seed ?? 1);
  const sampleSize = Math.min(count, options.sampleSize ?? Math.max(10_000, 64 * k));
  // A seeded partial Fisher–Yates shuffle picks the sample; its first k rows seed the centroids.
  const order = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = 0; i < sampleSize; i++) {
    const j = i + Math.floor(random() * (count - i));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const sample = new Float32Array(sampleSize * d);
  for (let i = 0; i < sampleSize; i++) sample.set(rows.subarray(order[i]! * d, order[i]! * d + d), i * d);
  const centroids = sample.slice(0, k * d);
  normaliseRows(centroids, k, d);
  const assignment = new Int32Array(sampleSize);
  const score = new Float64Array(sampleSize);
  const sums = new Float64Array(k * d);
  const sizes = new Int32Array(k);
  for (let iteration = 0; iteration < (options.iterations ?? 12); iteration++) {
    let changed = 0;
    for (let i = 0; i < sampleSize; i++) {
      const { index, score: s } = nearestCentroid(sample, i, centroids, k, d);
      if (index !== assignment[i] || iteration === 0) changed++;
      assignment[i] = index;
      score[i] = s;
    }
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < sampleSize; i++) {
      const c = assignment[i]!;
      sizes[c]!++;
      for (let j = 0; j < d; j++) sums[c * d + j]! += sample[i * d + j]!;
    }
    // Re-seed empty clusters with the worst-fitting rows (each row once).
    const empty = [...sizes.keys()].filter((c) => sizes[c] === 0);
    if (empty.length > 0) {
      const worst = [...score.keys()].sort((a, b) => score[a]! - score[b]! || a - b).slice(0, empty.length);
      empty.forEach((c, n) => {
        const i = worst[n]!;
        for (let j = 0; j < d; j++) sums[c * d + j] = sample[i * d + j]!;
        sizes[c] = 1;
      });
    }
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) centroids[c * d + j] = sums[c * d + j]!;
    normaliseRows(centroids, k, d);
    if (changed === 0 && empty.length === 0) break;
  }
  return centroids;
}
