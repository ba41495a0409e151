import { describe, expect, it } from 'vitest';
import { l2Normalize } from '../../src/shared/vector.ts';
import { DEFAULT_COMPATIBILITY, complementsOf, resolveCompatibility } from '../../src/personal/compatibility.ts';
import { defaultRanking, excludedItems, forYou } from '../../src/personal/for-you.ts';
import { goesWith } from '../../src/personal/goes-with.ts';
import { onboardingCandidates } from '../../src/personal/onboarding.ts';
import { buildCatalogProfile, buildTasteProfile, decayFactor, weightedSignals } from '../../src/personal/profile.ts';
import { explain, explainScores, rerank } from '../../src/personal/rerank.ts';
import type { EventRecord, EventType } from '../../src/personal/schema.ts';
import { DEFAULT_RANKING_SETTINGS, resolveRankingSettings } from '../../src/personal/settings.ts';
import { centred, centredCosine, dotMean, spaceCosine, tasteSpaceFromVectors, tasteSpaceOf } from '../../src/personal/taste-space.ts';
import type { CatalogItemInfo, CatalogView, PersonalSignals } from '../../src/personal/types.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 1);
const settings = resolveRankingSettings();

/** A tiny catalog in 4 dimensions: axis 0 = red things, 1 = blue things, 2 = green, 3 = furniture. */
function tinyCatalog(): CatalogView {
  const rows: [CatalogItemInfo, number[]][] = [
    [{ id: 'red-shirt', category: 'shirt', color: 'red' }, [1, 0.1, 0, 0]],
    [{ id: 'red-shirt-2', category: 'shirt', color: 'red' }, [0.95, 0, 0.1, 0]],
    [{ id: 'blue-shirt', category: 'shirt', color: 'blue' }, [0.1, 1, 0, 0]],
    [{ id: 'green-shirt', category: 'shirt', color: 'green' }, [0, 0.1, 1, 0]],
    [{ id: 'red-pants', category: 'pants', color: 'red' }, [0.9, 0, 0, 0.2]],
    [{ id: 'blue-pants', category: 'pants', color: 'blue' }, [0, 0.9, 0, 0.2]],
    [{ id: 'green-pants', category: 'pants', color: 'green' }, [0, 0, 0.9, 0.2]],
    [{ id: 'red-shoes', category: 'shoes', color: 'red' }, [0.8, 0, 0.1, 0.3]],
    [{ id: 'blue-shoes', category: 'shoes', color: 'blue' }, [0, 0.8, 0.1, 0.3]],
    [{ id: 'sofa', category: 'sofa' }, [0, 0, 0, 1]],
    [{ id: 'rug', category: 'rug' }, [0.1, 0, 0, 1]],
  ];
  const vectors = new Map(rows.map(([it, v]) => [it.id, l2Normalize(Float32Array.from(v))]));
  return { id: 'tiny', items: rows.map(([it]) => it), embedding: (id) => vectors.get(id) };
}

const ev = (type: EventType, itemId: string, daysAgo: number): EventRecord => ({ type, itemId, catalogId: 'tiny', at: NOW - daysAgo * DAY });
const signals = (p: Partial<PersonalSignals>): PersonalSignals => ({ catalogId: 'tiny', events: [], wishlist: [], preferences: [], ...p });
const wish = (itemId: string, daysAgo: number) => ({ catalogId: 'tiny', itemId, addedAt: NOW - daysAgo * DAY });

