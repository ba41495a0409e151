import { describe, expect, it } from 'vitest';
import type { CatalogScene } from '../../src/shared/catalog-format.ts';
import { findScene, reasonText, seenIn } from '../../workers/scenes.ts';
import { cosine } from '../../src/shared/vector.ts';
import { sceneTitleFromFile } from '../../scripts/lib/catalog-indexer.ts';

// Items as 2-d directions: a lamp family near the x axis, sofas near y.
const vectors: Record<string, number[]> = {
  lampA: [1, 0],
  lampB: [0.95, 0.31], // cos(lampA) ≈ 0.95
  lampC: [0.8, 0.6], // ≈ 0.80
  sofaA: [0, 1],
  sofaB: [0.1, 0.99],
  lonely: [0.7, 0.7], // in no scene
};
const ids = Object.keys(vectors);
const itemIndex = new Map(ids.map((id, i) => [id, i]));
const vector = (i: number) => Float32Array.from(vectors[ids[i]!]!);
const scene = (id: string, itemIds: string[]): CatalogScene => ({ id, title: id, image: `scenes/${id}.jpg`, itemIds });
const scenes = [scene('living', ['sofaA', 'lampB']), scene('study', ['lampA']), scene('den', ['lampC', 'sofaB']), scene('hall', ['lampA', 'lampC'])];

describe('seenIn', () => {
  it('lists the scenes that contain the item first, in catalog order', () => {
    const out = seenIn({ scenes, itemIndex, vector, itemId: 'lampA', limit: 2 });
    expect(out.map((m) => [m.scene.id, m.reason.kind])).toEqual([
      ['study', 'contains'],
      ['hall', 'contains'],
    ]);
  });

  it('fills up to the limit with scenes of the closest look-alikes, naming the look-alike and its similarity', () => {
    const out = seenIn({ scenes, itemIndex, vector, itemId: 'lampA', limit: 4 });
    expect(out.map((m) => m.scene.id)).toEqual(['study', 'hall', 'living', 'den']);
    const living = out[2]!.reason;
    expect(living.kind).toBe('look-alike');
    if (living.kind !== 'look-alike') return;
    expect(living.itemId).toBe('lampB'); // the closest look-alike, not sofaA which is in the same scene
    expect(living.similarity).toBeCloseTo(cosine(Float32Array.from(vectors.lampA!), Float32Array.from(vectors.lampB!)), 6);
    expect(out[3]!.reason).toMatchObject({ kind: 'look-alike', itemId: 'lampC' });
  });

  it('an item in no scene gets only look-alike scenes, best first, each scene once', () => {
    const out = seenIn({ scenes, itemIndex, vector, itemId: 'lonely', limit: 10 });
    expect(new Set(out.map((m) => m.scene.id)).size).toBe(out.length);
    expect(out.length).toBe(scenes.length);
    const sims = out.map((m) => (m.reason.kind === 'look-alike' ? m.reason.similarity : 2));
    expect(sims).toEqual([...sims].sort((a, b) => b - a));
    expect(out.every((m) => m.reason.kind === 'look-alike')).toBe(true);
  });

  it('leaves out look-alikes below minSimilarity, and returns none when nothing is close', () => {
    const out = seenIn({ scenes, itemIndex, vector, itemId: 'sofaA', limit: 10, minSimilarity: 0.9 });
    expect(out.map((m) => m.scene.id)).toEqual(['living', 'den']);
    expect(out[1]!.reason).toMatchObject({ kind: 'look-alike', itemId: 'sofaB' });
    expect(seenIn({ scenes, itemIndex, vector, itemId: 'lonely', limit: 5, minSimilarity: 0.999 })).toEqual([]);
    expect(seenIn({ scenes: [], itemIndex, vector, itemId: 'lampA', limit: 5 })).toEqual([]);
  });

  it("offers look-alikes of the item's own category only (a shirt is not seen in a room through a cushion)", () => {
    const category = (i: number) => (ids[i]!.startsWith('lamp') ? 'lamp' : ids[i] === 'lonely' ? undefined : 'sofa');
    const out = seenIn({ scenes, itemIndex, vector, category, itemId: 'sofaA', limit: 10 });
    expect(out.map((m) => [m.scene.id, m.reason.kind === 'look-alike' ? m.reason.itemId : 'contains'])).toEqual([
      ['living', 'contains'],
      ['den', 'sofaB'],
    ]); // the lamps, however close, are not sofas
    expect(seenIn({ scenes, itemIndex, vector, category, itemId: 'lonely', limit: 10 })).toHaveLength(scenes.length); // no category: any look-alike
  });

  it('refuses an item that is not in the catalog', () => {
    expect(() => seenIn({ scenes, itemIndex, vector, itemId: 'nope', limit: 3 })).toThrow(/item "nope" is not in this catalog/);
  });
});

describe('scene helpers', () => {
  it('reasonText says why in words', () => {
    expect(reasonText({ kind: 'contains' })).toBe('contains this product');
    expect(reasonText({ kind: 'look-alike', itemId: 'x', similarity: 0.8712 })).toBe('contains a look-alike (0.87)');
  });

  it('findScene finds by id and names a missing one', () => {
    expect(findScene(scenes, 'den').itemIds).toEqual(['lampC', 'sofaB']);
    expect(() => findScene(scenes, 'attic')).toThrow(/scene "attic" is not in this catalog/);
  });
});

describe('scene titles from file names', () => {
  it('reads as words, the brand prefix and photo ids dropped, sentence case', () => {
    expect(sceneTitleFromFile('rooms/ikea-a-bed-that-folds-away-to-be-a-sofa-by-day__1364309472525-s4.jpg')).toBe('A bed that folds away to be a sofa by day');
    expect(sceneTitleFromFile('/x/ikea-a-clean-way-to-display-or-tidy-away.__1364309466684-s4.jpg')).toBe('A clean way to display or tidy away');
    expect(sceneTitleFromFile('living_room.png')).toBe('Living room');
  });
});
