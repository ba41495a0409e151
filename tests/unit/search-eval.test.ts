import { describe, expect, it } from 'vitest';
import { interleaveByRank, precisionAtK, recallAtK } from '../../scripts/lib/search-eval.ts';

describe('search-quality measures', () => {
  it('interleaves per-object lists by rank, dedupes, cuts at K', () => {
    expect(interleaveByRank([['a', 'b', 'c'], ['x', 'a', 'y'], []], 10)).toEqual(['a', 'x', 'b', 'c', 'y']);
    expect(
      interleaveByRank(
        [
          ['a', 'b', 'c'],
          ['x', 'y', 'z'],
        ],
        3,
      ),
    ).toEqual(['a', 'x', 'b']);
    expect(interleaveByRank([], 5)).toEqual([]);
  });

  it('precision@K counts same-category results over K', () => {
    expect(precisionAtK(['dress', 'shirt', 'dress', undefined], 'dress', 4)).toBe(0.5);
    expect(precisionAtK(['dress'], 'dress', 10)).toBe(0.1);
  });

  it('recall@K is over all (photo, item) pairs; photos without results count as misses', () => {
    const pairs = [
      { photo: 'r1', itemId: 'a' },
      { photo: 'r1', itemId: 'b' },
      { photo: 'r2', itemId: 'c' },
      { photo: 'r3', itemId: 'd' },
    ];
    const results = new Map([
      ['r1', ['a', 'x', 'b']],
      ['r2', ['y', 'c']],
    ]);
    expect(recallAtK(pairs, results, 1)).toBe(0.25);
    expect(recallAtK(pairs, results, 2)).toBe(0.5);
    expect(recallAtK(pairs, results, 3)).toBe(0.75);
  });
});
