/**
 * Re-ranking a photo search with the shopper's taste:
 *
 *   β'    = β · profile.confidence
 *   score = (1 − β')·visual + β'·taste + γ·[item category = predicted category]
 *         = visual + β'·(taste − visual) + γ·[…]
 *
 * Each result keeps its parts, so the UI can say
 * "looks like your photo 0.82 · your taste +0.06 · category +0.03" (`explain`).
 */
import { tasteSimilarity, type TasteProfile } from './profile.ts';
import type { RankingSettings } from './settings.ts';
import { itemIndex, type CatalogView } from './types.ts';

export interface VisualCandidate {
  id: string;
  /** Visual similarity to the photo (cosine, as the search returned it). */
  visual: number;
}

export interface RankedResult {
  id: string;
  /** Final score: visual + tasteDelta + categoryBonus. */
  score: number;
  /** Visual similarity to the photo. */
  visual: number;
  /** Similarity to the taste profile, or null without a profile (or embedding). */
  taste: number | null;
  /** What taste added (negative: taken away): β'·(taste − visual). */
  tasteDelta: number;
  /** γ when the item is in the predicted category, else 0. */
  categoryBonus: number;
  category?: string;
}

export interface RerankOptions {
  catalog: CatalogView;
  profile: TasteProfile | null;
  /** Category predicted for the photo (by the detector/classifier), if any. */
  predictedCategory?: string | null;
  settings: Pick<RankingSettings, 'beta' | 'gamma'>;
}

/** Scores and sorts the candidates (best first; ties by visual, then id). */
export function rerank(candidates: readonly VisualCandidate[], options: RerankOptions): RankedResult[] {
  const { catalog, profile, predictedCategory, settings } = options;
  const items = itemIndex(catalog);
  const beta = profile ? settings.beta * profile.confidence : 0;
  const out = candidates.map((c): RankedResult => {
    const category = items.get(c.id)?.category;
    const taste = profile ? tasteSimilarity(profile, catalog.embedding(c.id)) : null;
    const tasteDelta = taste === null ? 0 : beta * (taste - c.visual);
    const categoryBonus = predictedCategory && category === predictedCategory ? settings.gamma : 0;
    const r: RankedResult = { id: c.id, score: c.visual + tasteDelta + categoryBonus, visual: c.visual, taste, tasteDelta, categoryBonus };
    if (category !== undefined) r.category = category;
    return r;
  });
  return out.sort((a, b) => b.score - a.score || b.visual - a.visual || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function signed(x: number): string {
  const r = Math.round(x * 100) / 100;
  return `${r < 0 ? '−' : '+'}${Math.abs(r).toFixed(2)}`;
}

/** "looks like your photo 0.82 · your taste +0.06 · category +0.03" (parts left out when they do not apply). */
export function explain(result: RankedResult): string {
  const parts = [`looks like your photo ${result.visual.toFixed(2)}`];
  if (result.taste !== null) parts.push(`your taste ${signed(result.tasteDelta)}`);
  if (result.categoryBonus !== 0) parts.push(`category ${signed(result.categoryBonus)}`);
  return parts.join(' · ');
}
