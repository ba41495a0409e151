/** Shared test data for the catalog/search tests: seeded random unit vectors and a float64 reference search. */
import type { CatalogItem } from '../../src/shared/catalog-format.ts';
import { dequantize, quantize, type Shard } from '../../src/shared/catalog-shards.ts';

import { mulberry32 as prng } from '../../src/shared/prng.ts';

export { prng };

/** Standard normal via Box–Muller. */
export function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export function randomUnitVectors(count: number, dim: number, seed: number): Float32Array {
  const g = gaussian(prng(seed));
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const x = g();
      out[i * dim + j] = x;
      norm += x * x;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) out[i * dim + j]! *= inv;
  }
  return out;
}

/** Splits `count` vectors into shards of at most `perShard`. */
export function makeShards(vectors: Float32Array, count: number, dim: number, perShard: number): Shard[] {
  const shards: Shard[] = [];
  for (let start = 0; start < count; start += perShard) {
    const n = Math.min(perShard, count - start);
    shards.push(quantize(vectors.subarray(start * dim, (start + n) * dim), n, dim));
  }
  return shards;
}

export function makeItems(count: number, categories: string[]): CatalogItem[] {
  return Array.from({ length: count }, (_, i) => ({ id: `item-${i}`, title: `Item ${i}`, category: categories[i % categories.length]! }));
}

/** Brute force in float64 over the dequantised vectors: every item's score, and the top K (ties by lower index). */
export function referenceSearch(shards: Shard[], query: Float32Array, k: number, allowed?: (i: number) => boolean): { index: number; score: number }[] {
  const all: { index: number; score: number }[] = [];
  let offset = 0;
  for (const shard of shards) {
    for (let i = 0; i < shard.count; i++) {
      if (allowed && !allowed(offset + i)) continue;
      const scale = shard.scales[i]!;
      let s = 0;
      for (let j = 0; j < shard.dimension; j++) s += query[j]! * (scale * shard.codes[i * shard.dimension + j]!);
      all.push({ index: offset + i, score: s });
    }
    offset += shard.count;
  }
  return all.sort((a, b) => b.score - a.score || a.index - b.index).slice(0, k);
}

/** Vector `index` of the concatenated shards, dequantised. */
export function vectorAt(shards: Shard[], index: number): Float32Array {
  for (const s of shards) {
    if (index < s.count) return dequantize(s, index);
    index -= s.count;
  }
  throw new RangeError('index out of range');
}

/**
 * Asserts a result list matches the reference: same scores rank by rank within
 * `tol`, and the same items except where the reference has near-ties.
 */
export function expectSameRanking(actual: { index: number; score: number }[], reference: { index: number; score: number }[], tol: number): void {
  if (actual.length !== reference.length) throw new Error(`got ${actual.length} results, expected ${reference.length}`);
  for (let r = 0; r < reference.length; r++) {
    const a = actual[r]!;
    const e = reference[r]!;
    if (Math.abs(a.score - e.score) > tol) throw new Error(`rank ${r}: score ${a.score} vs reference ${e.score}`);
    if (a.index !== e.index) {
      const tied = reference.some((x) => x.index === a.index && Math.abs(x.score - e.score) <= tol);
      if (!tied) throw new Error(`rank ${r}: item ${a.index} vs reference ${e.index} (score ${e.score})`);
    }
  }
}
