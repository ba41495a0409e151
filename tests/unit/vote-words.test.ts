/** The category vote as the shopper reads it (src/app/vote-words.ts): the top labels, their names, and what the vote averaged. */
import { describe, expect, it } from 'vitest';
import { prettyLabel, shortModelName, topLabels, viewsNote } from '../../src/app/vote-words.ts';

describe('the category vote in words', () => {
  it('lists the most probable labels first', () => {
    const votes = topLabels(['sofa', 'chair', 'lamp', 'rug'], Float32Array.from([0.1, 0.5, 0.05, 0.35]), 3);
    expect(votes.map((v) => v.label)).toEqual(['chair', 'rug', 'sofa']);
    expect(votes[0]!.prob).toBeCloseTo(0.5);
  });

  it('leaves out labels that would read 0%, but always names the first', () => {
    const sure = topLabels(['sofa', 'chair', 'lamp'], Float32Array.from([0.998, 0.002, 0]), 3, 0.005);
    expect(sure.map((v) => v.label)).toEqual(['sofa']);
    expect(topLabels(['sofa', 'chair'], Float32Array.from([0.001, 0.001]), 3, 0.005)).toHaveLength(1);
  });

  it('names labels as shoppers say them', () => {
    expect(prettyLabel('table_desk')).toBe('Table or desk');
    expect(prettyLabel('tshirt')).toBe('T-shirt');
    expect(prettyLabel('longsleeve')).toBe('Long-sleeve top');
    expect(prettyLabel('sofa')).toBe('Sofa');
    expect(prettyLabel('garden_tool')).toBe('Garden or tool'); // an unknown id still reads as words
  });

  it('names a model without its lineage (kept in the tooltip)', () => {
    expect(shortModelName('MobileNetV3-Small (torchvision, fine-tuned by QVAC on 3 classes, then by Lookalike on our categories)')).toBe('MobileNetV3-Small');
    expect(shortModelName('VGG19')).toBe('VGG19');
  });

  it('says which views each vote averaged, and nothing for the whole photo alone', () => {
    expect(viewsNote(false, false)).toBeUndefined();
    expect(viewsNote(true, false)).toBe('Each vote averages the whole photo and its centre.');
    expect(viewsNote(false, true)).toBe('Each vote averages the photo and its mirror image.');
    expect(viewsNote(true, true)).toBe('Each vote averages the whole photo, its centre and their mirror images.');
  });
});
