/** The category vote as the shopper reads it (src/app/vote-words.ts): the top labels, their names, and what the vote averaged. */
import { describe, expect, it } from 'vitest';
import { prettyLabel, topLabels, viewsNote } from '../../src/app/vote-words.ts';

describe('the category vote in words', () => {
  it('lists the most probable labels first', () => {
    const votes = topLabels(['sofa', 'chair', 'lamp', 'rug'], Float32Array.from([0.1, 0.5, 0.05, 0.35]), 3);
    expect(votes.map((v) => v.label)).toEqual(['chair', 'rug', 'sofa']);
    expect(votes[0]!.prob).toBeCloseTo(0.5);
  });

  it('names labels as words', () => {
    expect(prettyLabel('table_desk')).toBe('Table / desk');
  });

  it('says which views each vote averaged, and nothing for the whole photo alone', () => {
    expect(viewsNote(false, false)).toBeUndefined();
    expect(viewsNote(true, false)).toBe('Each vote averages the whole photo and its centre.');
    expect(viewsNote(false, true)).toBe('Each vote averages the photo and its mirror image.');
    expect(viewsNote(true, true)).toBe('Each vote averages the whole photo, its centre and their mirror images.');
  });
});
