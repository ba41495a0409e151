/**
 * Simulation for the personal-ranking tools: a seeded synthetic catalog
 * (items whose embeddings sit near their category's and colour's centres),
 * simulated shoppers with one taste (a category and a colour), and the
 * evaluation `scripts/eval/eval-ranking.ts` prints. Also loads a real catalog folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { l2Normalize } from '../../src/shared/vector.ts';
import { forYou } from '../../src/personal/for-you.ts';
import { buildCatalogProfile } from '../../src/personal/profile.ts';
import { rerank, type VisualCandidate } from '../../src/personal/rerank.ts';
import { resolveRankingSettings, type RankingSettings, type RankingSettingsPatch } from '../../src/personal/settings.ts';
import type { EventRecord, EventType } from '../../src/personal/schema.ts';
import type { CatalogItemInfo, CatalogView, PersonalSignals } from '../../src/personal/types.ts';
import { mulberry32 } from '../../src/shared/prng.ts';
import { DEFAULT_CATEGORY_PRIOR } from '../../workers/search/category-prior.ts';

const DAY = 86_400_000;

// ---- randomness ----------------------------------------------------------

export type Rng = () => number;

export { mulberry32 };

export function gaussian(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

export function randomUnit(rng: Rng, dim: number): Float32Array {
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) v[i] = gaussian(rng);
  return l2Normalize(v);
}

export const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;

/** `n` distinct elements (or all, shuffled, if fewer). */
export function sample<T>(rng: Rng, list: readonly T[], n: number): T[] {
  const a = [...list];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}

// ---- catalogs --------------------------------------------------------------

export interface SimCatalog extends CatalogView {
  dim: number;
  /** Items by "category/colour". */
  byTaste: Map<string, CatalogItemInfo[]>;
}

export const CLOTHING_CATEGORIES = ['tshirt', 'longsleeve', 'pants', 'shoes', 'shirt', 'dress', 'outerwear', 'shorts', 'hat', 'skirt'];
export const COLOURS = ['black', 'white', 'grey', 'navy', 'red', 'green', 'beige', 'pink'];

export const tasteKey = (item: { category: string; color?: string }): string => `${item.category}/${item.color ?? ''}`;

export interface SyntheticCatalogOptions {
  seed?: number;
  dim?: number;
  categories?: readonly string[];
  colours?: readonly string[];
  perCombo?: number;
  /** Weight of the colour centre relative to the category centre (1). */
  colourWeight?: number;
  /** Norm of the per-item noise. */
  noise?: number;
}

export interface SyntheticCatalog extends SimCatalog {
  categoryCentres: Map<string, Float32Array>;
  colourCentres: Map<string, Float32Array>;
  colourWeight: number;
}

/**
 * Items = every category × colour, `perCombo` each; embedding =
 * normalise(category centre + colourWeight·colour centre + noise), so items of
 * the same category and colour are nearest, then the same category.
 */
export function makeSyntheticCatalog(options: SyntheticCatalogOptions = {}): SyntheticCatalog {
  const { seed = 7, dim = 256, categories = CLOTHING_CATEGORIES, colours = COLOURS, perCombo = 20, colourWeight = 0.4, noise = 1.0 } = options;
  const rng = mulberry32(seed);
  const categoryCentres = new Map(categories.map((c) => [c, randomUnit(rng, dim)]));
  const colourCentres = new Map(colours.map((c) => [c, randomUnit(rng, dim)]));
  const items: CatalogItemInfo[] = [];
  const vectors = new Map<string, Float32Array>();
  for (const category of categories) {
    for (const color of colours) {
      for (let i = 0; i < perCombo; i++) {
        const id = `${category}-${color}-${String(i).padStart(3, '0')}`;
        const cat = categoryCentres.get(category)!;
        const col = colourCentres.get(color)!;
        const n = randomUnit(rng, dim);
        const v = new Float32Array(dim);
        for (let j = 0; j < dim; j++) v[j] = cat[j]! + colourWeight * col[j]! + noise * n[j]!;
        items.push({ id, category, color });
        vectors.set(id, l2Normalize(v));
      }
    }
  }
  return { id: 'synthetic', items, embedding: (id) => vectors.get(id), dim, byTaste: groupByTaste(items), categoryCentres, colourCentres, colourWeight };
}

function groupByTaste(items: readonly CatalogItemInfo[]): Map<string, CatalogItemInfo[]> {
  const out = new Map<string, CatalogItemInfo[]>();
  for (const it of items) {
    const k = tasteKey(it);
    let g = out.get(k);
    if (!g) out.set(k, (g = []));
    g.push(it);
  }
  return out;
}

