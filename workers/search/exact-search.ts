/**
 * Exact cosine top-K over int8 shards with plain typed arrays: for each item,
 * score = scale · Σ q[j]·code[j] (the dot product with the dequantised vector;
 * the cosine, as both sides are unit length). Realm-neutral; no tfjs.
 */
import type { Shard } from '../../src/shared/catalog-shards.ts';
import { TopK, type Scored } from './top-k.ts';

/**
 * Σ q[j]·codes[base+j] for j < d: 8 products per step into 4 independent
 * accumulators (breaks the add dependency chain; V8 keeps it all in registers).
 */
export function dotInt8(q: Float64Array, codes: Int8Array, base: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  const end8 = d - 7;
  for (; j < end8; j += 8) {
    const b = base + j;
    s0 += q[j]! * codes[b]! + q[j + 4]! * codes[b + 4]!;
    s1 += q[j + 1]! * codes[b + 1]! + q[j + 5]! * codes[b + 5]!;
    s2 += q[j + 2]! * codes[b + 2]! + q[j + 6]! * codes[b + 6]!;
    s3 += q[j + 3]! * codes[b + 3]! + q[j + 7]! * codes[b + 7]!;
  }
  for (; j < d; j++) s0 += q[j]! * codes[base + j]!;
  return s0 + s1 + s2 + s3;
}

/**
 * The K best items for `query` over all shards (item index = position in the
 * concatenated shards). `mask`, when given, has one byte per item: 0 = skip.
 */
export function exactSearch(shards: readonly Shard[], query: Float32Array, k: number, mask?: Uint8Array): Scored[] {
  const top = new TopK(k);
  if (k === 0) return [];
  const q = Float64Array.from(query);
  let offset = 0;
  for (const shard of shards) {
    const d = shard.dimension;
    if (d !== query.length) throw new RangeError(`the query has ${query.length} values but the catalog's vectors have ${d}`);
    const { scales, codes, count } = shard;
    for (let i = 0; i < count; i++) {
      if (mask !== undefined && mask[offset + i] === 0) continue;
      const score = scales[i]! * dotInt8(q, codes, i * d, d);
      // Items come in index order, so a tie never displaces a kept (lower-index) item.
      if (score > top.threshold) top.push(offset + i, score);
    }
    offset += count;
  }
  return top.sorted();
}

/** Scores of every item (no top-K), e.g. for evaluation; same arithmetic as exactSearch. */
export function scoreAll(shards: readonly Shard[], query: Float32Array): Float32Array {
  const total = shards.reduce((n, s) => n + s.count, 0);
  const out = new Float32Array(total);
  const q = Float64Array.from(query);
  let offset = 0;
  for (const shard of shards) {
    const d = shard.dimension;
    for (let i = 0; i < shard.count; i++) out[offset + i] = shard.scales[i]! * dotInt8(q, shard.codes, i * d, d);
    offset += shard.count;
  }
  return out;
}
