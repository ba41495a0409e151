import { describe, expect, it } from 'vitest';
import { dotInt8, dotInt8Words, exactSearch, integerQuery, scoreAll } from '../../workers/search/exact-search.ts';
import { filterMask } from '../../workers/search/filter.ts';
import { TopK } from '../../workers/search/top-k.ts';
import { expectSameRanking, makeItems, makeShards, prng, randomUnitVectors, referenceSearch } from './search-fixtures.ts';

describe('top-K heap', () => {
  it('keeps the K best, best first, ties by lower index', () => {
    const rand = prng(7);
    const scores = Array.from({ length: 500 }, () => Math.round(rand() * 50) / 50);
    const top = new TopK(25);
    scores.forEach((s, i) => top.push(i, s));
    const expected = scores
      .map((score, index) => ({ index, score }))
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .slice(0, 25);
    expect(top.sorted()).toEqual(expected);
  });

  it('handles K = 0 and K larger than the input', () => {
    const none = new TopK(0);
    none.push(1, 1);
    expect(none.sorted()).toEqual([]);
    const big = new TopK(10);
    big.push(3, 0.5);
    big.push(1, 0.9);
    expect(big.sorted()).toEqual([
      { index: 1, score: 0.9 },
      { index: 3, score: 0.5 },
    ]);
  });
});

describe('typed-array exact search', () => {
  it('dotInt8 matches a plain loop, for dimensions not a multiple of 8', () => {
    const rand = prng(3);
    for (const d of [1, 7, 8, 13, 256, 721]) {
      const q = Float64Array.from({ length: d }, () => rand() - 0.5);
      const codes = Int8Array.from({ length: d + 5 }, () => Math.round(rand() * 254) - 127);
      let s = 0;
      for (let j = 0; j < d; j++) s += q[j]! * codes[5 + j]!;
      expect(dotInt8(q, codes, 5, d)).toBeCloseTo(s, 10);
    }
  });

  it('the word kernel with an integer query: no int32 overflow even at the extreme, small error', () => {
    for (const d of [4, 256, 1296]) {
      // Worst case for the sum: every code +127 and an all-positive query.
      const query = new Float32Array(d).fill(1 / Math.sqrt(d));
      const { qi, scale } = integerQuery(query);
      let sumAbs = 0;
      qi.forEach((x) => (sumAbs += Math.abs(x)));
      expect(sumAbs * 127).toBeLessThan(2 ** 31);
      const words = new Int32Array(new Int8Array(d).fill(127).buffer);
      // Relative error ≤ 1e-4 even here (all coordinates equal, so the rounding errors add up).
      const exact = 127 * Math.sqrt(d);
      expect(Math.abs(dotInt8Words(qi, words, 0, d) / scale - exact) / exact).toBeLessThan(1e-4);
      const neg = new Int32Array(new Int8Array(d).fill(-127).buffer);
      expect(Math.abs(dotInt8Words(qi, neg, 0, d) / scale + exact) / exact).toBeLessThan(1e-4);
    }
    expect(integerQuery(new Float32Array(8)).scale).toBe(0);
    const rand = prng(5);
    const d = 64;
    const codes = Int8Array.from({ length: d }, () => Math.round(rand() * 254) - 127);
    const q = Float32Array.from({ length: d }, () => rand() - 0.5);
    const { qi, scale } = integerQuery(q);
    const reference = dotInt8(Float64Array.from(q), codes, 0, d);
    expect(Math.abs(dotInt8Words(qi, new Int32Array(codes.buffer), 0, d) / scale - reference) / Math.abs(reference)).toBeLessThan(1e-5);
  });

  it.each([52, 37])('matches a float64 brute force over several shards (dimension %i)', (dim) => {
    const n = 2345;
    const shards = makeShards(randomUnitVectors(n, dim, 11), n, dim, 600);
    const queries = randomUnitVectors(20, dim, 12);
    for (let q = 0; q < 20; q++) {
      const query = queries.subarray(q * dim, (q + 1) * dim);
      expectSameRanking(exactSearch(shards, query, 10), referenceSearch(shards, query, 10), dim % 4 ? 1e-9 : 1e-5);
    }
    const query = queries.subarray(0, dim);
    const all = scoreAll(shards, query);
    const ref = referenceSearch(shards, query, n);
    for (const r of ref.slice(0, 50)) expect(all[r.index]).toBeCloseTo(r.score, 6);
    expect(exactSearch(shards, query, n + 10)).toHaveLength(n);
  });

  it('filters by category and by item set', () => {
    const dim = 32;
    const n = 1000;
    const shards = makeShards(randomUnitVectors(n, dim, 21), n, dim, 300);
    const items = makeItems(n, ['sofa', 'lamp', 'rug']);
    const query = randomUnitVectors(1, dim, 22);
    const lamps = filterMask({ categories: ['lamp'] }, items)!;
    const hits = exactSearch(shards, query, 15, lamps);
    expect(hits.every((h) => items[h.index]!.category === 'lamp')).toBe(true);
    expectSameRanking(
      hits,
      referenceSearch(shards, query, 15, (i) => items[i]!.category === 'lamp'),
      1e-5,
    );
    const few = [5, 17, 400, 999];
    const mask = filterMask({ indices: few, categories: ['sofa', 'lamp'] }, items)!;
    expect(
      exactSearch(shards, query, 10, mask)
        .map((h) => h.index)
        .sort((a, b) => a - b),
    ).toEqual(few.filter((i) => items[i]!.category !== 'rug'));
    expect(() => filterMask({ indices: [n] }, items)).toThrow(/item index 1000 is outside the catalog/);
  });

  it('refuses a query of the wrong length', () => {
    const shards = makeShards(randomUnitVectors(4, 8, 1), 4, 8, 4);
    expect(() => exactSearch(shards, new Float32Array(9), 3)).toThrow(/query has 9 values but the catalog's vectors have 8/);
  });
});
