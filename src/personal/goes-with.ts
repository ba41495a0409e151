/**
 * "Goes with": for one item, a few items from each complementary category
 * (compatibility matrix), ranked by how well they match the item itself and,
 * as far as the profile can be trusted, the shopper's taste (cosines in the
 * catalog's centred taste space):
 *
 *   w     = tasteShare · profile.confidence          (tasteShare default 0.6)
 *   score = (1 − w)·cos(item, anchor) + w·cos(item, profile)
 */
import { centred, centredCosine, dotMean, tasteSpaceOf } from './taste-space.ts';
import { complementsOf, resolveCompatibility, type CompatibilityMatrix } from './compatibility.ts';
import { tasteSimilarity, type TasteProfile } from './profile.ts';
import { itemIndex, type CatalogView } from './types.ts';

export const DEFAULT_TASTE_SHARE = 0.6;

export interface GoesWithItem {
  id: string;
  score: number;
  /** Similarity to the anchor item. */
  anchor: number;
  /** Similarity to the profile, null without one. */
  taste: number | null;
}

export interface GoesWithGroup {
  category: string;
  items: GoesWithItem[];
}

export interface GoesWithOptions {
  profile: TasteProfile | null;
  /** Items per complementary category (default 3). */
  perCategory?: number;
  /** At most this many categories (default: all in the matrix row). */
  maxCategories?: number;
  /** Overrides the catalog's and the default matrix. */
  matrix?: CompatibilityMatrix;
  /** Items never to show (e.g. `excludedItems(signals)`). */
  exclude?: ReadonlySet<string>;
  /** Share of taste at full confidence (default 0.6). */
  tasteShare?: number;
}

/** Complementary items for `itemId`, grouped by category in the matrix's order; empty groups are left out. */
export function goesWith(catalog: CatalogView, itemId: string, options: GoesWithOptions): GoesWithGroup[] {
  const anchorInfo = itemIndex(catalog).get(itemId);
  if (!anchorInfo) return [];
  const space = tasteSpaceOf(catalog);
  const anchorRaw = catalog.embedding(itemId);
  const anchor = anchorRaw ? centred(space, anchorRaw) : undefined;
  const anchorMeanDot = anchor ? dotMean(space, anchor) : 0;
  const matrix = options.matrix ?? resolveCompatibility(catalog.compatibility);
  let categories = complementsOf(anchorInfo.category, matrix);
  if (options.maxCategories !== undefined) categories = categories.slice(0, options.maxCategories);
  const perCategory = options.perCategory ?? 3;
  const profile = options.profile;
  const w = profile?.vector ? (options.tasteShare ?? DEFAULT_TASTE_SHARE) * profile.confidence : 0;
  const wanted = new Map(categories.map((c) => [c, [] as GoesWithItem[]]));
  for (const item of catalog.items) {
    const bucket = wanted.get(item.category);
    if (!bucket || item.id === itemId || options.exclude?.has(item.id)) continue;
    const e = catalog.embedding(item.id);
    if (!e) continue;
    const a = anchor && anchor.length === e.length ? centredCosine(space, e, anchor, anchorMeanDot) : 0;
    const taste = profile ? tasteSimilarity(profile, e) : null;
    bucket.push({ id: item.id, anchor: a, taste, score: (1 - w) * a + w * (taste ?? 0) });
  }
  const groups: GoesWithGroup[] = [];
  for (const [category, items] of wanted) {
    items.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    if (items.length) groups.push({ category, items: items.slice(0, perCategory) });
  }
  return groups;
}