describe('taste profile', () => {
  it('halves a signal every half-life', () => {
    expect(decayFactor(0, 14)).toBe(1);
    expect(decayFactor(14 * DAY, 14)).toBeCloseTo(0.5, 10);
    expect(decayFactor(28 * DAY, 14)).toBeCloseTo(0.25, 10);
    expect(decayFactor(-5 * DAY, 14)).toBe(1); // a clock that moved back counts as now
  });

  it('weights signals by kind and age (documented defaults)', () => {
    expect(DEFAULT_RANKING_SETTINGS).toMatchObject({ halfLifeDays: 14, weights: { wishlist: 1, preference: 0.7, click: 0.3, view: 0.05 } });
    expect(DEFAULT_RANKING_SETTINGS.weights.dismiss).toBeLessThan(0);
    const list = weightedSignals(
      signals({
        wishlist: [wish('a', 0)],
        preferences: [{ catalogId: 'tiny', itemId: 'b', pickedAt: NOW - 14 * DAY }],
        events: [ev('click', 'c', 0), ev('view', 'd', 0), ev('dismiss', 'e', 0), ev('wishlist_add', 'a', 0), ev('wishlist_remove', 'z', 0)],
      }),
      settings,
      NOW,
    );
    expect(list.map((s) => [s.itemId, s.kind, +s.weight.toFixed(4)])).toEqual([
      ['a', 'wishlist', 1],
      ['b', 'preference', 0.35],
      ['c', 'click', 0.3],
      ['d', 'view', 0.05],
      ['e', 'dismiss', -0.5],
    ]);
  });

  it('points at what the shopper likes, away from what they dismissed', () => {
    const cat = tinyCatalog();
    const p = buildTasteProfile(
      signals({ wishlist: [wish('red-shirt', 1)], events: [ev('click', 'red-pants', 2), ev('dismiss', 'blue-shirt', 1)] }),
      cat.embedding,
      settings,
      NOW,
    );
    expect(p.vector).not.toBeNull();
    expect(p.vector![0]).toBeGreaterThan(0.8);
    expect(p.vector![1]).toBeLessThan(0);
    expect(p.confidence).toBe(1);
    expect(p.signalCount).toBe(3);
  });

  it('has no vector without history, and low confidence with little', () => {
    const cat = tinyCatalog();
    expect(buildTasteProfile(signals({}), cat.embedding, settings, NOW).vector).toBeNull();
    expect(buildTasteProfile(signals({ events: [ev('dismiss', 'sofa', 0)] }), cat.embedding, settings, NOW).vector).toBeNull();
    expect(buildTasteProfile(signals({ events: [ev('click', 'unknown-item', 0)] }), cat.embedding, settings, NOW).vector).toBeNull();
    const one = buildTasteProfile(signals({ events: [ev('click', 'sofa', 0)] }), cat.embedding, settings, NOW);
    expect(one.confidence).toBeCloseTo(0.3, 6);
  });

  it('lets taste drift: recent signals outweigh old ones', () => {
    const cat = tinyCatalog();
    const p = buildTasteProfile(signals({ wishlist: [wish('red-shirt', 90), wish('red-pants', 90), wish('blue-shirt', 2)] }), cat.embedding, settings, NOW);
    expect(p.vector![1]).toBeGreaterThan(p.vector![0]! * 5);
  });
});

describe('taste space (catalog-centred cosines)', () => {
  it('centred cosine is the cosine of the centred vectors, without copying the catalog', () => {
    const cat = tinyCatalog();
    const space = tasteSpaceOf(cat);
    expect(space).toBe(tasteSpaceOf(cat)); // cached
    const a = cat.embedding('red-shirt')!;
    const b = cat.embedding('blue-pants')!;
    const ca = centred(space, a);
    const cb = centred(space, b);
    const expected = ca.reduce((s, x, i) => s + x * cb[i]!, 0);
    expect(centredCosine(space, b, ca, dotMean(space, ca))).toBeCloseTo(expected, 5);
    expect(spaceCosine(space, a, b)).toBeCloseTo(expected, 5);
  });

  it('tells apart items that raw cosines squeeze together (anisotropic embeddings)', () => {
    const common = l2Normalize(Float32Array.from([0, 0, 0, 0, 1]));
    const mk = (v: number[]) => l2Normalize(Float32Array.from(v.map((x, i) => x * 0.2 + common[i]! * 5)));
    const red = mk([1, 0, 0, 0, 0]);
    const red2 = mk([0.9, 0.1, 0, 0, 0]);
    const blue = mk([0, 1, 0, 0, 0]);
    const green = mk([0, 0, 1, 0, 0]);
    const raw = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i]!, 0);
    expect(raw(red, blue)).toBeGreaterThan(0.99);
    const space = tasteSpaceFromVectors([red, red2, blue, green]);
    expect(spaceCosine(space, red, red2)).toBeGreaterThan(0.5);
    expect(spaceCosine(space, red, blue)).toBeLessThan(0);
  });
});