/** A CatalogView over plain items and an id → vector map (vectors are L2-normalised here). */
export function catalogFromVectors(id: string, items: CatalogItemInfo[], vectors: Map<string, Float32Array>): SimCatalog {
  const unit = new Map([...vectors].map(([k, v]) => [k, l2Normalize(v)]));
  const withVec = items.filter((it) => unit.has(it.id));
  const dim = unit.values().next().value?.length ?? 0;
  return { id, items: withVec, embedding: (itemId) => unit.get(itemId), dim, byTaste: groupByTaste(withVec) };
}

/** Reads `{ "<id>": number[] }` (the `--embeddings` fallback). */
export function readEmbeddingsJson(file: string): Map<string, Float32Array> {
  const json: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${file}: expected an object of item id → number[]`);
  const out = new Map<string, Float32Array>();
  for (const [id, v] of Object.entries(json)) {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new Error(`${file}: "${id}" is not a list of numbers`);
    out.set(id, l2Normalize(Float32Array.from(v as number[])));
  }
  const dims = new Set([...out.values()].map((v) => v.length));
  if (dims.size > 1) throw new Error(`${file}: vectors have different lengths (${[...dims].join(', ')})`);
  return out;
}

interface LoadedShape {
  meta: { name?: string; dimension: number };
  items: { id: string; category?: string; attributes?: Record<string, string> }[];
  shards: { count: number; dimension: number; scales: Float32Array; codes: Int8Array }[];
}

const colourOf = (attributes: Record<string, string> | undefined): string | undefined => {
  if (!attributes) return undefined;
  const key = Object.keys(attributes).find((k) => /^colou?r$/i.test(k));
  return key ? attributes[key]!.toLowerCase() : undefined;
};

/**
 * A catalog folder: the real format (`catalog.json` + shards, read with
 * scripts/lib/catalog-files.ts) or, as a fallback, `items.json`
 * (`[{ id, category, color? }]`) + `embeddings.json` (`{ id: number[] }`).
 */
export async function loadCatalogDir(dir: string): Promise<SimCatalog> {
  if (existsSync(join(dir, 'catalog.json'))) {
    const mod = (await import('./catalog-files.ts')) as unknown as { readCatalogDir?: (d: string) => Promise<LoadedShape> };
    if (typeof mod.readCatalogDir !== 'function')
      throw new Error('scripts/lib/catalog-files.ts has no readCatalogDir: wire loadCatalogDir to the catalog reader');
    const loaded = await mod.readCatalogDir(dir);
    const vectors = new Map<string, Float32Array>();
    const items: CatalogItemInfo[] = [];
    let index = 0;
    for (const shard of loaded.shards) {
      for (let i = 0; i < shard.count; i++, index++) {
        const item = loaded.items[index];
        if (!item) break;
        const v = new Float32Array(shard.dimension);
        const s = shard.scales[i]!;
        for (let j = 0; j < shard.dimension; j++) v[j] = s * shard.codes[i * shard.dimension + j]!;
        vectors.set(item.id, v);
        const color = colourOf(item.attributes);
        items.push(color ? { id: item.id, category: item.category ?? 'other', color } : { id: item.id, category: item.category ?? 'other' });
      }
    }
    return catalogFromVectors(loaded.meta.name ?? dir, items, vectors);
  }
  const itemsFile = join(dir, 'items.json');
  const embFile = join(dir, 'embeddings.json');
  if (!existsSync(itemsFile) || !existsSync(embFile)) throw new Error(`${dir}: no catalog.json, nor items.json + embeddings.json`);
  const items = JSON.parse(readFileSync(itemsFile, 'utf8')) as CatalogItemInfo[];
  return catalogFromVectors(dir, items, readEmbeddingsJson(embFile));
}

// ---- shoppers --------------------------------------------------------------

export interface SimShopper {
  /** "category/colour" they like. */
  taste: string;
  signals: PersonalSignals;
}

const ev = (catalogId: string, type: EventType, itemId: string, at: number): EventRecord => ({ type, catalogId, itemId, at });

/** Tastes with enough items to fill a top-10 after the shopper's own items are left out. */
export function eligibleTastes(catalog: SimCatalog, minItems = 20): string[] {
  return [...catalog.byTaste]
    .filter(([, items]) => items.length >= minItems)
    .map(([k]) => k)
    .sort();
}

/**
 * A shopper with a noisy history over the last `days`: wishlisted 3 items of
 * their taste and 1 other (an impulse), clicked 6 of their taste and 4 others,
 * viewed 30 of anything, dismissed 2 others.
 */
export function simulateShopper(catalog: SimCatalog, rng: Rng, now: number, taste: string, days = 30): SimShopper {
  const mine = catalog.byTaste.get(taste)!;
  const others = catalog.items.filter((it) => tasteKey(it) !== taste);
  const when = () => now - rng() * days * DAY;
  const wish = [...sample(rng, mine, 3), ...sample(rng, others, 1)];
  const id = catalog.id;
  const events: EventRecord[] = [
    ...wish.map((it) => ev(id, 'wishlist_add', it.id, when())),
    ...sample(rng, mine, 6).map((it) => ev(id, 'click', it.id, when())),
    ...sample(rng, others, 4).map((it) => ev(id, 'click', it.id, when())),
    ...sample(rng, catalog.items, 30).map((it) => ev(id, 'view', it.id, when())),
    ...sample(rng, others, 2).map((it) => ev(id, 'dismiss', it.id, when())),
  ].sort((a, b) => a.at - b.at);
  const wishlist = wish.map((it) => ({ catalogId: id, itemId: it.id, addedAt: events.find((e) => e.type === 'wishlist_add' && e.itemId === it.id)!.at }));
  return { taste, signals: { catalogId: id, events, wishlist, preferences: [] } };
}

/** Onboarding only: 3 items of their taste picked as liked, nothing else. */
export function onboardedShopper(catalog: SimCatalog, rng: Rng, now: number, taste: string): SimShopper {
  const picks = sample(rng, catalog.byTaste.get(taste)!, 3);
  return {
    taste,
    signals: {
      catalogId: catalog.id,
      events: [],
      wishlist: [],
      preferences: picks.map((it) => ({ catalogId: catalog.id, itemId: it.id, pickedAt: now - DAY })),
    },
  };
}

// ---- evaluation ------------------------------------------------------------

export interface RankingEvalOptions {
  catalog?: SimCatalog;
  shoppers?: number;
  seed?: number;
  /** Overrides of the default ranking settings (e.g. taste weights 0 to see a ranker that ignores history). */
  settings?: RankingSettingsPatch;
  /** Candidates a photo search returns before re-ranking. */
  candidates?: number;
  /** Photo noise (norm of the noise added to the query). */
  photoNoise?: number;
  now?: number;
}

export interface RankingEvalReport {
  catalogSize: number;
  dim: number;
  shoppers: number;
  settings: RankingSettings;
  /** Share of the top-10 For-you in the shopper's taste (category and colour). */
  forYou: { before: number; onboardingOnly: number; after: number };
  /** Shoppers whose taste moved: old taste 60–90 days ago, new taste in the last week. Share of the top-10 in each. */
  drift: { newTaste: number; oldTaste: number };
  /** Photo of the shopper's category in another colour: where items of their taste land among the candidates. */
  photo: { candidates: number; meanRankBefore: number; meanRankAfter: number; top10Before: number; top10After: number; counted: number };
}

/** Runs the simulated shoppers through For-you and a photo search. Deterministic for a seed. */
export function runRankingEval(options: RankingEvalOptions = {}): RankingEvalReport {
  const catalog = options.catalog ?? makeSyntheticCatalog();
  const n = options.shoppers ?? 200;
  const now = options.now ?? Date.UTC(2025, 0, 1);
  const settings = resolveRankingSettings(options.settings);
  const nCand = options.candidates ?? 100;
  const rng = mulberry32(options.seed ?? 1);
  const tastes = eligibleTastes(catalog);
  if (tastes.length < 2) throw new Error('the catalog needs at least two category/colour groups with 20+ items each');
  const byId = new Map(catalog.items.map((it) => [it.id, it]));
  const share = (ids: readonly string[], taste: string) => (ids.length ? ids.filter((id) => tasteKey(byId.get(id)!) === taste).length / 10 : 0);
  const top10 = (signals: PersonalSignals) => {
    const profile = buildCatalogProfile(signals, catalog, settings, now);
    return forYou(catalog, signals, { profile, settings, limit: 10 }).map((r) => r.id);
  };

  let before = 0,
    onboarding = 0,
    after = 0,
    driftNew = 0,
    driftOld = 0;
  let rankBefore = 0,
    rankAfter = 0,
    counted = 0,
    photoTopBefore = 0,
    photoTopAfter = 0;
  const empty: PersonalSignals = { catalogId: catalog.id, events: [], wishlist: [], preferences: [] };
  const beforeList = top10(empty);
  for (let s = 0; s < n; s++) {
    const taste = pick(rng, tastes);
    before += share(beforeList, taste);
    onboarding += share(top10(onboardedShopper(catalog, rng, now, taste).signals), taste);
    const shopper = simulateShopper(catalog, rng, now, taste);
    after += share(top10(shopper.signals), taste);

    // taste drift: an old taste two to three months ago, a new one this week
    const oldTaste = pick(
      rng,
      tastes.filter((t) => t !== taste),
    );
    const old = simulateShopper(catalog, rng, now - 60 * DAY, oldTaste);
    const recent = simulateShopper(catalog, rng, now, taste, 7);
    const drifted: PersonalSignals = {
      catalogId: catalog.id,
      events: [...old.signals.events, ...recent.signals.events],
      wishlist: [...old.signals.wishlist, ...recent.signals.wishlist],
      preferences: [],
    };
    const driftTop = top10(drifted);
    driftNew += share(driftTop, taste);
    driftOld += share(driftTop, oldTaste);

    // a photo of their category in another colour
    const p = photoQuery(catalog, rng, taste, options.photoNoise ?? 0.8);
    if (!p) continue;
    // The worker's category prior, as a search gives it (the one category term): its weight × the soft
    // vote's probability of the item's category, here a vote sure of the photo's category.
    const candidates: VisualCandidate[] = catalog.items
      .map((it) => ({ id: it.id, visual: dotUnit(p.query, catalog.embedding(it.id)!), prior: it.category === p.category ? DEFAULT_CATEGORY_PRIOR : 0 }))
      .sort((a, b) => b.visual + b.prior - (a.visual + a.prior) || (a.id < b.id ? -1 : 1))
      .slice(0, nCand);
    const wished = new Set(shopper.signals.wishlist.map((w) => w.itemId));
    const profile = buildCatalogProfile(shopper.signals, catalog, settings, now);
    const reranked = rerank(candidates, { catalog, profile, settings });
    const liked = (id: string) => tasteKey(byId.get(id)!) === taste && !wished.has(id);
    const ranksBefore = candidates.flatMap((c, i) => (liked(c.id) ? [i + 1] : []));
    const ranksAfter = reranked.flatMap((c, i) => (liked(c.id) ? [i + 1] : []));
    if (ranksBefore.length) {
      rankBefore += mean(ranksBefore);
      rankAfter += mean(ranksAfter);
      counted++;
    }
    photoTopBefore += share(
      candidates.slice(0, 10).map((c) => c.id),
      taste,
    );
    photoTopAfter += share(
      reranked.slice(0, 10).map((c) => c.id),
      taste,
    );
  }
  return {
    catalogSize: catalog.items.length,
    dim: catalog.dim,
    shoppers: n,
    settings,
    forYou: { before: before / n, onboardingOnly: onboarding / n, after: after / n },
    drift: { newTaste: driftNew / n, oldTaste: driftOld / n },
    photo: {
      candidates: nCand,
      meanRankBefore: counted ? rankBefore / counted : NaN,
      meanRankAfter: counted ? rankAfter / counted : NaN,
      top10Before: photoTopBefore / n,
      top10After: photoTopAfter / n,
      counted,
    },
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function dotUnit(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * The query a photo gives: on a synthetic catalog, the shopper's category in
 * another colour plus noise; on a real one, a noisy copy of an item of the
 * shopper's category in another colour.
 */
function photoQuery(catalog: SimCatalog, rng: Rng, taste: string, noise: number): { query: Float32Array; category: string } | null {
  const [category, colour] = taste.split('/') as [string, string];
  const dim = catalog.dim;
  const n = randomUnit(rng, dim);
  const v = new Float32Array(dim);
  const synth = catalog as Partial<SyntheticCatalog>;
  if (synth.categoryCentres && synth.colourCentres) {
    const colours = [...synth.colourCentres.keys()].filter((c) => c !== colour);
    const col = synth.colourCentres.get(pick(rng, colours))!;
    const cat = synth.categoryCentres.get(category)!;
    for (let j = 0; j < dim; j++) v[j] = cat[j]! + synth.colourWeight! * col[j]! + noise * n[j]!;
  } else {
    const pool = catalog.items.filter((it) => it.category === category && tasteKey(it) !== taste);
    if (!pool.length) return null;
    const e = catalog.embedding(pick(rng, pool).id)!;
    for (let j = 0; j < dim; j++) v[j] = e[j]! + 0.5 * noise * n[j]!;
  }
  return { query: l2Normalize(v), category };
}
