/**
 * Catalog-sized sets of unit vectors for the search benches (bench:search),
 * made deterministically from a seed:
 *
 * - `uniform`: independent uniform directions. No structure at all: every item
 *   is about as far from a query as every other, the worst case for any
 *   partitioned or graph index and the best for nothing.
 * - `real`: "real-distribution" vectors sampled around real catalog
 *   embeddings: x = normalise(r + σ·s ⊙ g), r a real embedding picked at
 *   random, g standard Gaussian, s the real embeddings' per-dimension standard
 *   deviation, σ = `spread` (default 0.35). Such a set keeps the real data's
 *   clusters (product types, styles) and fills them densely, as a large shop's
 *   catalog would. Queries come from the same process with other seeds (never
 *   catalog members).
 */
import { mulberry32 } from '../../src/shared/prng.ts';

export type VectorDistribution = 'uniform' | 'real';

/** A standard normal sampler (Box–Muller) over a seeded uniform source. */
function gaussian(seed: number): () => number {
  const uniform = mulberry32(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

function normaliseRow(out: Float32Array, offset: number, d: number): void {
  let norm = 0;
  for (let j = 0; j < d; j++) norm += out[offset + j]! * out[offset + j]!;
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let j = 0; j < d; j++) out[offset + j]! *= inv;
}

/** `count` uniform random unit vectors of dimension `d`, row-major. */
export function uniformVectors(count: number, d: number, seed: number): Float32Array {
  const g = gaussian(seed);
  const out = new Float32Array(count * d);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < d; j++) out[i * d + j] = g();
    normaliseRow(out, i * d, d);
  }
  return out;
}

/** Per-dimension standard deviation of `count` rows. */
function columnStd(rows: Float32Array, count: number, d: number): Float32Array {
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0; i < count; i++)
    for (let j = 0; j < d; j++) {
      const x = rows[i * d + j]!;
      mean[j]! += x;
      sq[j]! += x * x;
    }
  return Float32Array.from(mean, (m, j) => Math.sqrt(Math.max(0, sq[j]! / count - (m / count) ** 2)));
}

/**
 * `count` unit vectors sampled around the `seeds` (real embeddings, `seedCount × d`, row-major); see the file comment.
 */
export function realDistributionVectors(
  seeds: Float32Array,
  seedCount: number,
  d: number,
  count: number,
  seed: number,
  spread = 0.35,
  /** Filled with the real embedding each vector was sampled around, when given (length `count`). */
  picked?: Int32Array,
): Float32Array {
  if (seedCount < 1) throw new RangeError('real-distribution vectors need at least one real embedding');
  const std = columnStd(seeds, seedCount, d);
  const pick = mulberry32(seed ^ 0x5eed);
  const g = gaussian(seed);
  const out = new Float32Array(count * d);
  for (let i = 0; i < count; i++) {
    const which = Math.floor(pick() * seedCount);
    if (picked) picked[i] = which;
    const r = which * d;
    for (let j = 0; j < d; j++) out[i * d + j] = seeds[r + j]! + spread * std[j]! * g();
    normaliseRow(out, i * d, d);
  }
  return out;
}