describe('re-ranking a photo search', () => {
  const cat = tinyCatalog();
  const profile = buildCatalogProfile(signals({ wishlist: [wish('red-shirt', 0), wish('red-pants', 0)] }), cat, settings, NOW);
  const candidates = [
    { id: 'blue-shirt', visual: 0.9 },
    { id: 'red-shirt-2', visual: 0.88 },
    { id: 'blue-shoes', visual: 0.86 },
    { id: 'green-shirt', visual: 0.85 },
  ];
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

  it('blends visual, taste (on the visual scale) and the category prior; the parts add up to the score', () => {
    const s = { beta: 0.5 };
    const shirtPrior = 0.2 * 0.01; // the worker's prior: weight × the photo's probability of "shirt"
    const withPrior = candidates.map((c) => ({ ...c, prior: c.id.includes('shirt') ? shirtPrior : 0 }));
    const out = rerank(withPrior, { catalog: cat, profile, settings: s });
    expect(out.map((r) => r.id)).toEqual(['red-shirt-2', 'blue-shirt', 'green-shirt', 'blue-shoes']);
    const vis = candidates.map((c) => c.visual);
    const tastes = out.map((r) => r.taste!);
    for (const r of out) {
      expect(r.score).toBeCloseTo(r.visual + r.tasteDelta + r.prior, 12);
      const onVisualScale = mean(vis) + (sd(vis) / sd(tastes)) * (r.taste! - mean(tastes));
      expect(r.tasteDelta).toBeCloseTo(0.5 * (onVisualScale - r.visual), 12);
      expect(r.prior).toBe(r.category === 'shirt' ? shirtPrior : 0);
    }
    expect(out.find((r) => r.id === 'red-shirt-2')!.tasteDelta).toBeGreaterThan(0);
    expect(out.find((r) => r.id === 'blue-shirt')!.tasteDelta).toBeLessThan(0);
  });

  it('gives the same order whatever the cosine range of the embedding (scale-free blend)', () => {
    const squeezed = candidates.map((c) => ({ id: c.id, visual: 0.98 + (c.visual - 0.85) / 10 })); // like an anisotropic catalog
    const a = rerank(candidates, { catalog: cat, profile, settings });
    const b = rerank(squeezed, { catalog: cat, profile, settings });
    expect(b.map((r) => r.id)).toEqual(a.map((r) => r.id));
  });

  it('without a profile or a prior, or with β = 0, is the photo order', () => {
    const none = rerank(candidates, { catalog: cat, profile: null, settings });
    expect(none.map((r) => r.id)).toEqual(candidates.map((c) => c.id));
    expect(none.every((r) => r.taste === null && r.tasteDelta === 0 && r.prior === 0)).toBe(true);
    const beta0 = rerank(candidates, { catalog: cat, profile, settings: { beta: 0 } });
    expect(beta0.map((r) => r.id)).toEqual(candidates.map((c) => c.id));
  });

  it('scales taste by confidence (one click moves less than two wishlisted items)', () => {
    const weak = buildCatalogProfile(signals({ events: [ev('click', 'red-shirt', 0)] }), cat, settings, NOW);
    expect(weak.confidence).toBeCloseTo(0.3, 6);
    const w = rerank(candidates, { catalog: cat, profile: weak, settings }).find((r) => r.id === 'red-shirt-2')!;
    const s = rerank(candidates, { catalog: cat, profile, settings }).find((r) => r.id === 'red-shirt-2')!;
    expect(w.tasteDelta).toBeGreaterThan(0);
    expect(w.tasteDelta).toBeLessThan(s.tasteDelta * 0.5);
  });

  it("adds the search's category prior to the score and to the explanation", () => {
    const withPrior = candidates.map((c, i) => ({ ...c, prior: i === candidates.length - 1 ? 0.4 : 0 }));
    const out = rerank(withPrior, { catalog: cat, profile: null, settings: { beta: 0 } });
    const last = candidates[candidates.length - 1]!;
    expect(out[0]!.id).toBe(last.id);
    expect(out[0]!.score).toBeCloseTo(last.visual + 0.4, 12);
    expect(explain(out[0]!)).toBe("Similar look · your photo's category");
    expect(explainScores(out[0]!)).toBe(`look ${last.visual.toFixed(2)} · category +0.40`);
  });

  it('explains a result in words, with the figures one tap away', () => {
    const r = (tasteDelta: number, prior: number, taste: number | null = 0.5) => ({ id: 'x', score: 0, visual: 0.82, taste, tasteDelta, prior });
    expect(explain(r(0.06, 0.03, 0.9))).toBe("Similar look · matches your taste · your photo's category");
    expect(explain(r(-0.04, 0, 0.1))).toBe('Similar look · less like your taste');
    expect(explain(r(0, 0, null))).toBe('Similar look');
    expect(explainScores(r(0.06, 0.03, 0.9))).toBe('look 0.82 · your taste +0.06 · category +0.03');
    expect(explainScores(r(-0.04, 0, 0.1))).toBe('look 0.82 · your taste −0.04');
    expect(explainScores(r(0, 0, null))).toBe('look 0.82');
    // small parts (a catalog whose scores are squeezed together) keep a third decimal rather than read 0.00
    expect(explainScores({ id: 'x', score: 0.985, visual: 0.984, taste: 0.8, tasteDelta: -0.0012, prior: 0.0021 })).toBe(
      'look 0.98 · your taste −0.001 · category +0.002',
    );
    expect(explainScores(r(0, 0))).toBe('look 0.82 · your taste +0.00');
  });
});

