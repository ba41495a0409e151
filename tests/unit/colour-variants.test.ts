/** One product, one card: colour variants fold into the best-ranked card, which lists their colours. */
import { describe, expect, it } from 'vitest';
import { groupColourVariants } from '../../src/app/colour-variants.ts';
import type { ResultCard } from '../../src/app/result-card.ts';
import type { ItemView } from '../../src/shared/worker-api/index.ts';

const items: ItemView[] = [
  { id: 'lee-blue', title: 'Lee longsleeve', category: 'longsleeve', attributes: { product_code: '145872', color: 'Dark Blue' } },
  { id: 'tee', title: 'Basic tee', category: 'tshirt', attributes: { product_code: '222', color: 'White' } },
  { id: 'lee-grey', title: 'Lee longsleeve', category: 'longsleeve', attributes: { product_code: '145872', color: 'Dark Grey' } },
  { id: 'lee-grey-2', title: 'Lee longsleeve', category: 'longsleeve', attributes: { product_code: '145872', color: 'Dark Grey' } },
  { id: 'lamp-a', title: 'NYMÅNE', category: 'lamp', attributes: { color: 'White' } },
  { id: 'lamp-b', title: 'Nymåne ', category: 'lamp', attributes: { color: 'Anthracite' } },
  { id: 'lamp-c', title: 'NYMÅNE', category: 'lamp', attributes: { color: 'Black' } },
];
const byId = new Map(items.map((i) => [i.id, i]));
const card = (id: string, score: number): ResultCard => ({ id, title: byId.get(id)?.title ?? id, score });
const unit = (...v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / n);
};

describe('colour variants', () => {
  it('folds variants with one product code into the first card, listing each colour once, keeping the order', () => {
    const cards = ['lee-blue', 'tee', 'lee-grey', 'lee-grey-2', 'photo-only'].map((id, i) => card(id, 1 - i / 10));
    const out = groupColourVariants(cards, (id) => byId.get(id));
    expect(out.map((c) => c.id)).toEqual(['lee-blue', 'tee', 'photo-only']);
    expect(out[0]!.colours).toEqual(['Dark Blue', 'Dark Grey']);
    expect(out[1]!.colours).toBeUndefined(); // one colour: nothing to list
    expect(cards[0]!.colours).toBeUndefined(); // the input cards are not changed
  });

  it('without a product code, folds same-titled items of a category only when they look alike', () => {
    const vectors = new Map([
      ['lamp-a', unit(1, 0, 0)],
      ['lamp-b', unit(1, 0.1, 0)], // the same lamp in another colour
      ['lamp-c', unit(0, 1, 0)], // same name, another lamp altogether
    ]);
    const cards = ['lamp-a', 'lamp-b', 'lamp-c'].map((id, i) => card(id, 1 - i / 10));
    const out = groupColourVariants(
      cards,
      (id) => byId.get(id),
      (id) => vectors.get(id),
    );
    expect(out.map((c) => c.id)).toEqual(['lamp-a', 'lamp-c']);
    expect(out[0]!.colours).toEqual(['White', 'Anthracite']);
  });
});
