import { describe, expect, it } from 'vitest';
import { CatalogError, DEFAULT_SHARD_BYTES, shardByteLength, vectorsPerShard } from '../../src/shared/catalog-format.ts';
import { allocateShard, decodeShard, dequantize, encodeShard, quantize, quantizeInto } from '../../src/shared/catalog-shards.ts';
import { randomUnitVectors } from './search-fixtures.ts';

describe('int8 shards', () => {
  it('quantises symmetrically with scale = max|x| / 127, error ≤ scale / 2', () => {
    const dim = 37;
    const v = randomUnitVectors(50, dim, 1);
    const shard = quantize(v, 50, dim);
    for (let i = 0; i < 50; i++) {
      const row = v.subarray(i * dim, (i + 1) * dim);
      const maxAbs = Math.max(...Array.from(row, Math.abs));
      expect(shard.scales[i]).toBeCloseTo(maxAbs / 127, 7);
      const back = dequantize(shard, i);
      for (let j = 0; j < dim; j++) expect(Math.abs(back[j]! - row[j]!)).toBeLessThanOrEqual(shard.scales[i]! / 2 + 1e-7);
      expect(Math.max(...Array.from(shard.codes.subarray(i * dim, (i + 1) * dim), Math.abs))).toBe(127);
    }
  });

  it('gives a zero vector scale 0 and codes 0', () => {
    const out = new Int8Array(4).fill(5);
    expect(quantizeInto([0, 0, 0, 0], out, 0)).toBe(0);
    expect(Array.from(out)).toEqual([0, 0, 0, 0]);
  });

  it('round-trips through bytes, zero-copy on decode', () => {
    const dim = 24;
    const shard = quantize(randomUnitVectors(10, dim, 2), 10, dim);
    const bytes = encodeShard(shard);
    expect(bytes.byteLength).toBe(shardByteLength(10, dim));
    expect(Array.from(bytes.subarray(0, 4), (b) => String.fromCharCode(b)).join('')).toBe('LKS1');
    const back = decodeShard(bytes.buffer as ArrayBuffer, { count: 10, dimension: dim }, 'embeddings-000.bin');
    expect(back.scales).toEqual(shard.scales);
    expect(back.codes).toEqual(shard.codes);
    expect(back.codes.buffer).toBe(bytes.buffer);
  });

  it('allocates a shard file with its header written, whose scales and codes fill it in place', () => {
    const dim = 8;
    const reference = quantize(randomUnitVectors(3, dim, 4), 3, dim);
    const { bytes, shard } = allocateShard(3, dim);
    expect(bytes.byteLength).toBe(shardByteLength(3, dim));
    shard.scales.set(reference.scales);
    shard.codes.set(reference.codes);
    expect(bytes).toEqual(encodeShard(reference));
    const back = decodeShard(bytes, { count: 3, dimension: dim }, 'filled.bin');
    expect(back.codes.buffer).toBe(bytes.buffer);
  });

  it('refuses a damaged or mismatched shard, naming the file', () => {
    const bytes = encodeShard(quantize(randomUnitVectors(3, 8, 3), 3, 8));
    expect(() => decodeShard(bytes.slice(0, 8), { count: 3, dimension: 8 }, 's.bin')).toThrow(/s\.bin is too short/);
    expect(() => decodeShard(bytes.slice(0, bytes.length - 1), { count: 3, dimension: 8 }, 's.bin')).toThrow(/s\.bin is \d+ bytes/);
    expect(() => decodeShard(bytes, { count: 4, dimension: 8 }, 's.bin')).toThrow(/s\.bin holds 3 vectors of 8; catalog\.json says 4 of 8/);
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => decodeShard(bad, { count: 3, dimension: 8 }, 's.bin')).toThrow(CatalogError);
    const nan = bytes.slice();
    new DataView(nan.buffer).setFloat32(16, Number.NaN, true);
    expect(() => decodeShard(nan, { count: 3, dimension: 8 }, 's.bin')).toThrow(/vector 0 has an invalid scale/);
  });

  it('keeps shards within 8 MiB and a 100k × 256 catalog within 30 MB', () => {
    for (const dim of [64, 256, 720, 1000]) {
      const n = vectorsPerShard(dim);
      expect(shardByteLength(n, dim)).toBeLessThanOrEqual(DEFAULT_SHARD_BYTES);
      expect(shardByteLength(n + 1, dim)).toBeGreaterThan(DEFAULT_SHARD_BYTES);
    }
    const per = vectorsPerShard(256);
    const shards = Math.ceil(100_000 / per);
    const total = (shards - 1) * shardByteLength(per, 256) + shardByteLength(100_000 - (shards - 1) * per, 256);
    expect(total).toBeLessThanOrEqual(30e6);
  });
});