describe('For you', () => {
  const cat = tinyCatalog();

  it('ranks by taste, leaving out wishlisted, picked and dismissed items', () => {
    const s = signals({
      wishlist: [wish('red-shirt', 1)],
      preferences: [{ catalogId: 'tiny', itemId: 'red-pants', pickedAt: NOW - DAY }],
      events: [ev('dismiss', 'red-shoes', 1), ev('click', 'red-shirt-2', 3)],
    });
    const profile = buildCatalogProfile(s, cat, settings, NOW);
    const out = forYou(cat, s, { profile, settings, limit: 4 });
    expect(out.map((r) => r.id)[0]).toBe('red-shirt-2');
    const ids = out.map((r) => r.id);
    for (const gone of ['red-shirt', 'red-pants', 'red-shoes']) expect(ids).not.toContain(gone);
    expect(out.every((r) => r.source === 'taste' && r.taste !== null)).toBe(true);
    expect(forYou(cat, s, { profile, settings, limit: 20, excludePicked: false }).map((r) => r.id)).toContain('red-pants');
  });

  it('a dismissal is forgiven by a later click or wishlist', () => {
    expect(excludedItems(signals({ events: [ev('dismiss', 'a', 5), ev('click', 'a', 1)] })).has('a')).toBe(false);
    expect(excludedItems(signals({ events: [ev('click', 'a', 5), ev('dismiss', 'a', 1)] })).has('a')).toBe(true);
  });

  it('with no history: deterministic, alternating categories, most typical first', () => {
    const out = forYou(cat, signals({}), { profile: null, settings, limit: 6 });
    expect(out.every((r) => r.source === 'default')).toBe(true);
    const ids = out.map((r) => r.id);
    expect(ids).toEqual(forYou(cat, signals({}), { profile: null, settings, limit: 6 }).map((r) => r.id));
    const cats = ids.map((id) => cat.items.find((it) => it.id === id)!.category);
    expect(cats.slice(0, 5)).toEqual(['shirt', 'pants', 'shoes', 'rug', 'sofa']);
    expect(new Set(cats.slice(0, 5)).size).toBe(5);
    expect(onboardingCandidates(cat, 5)).toEqual(ids.slice(0, 5));
  });

  it('with popularity, the default is the most popular of each category in turn', () => {
    const base = tinyCatalog();
    const pop = { ...base, items: base.items.map((it) => ({ ...it, popularity: it.id === 'green-shirt' ? 100 : it.id === 'blue-pants' ? 50 : 1 })) };
    expect(defaultRanking(pop, new Set(), 2)).toEqual(['green-shirt', 'blue-pants']);
    expect(defaultRanking(pop, new Set(['green-shirt']), 1)).not.toEqual(['green-shirt']);
  });

  it('cluster favourites get a bonus', () => {
    const s = signals({ wishlist: [wish('red-shirt', 0)] });
    const profile = buildCatalogProfile(s, cat, settings, NOW);
    const plain = forYou(cat, s, { profile, settings, limit: 20 }).map((r) => r.id);
    const boosted = forYou(cat, s, { profile, settings: { clusterWeight: 1 }, limit: 20, clusterFavourites: new Map([['green-pants', 1]]) });
    expect(boosted.map((r) => r.id).indexOf('green-pants')).toBeLessThan(plain.indexOf('green-pants'));
    expect(boosted.find((r) => r.id === 'green-pants')!.clusterBonus).toBe(1);
  });
});

