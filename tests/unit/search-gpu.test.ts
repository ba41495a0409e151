import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { filterMask } from '../../workers/search/filter.ts';
import { GpuSearch } from '../../workers/search/gpu-search.ts';
import { expectSameRanking, makeItems, makeShards, randomUnitVectors, referenceSearch } from './search-fixtures.ts';

const initial = tf.getBackend();
afterAll(async () => {
  if (initial) await tf.setBackend(initial);
});

describe.each(['cpu', 'wasm'])('tfjs search path on the %s backend', (backend) => {
  it('matches a float64 brute force, with and without a category filter; no tensors leak', async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    await tf.ready();
    const dim = 40;
    const n = 3000;
    const shards = makeShards(randomUnitVectors(n, dim, 31), n, dim, 1100);
    const items = makeItems(n, ['shirt', 'dress', 'shoes', 'hat']);
    const queries = randomUnitVectors(8, dim, 32);
    const before = tf.memory().numTensors;
    const gpu = GpuSearch.create(shards);
    expect(tf.memory().numTensors).toBe(before + 1);
    const afterUpload = tf.memory().numTensors;
    const dresses = filterMask({ categories: ['dress'] }, items)!;
    const hats = filterMask({ categories: ['hat', 'shoes'] }, items)!;
    for (let q = 0; q < 8; q++) {
      const query = queries.subarray(q * dim, (q + 1) * dim);
      expectSameRanking(await gpu.search(query, 10), referenceSearch(shards, query, 10), 2e-6);
      const filtered = await gpu.search(query, 12, q % 2 ? dresses : hats);
      const allowed = q % 2 ? (i: number) => items[i]!.category === 'dress' : (i: number) => ['hat', 'shoes'].includes(items[i]!.category!);
      expectSameRanking(filtered, referenceSearch(shards, query, 12, allowed), 2e-6);
      // Only the cached mask may stay on the device between queries.
      expect(tf.memory().numTensors).toBe(afterUpload + 1);
    }
    // k beyond the allowed items gives only allowed items.
    const small = filterMask({ indices: [3, 7, 11] }, items)!;
    expect((await gpu.search(queries.subarray(0, dim), 10, small)).map((h) => h.index).sort((a, b) => a - b)).toEqual([3, 7, 11]);
    await expect(gpu.search(new Float32Array(dim + 1), 5)).rejects.toThrow(/query has 41 values/);
    gpu.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(gpu.search(queries.subarray(0, dim), 5)).rejects.toThrow(/disposed/);
  });
});
