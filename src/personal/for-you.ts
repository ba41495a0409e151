/**
 * "For you": the catalog without a photo, ranked by the taste profile
 * (plus, when the shopper was matched to a cluster of similar shoppers, a
 * bonus for that cluster's favourites). Dismissed, wishlisted and onboarding
 * items are left out. With no history: a deterministic default, popular if the
 * catalog says what is popular, and diverse across categories either way.
 */
import { tasteSimilarity, type TasteProfile } from './profile.ts';
import { centred, centredCosine, dotMean, tasteSpaceOf } from './taste-space.ts';
import type { RankingSettings } from './settings.ts';
import type { CatalogItemInfo, CatalogView, PersonalSignals } from './types.ts';

export interface ForYouResult {
  id: string;
  score: number;
  /** Similarity to the profile; null in the no-history default. */
  taste: number | null;
  /** clusterWeight × the item's favourite score in the shopper's cluster (0…clusterWeight). */
  clusterBonus: number;
  source: 'taste' | 'default';
}

export interface ForYouOptions {
  profile: TasteProfile | null;
  settings: Pick<RankingSettings, 'clusterWeight'>;
  /** How many to return (default 20). */
  limit?: number;
  /** Item → 0…1 favourite score of the shopper's cluster (`clusterFavourites`), if any. */
  clusterFavourites?: ReadonlyMap<string, number>;
  /** Leave out the items picked at onboarding (default true: they are known already). */
  excludePicked?: boolean;
}

/**
 * Items For-you must not show: wishlisted ones, onboarding picks (unless told
 * otherwise) and dismissed ones (unless clicked or wishlisted after the dismissal).
 */
export function excludedItems(signals: PersonalSignals, excludePicked = true): Set<string> {
  const out = new Set<string>();
  for (const w of signals.wishlist) out.add(w.itemId);
  if (excludePicked) for (const p of signals.preferences) out.add(p.itemId);
  const lastDismiss = new Map<string, number>();
  const lastPositive = new Map<string, number>();
  for (const e of signals.events) {
    const map = e.type === 'dismiss' ? lastDismiss : e.type === 'click' || e.type === 'wishlist_add' ? lastPositive : null;
    if (map && e.at >= (map.get(e.itemId) ?? -Infinity)) map.set(e.itemId, e.at);
  }
  for (const [id, at] of lastDismiss) if (at >= (lastPositive.get(id) ?? -Infinity)) out.add(id);
  return out;
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The For-you list for this shopper. */
export function forYou(catalog: CatalogView, signals: PersonalSignals, options: ForYouOptions): ForYouResult[] {
  const limit = options.limit ?? 20;
  const exclude = excludedItems(signals, options.excludePicked ?? true);
  const profile = options.profile;
  if (!profile?.vector) {
    return defaultRanking(catalog, exclude, limit).map((id, i) => ({ id, score: -i, taste: null, clusterBonus: 0, source: 'default' as const }));
  }
  const fav = options.clusterFavourites;
  const cw = fav ? options.settings.clusterWeight : 0;
  const scored: ForYouResult[] = [];
  for (const item of catalog.items) {
    if (exclude.has(item.id)) continue;
    const taste = tasteSimilarity(profile, catalog.embedding(item.id));
    if (taste === null) continue;
    const clusterBonus = cw * (fav?.get(item.id) ?? 0);
    scored.push({ id: item.id, score: taste + clusterBonus, taste, clusterBonus, source: 'taste' });
  }
  return topK(scored, limit, (a, b) => b.score - a.score || byId(a, b));
}

/**
 * The no-history default, deterministic: categories take turns (largest
 * first, then by name); within a category the most popular items first when
 * the catalog gives popularity, else the most typical ones (nearest to the
 * category's mean embedding, in the centred taste space), then by id.
 */
export function defaultRanking(catalog: CatalogView, exclude: ReadonlySet<string>, limit: number): string[] {
  const groups = new Map<string, CatalogItemInfo[]>();
  for (const item of catalog.items) {
    let g = groups.get(item.category);
    if (!g) groups.set(item.category, (g = []));
    g.push(item);
  }
  const queues: string[][] = [];
  const order = [...groups.entries()].sort(([a, x], [b, y]) => y.length - x.length || (a < b ? -1 : a > b ? 1 : 0));
  for (const [, items] of order) {
    const typ = typicality(catalog, items);
    const ranked = items
      .filter((it) => !exclude.has(it.id))
      .sort((a, b) => (b.popularity ?? 0) - (a.popularity ?? 0) || (typ.get(b.id) ?? -2) - (typ.get(a.id) ?? -2) || byId(a, b));
    queues.push(ranked.map((it) => it.id));
  }
  const out: string[] = [];
  for (let round = 0; out.length < limit; round++) {
    let any = false;
    for (const q of queues) {
      if (round < q.length) {
        any = true;
        out.push(q[round]!);
        if (out.length >= limit) break;
      }
    }
    if (!any) break;
  }
  return out;
}

/** Cosine (centred) of each item to its group's mean embedding. */
function typicality(catalog: CatalogView, items: readonly CatalogItemInfo[]): Map<string, number> {
  const out = new Map<string, number>();
  let mean: Float32Array | null = null;
  const vecs: [string, Float32Array][] = [];
  for (const it of items) {
    const e = catalog.embedding(it.id);
    if (!e) continue;
    if (!mean) mean = new Float32Array(e.length);
    if (e.length !== mean.length) continue;
    for (let i = 0; i < e.length; i++) mean[i]! += e[i]!;
    vecs.push([it.id, e]);
  }
  if (!mean) return out;
  const space = tasteSpaceOf(catalog);
  const m = centred(
    space,
    mean.map((x) => x / vecs.length),
  );
  const md = dotMean(space, m);
  for (const [id, e] of vecs) out.set(id, centredCosine(space, e, m, md));
  return out;
}

/** The best `k` by `cmp` (stable and deterministic). */
export function topK<T>(list: T[], k: number, cmp: (a: T, b: T) => number): T[] {
  return list.sort(cmp).slice(0, Math.max(0, k));
}