describe('goes with', () => {
  const cat = tinyCatalog();

  it('has defaults for our clothing and furniture categories', () => {
    expect(complementsOf('sofa')).toEqual(expect.arrayContaining(['rug', 'lamp', 'table_desk', 'armchair']));
    expect(complementsOf('shirt')).toEqual(expect.arrayContaining(['pants', 'shoes']));
    const all = [
      'tshirt',
      'longsleeve',
      'pants',
      'shoes',
      'shirt',
      'dress',
      'outerwear',
      'shorts',
      'hat',
      'skirt',
      'storage',
      'textile',
      'lamp',
      'tableware',
      'table_desk',
      'rug',
      'chair',
      'mirror_frame',
      'bed',
      'stool_bench',
      'sofa',
      'plant_pot',
      'armchair',
      'clock',
      'other',
    ];
    for (const c of all) {
      expect(complementsOf(c).length, c).toBeGreaterThan(0);
      for (const other of complementsOf(c)) expect(all, `${c} → ${other}`).toContain(other);
    }
    expect(Object.keys(DEFAULT_COMPATIBILITY).sort()).toEqual([...all].sort());
    expect(complementsOf('spaceship')).toEqual([]);
  });

  it('picks a few per complementary category, best match first', () => {
    const groups = goesWith(cat, 'red-shirt', { profile: null, perCategory: 2 });
    expect(groups.map((g) => g.category)).toEqual(['pants', 'shoes']);
    expect(groups[0]!.items[0]!.id).toBe('red-pants');
    expect(groups[1]!.items[0]!.id).toBe('red-shoes');
    expect(groups.every((g) => g.items.length <= 2)).toBe(true);
  });

  it('ranks by taste when there is a profile', () => {
    const profile = buildCatalogProfile(signals({ wishlist: [wish('blue-shirt', 0), wish('blue-pants', 0)] }), cat, settings, NOW);
    const groups = goesWith(cat, 'red-shirt', { profile, perCategory: 1 });
    expect(groups.find((g) => g.category === 'shoes')!.items[0]!.id).toBe('blue-shoes');
  });

  it('uses the catalog’s matrix when it has one, and leaves out excluded items', () => {
    const withMatrix: CatalogView = { ...cat, compatibility: { shirt: ['sofa', 'rug'] } };
    expect(goesWith(withMatrix, 'red-shirt', { profile: null }).map((g) => g.category)).toEqual(['sofa', 'rug']);
    expect(resolveCompatibility({ shirt: ['sofa'] }).pants).toEqual(DEFAULT_COMPATIBILITY.pants);
    const g = goesWith(cat, 'red-shirt', { profile: null, exclude: new Set(['red-pants']) });
    expect(g[0]!.items.map((i) => i.id)).not.toContain('red-pants');
    expect(goesWith(cat, 'nope', { profile: null })).toEqual([]);
  });
});
