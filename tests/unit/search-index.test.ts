import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expandQuery } from '../../workers/search/query-expansion.ts';
import { PRIOR_SHORTLIST, SearchIndex } from '../../workers/search/search-index.ts';
import { categoryPrior } from '../../workers/search/category-prior.ts';
import { dequantize } from '../../src/shared/catalog-shards.ts';
import { expectSameRanking, makeItems, makeShards, randomUnitVectors, referenceSearch, vectorAt } from './search-fixtures.ts';

const dim = 48;
const n = 2500;
const shards = makeShards(randomUnitVectors(n, dim, 41), n, dim, 1000);
const items = makeItems(n, ['sofa', 'lamp', 'rug', 'bed', 'chair']);
const catalog = { items, shards };
const queries = randomUnitVectors(6, dim, 42);
const query = (q: number) => queries.subarray(q * dim, (q + 1) * dim);

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('search index', () => {
  it('picks the path by catalog size and backend (configurable)', () => {
    expect(new SearchIndex(catalog).path).toBe('typed-array');
    // On cpu/wasm the typed-array scan is faster, so 'auto' stays there unless told otherwise.
    expect(new SearchIndex(catalog, { gpuThreshold: 2000 }).path).toBe('typed-array');
    expect(new SearchIndex(catalog, { gpuThreshold: 2000, gpuBackends: ['cpu'] }).path).toBe('gpu');
    expect(new SearchIndex(catalog, { gpuThreshold: 3000, gpuBackends: ['cpu'] }).path).toBe('typed-array');
    expect(new SearchIndex(catalog, { gpuThreshold: 2000, path: 'typed-array' }).path).toBe('typed-array');
    expect(() => new SearchIndex({ items: items.slice(1), shards })).toThrow(/2499 items but 2500 vectors/);
  });

  it("hands the page every item's stored vector as one int8 shard, a quarter of float32's bytes", () => {
    const index = new SearchIndex(catalog); // three shards of 1000, 1000 and 500
    const all = index.quantized();
    expect([all.count, all.dimension]).toEqual([n, dim]);
    expect(all.codes.byteLength + all.scales.byteLength).toBe(n * dim + 4 * n);
    for (const i of [0, 999, 1000, 2001, n - 1]) expect(dequantize(all, i)).toEqual(index.vector(i));
  });

  it('returns index, id and score on both paths, matching the reference', async () => {
    const cpu = new SearchIndex(catalog, { path: 'typed-array' });
    const gpu = new SearchIndex(catalog, { path: 'gpu' });
    for (let q = 0; q < 3; q++) {
      const ref = referenceSearch(shards, query(q), 10);
      const a = await cpu.search(query(q), { k: 10 });
      const b = await gpu.search(query(q), { k: 10 });
      expectSameRanking(a, ref, 1e-5);
      expectSameRanking(b, ref, 2e-6);
      for (const r of [...a, ...b]) expect(r.id).toBe(`item-${r.index}`);
    }
    await expect(cpu.search(new Float32Array(3))).rejects.toThrow(/query has 3 values but this catalog's embeddings have 48/);
    gpu.dispose();
  });

  it('filters by category, caching the mask (the GPU path keeps one on the device)', async () => {
    const gpu = new SearchIndex(catalog, { path: 'gpu' });
    gpu.prepare();
    const base = tf.memory().numTensors;
    for (let q = 0; q < 4; q++) {
      const hits = await gpu.search(query(q), { k: 7, filter: { categories: ['rug', 'bed'] } });
      expect(hits.every((h) => ['rug', 'bed'].includes(items[h.index]!.category!))).toBe(true);
      expectSameRanking(
        hits,
        referenceSearch(shards, query(q), 7, (i) => ['rug', 'bed'].includes(items[i]!.category!)),
        2e-6,
      );
      expect(tf.memory().numTensors).toBe(base + 1);
    }
    gpu.dispose();
    expect(tf.memory().numTensors).toBe(base - 1);
  });

  it("lets the photo's category probabilities re-order the cosine shortlist (the category prior)", async () => {
    const labels = ['sofa', 'lamp', 'rug', 'bed', 'chair'];
    const prior = categoryPrior(labels, [0, 0.9, 0.1, 0, 0], 0.5);
    for (const path of ['typed-array', 'gpu'] as const) {
      const index = new SearchIndex(catalog, { path });
      const plain = await index.search(query(5), { k: 10 });
      const steered = await index.search(query(5), { k: 10, categoryPrior: prior });
      const shortlist = referenceSearch(shards, query(5), PRIOR_SHORTLIST);
      const rank = (i: number) => shortlist.find((r) => r.index === i)!.score + 0.5 * (prior.probabilities[items[i]!.category!] ?? 0);
      const expected = [...shortlist]
        .sort((a, b) => rank(b.index) - rank(a.index))
        .slice(0, 10)
        .map((r) => r.index);
      expect(steered.map((h) => h.index)).toEqual(expected);
      // Lamps are predicted: more of them come first than by cosine alone, each carrying what the prior added.
      const lamps = (hits: { index: number }[]) => hits.filter((h) => items[h.index]!.category === 'lamp').length;
      expect(lamps(steered)).toBeGreaterThan(lamps(plain));
      for (const h of steered) expect(h.prior).toBeCloseTo(0.5 * (prior.probabilities[items[h.index]!.category!] ?? 0), 6);
      expect(plain.every((h) => h.prior === 0)).toBe(true);
      // A weight of 0 is the plain ranking.
      expect((await index.search(query(5), { k: 10, categoryPrior: { ...prior, weight: 0 } })).map((h) => h.index)).toEqual(plain.map((h) => h.index));
      index.dispose();
    }
    expect(() => categoryPrior(labels, [1, 0], 0.5)).toThrow(/2 probabilities for 5 labels/);
  });

  it('expands the query with the mean of its top-n results (AQE) and the weighted form (αQE)', async () => {
    for (const path of ['typed-array', 'gpu'] as const) {
      const index = new SearchIndex(catalog, { path });
      for (const alpha of [0, 3]) {
        const first = referenceSearch(shards, query(4), 5);
        const expanded = expandQuery(
          query(4),
          first.map((r) => vectorAt(shards, r.index)),
          first.map((r) => r.score),
          alpha,
        );
        // By hand: q + Σ w·x, normalised.
        const manual = Float64Array.from(query(4));
        first.forEach((r) => vectorAt(shards, r.index).forEach((x, j) => (manual[j]! += (alpha ? Math.max(r.score, 0) ** alpha : 1) * x)));
        const norm = Math.hypot(...manual);
        manual.forEach((x, j) => expect(expanded[j]).toBeCloseTo(x / norm, 6));
        const hits = await index.search(query(4), { k: 10, expansion: { n: 5, alpha } });
        expectSameRanking(hits, referenceSearch(shards, expanded, 10), path === 'gpu' ? 2e-6 : 1e-5);
      }
      index.dispose();
    }
  });

  it('gives the stored vector of any item', () => {
    const index = new SearchIndex(catalog);
    expect(Array.from(index.vector(1234))).toEqual(Array.from(vectorAt(shards, 1234)));
    expect(() => index.vector(n)).toThrow(/outside the catalog/);
  });
});
