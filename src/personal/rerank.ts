/**
 * Re-ranking a photo search with the shopper's taste:
 *
 *   score = (1 − β')·visual + β'·taste~ + category
 *         = visual + β'·(taste~ − visual) + category
 *
 *   β'     = β · profile.confidence
 *   taste~ = the item's taste similarity put on the scale of the visual scores
 *            of this candidate list (same mean and spread): μ_v + σ·(taste − μ_t)/σ_t
 *   σ      = spread (standard deviation) of the candidates' visual scores
 *   category = the one category term: what the worker's category prior gave the
 *            item (the soft vote's probability of its category × a weight;
 *            workers/search/category-prior.ts). The page adds no category bonus of its own.
 *
 * Putting taste on the visual scale keeps β meaning the same share of the
 * ranking whatever the embedding's cosine range is (the H&M sample catalog's
 * top-100 visual scores span 0.980–0.991). Each result keeps its parts (all in
 * visual-score units, summing to the score), so the UI can say "Similar look · matches your taste"
 * (`explain`) and, for the curious, "look 0.82 · your taste +0.06 · category +0.03" (`explainScores`).
 */
import { tasteSimilarity, type TasteProfile } from './profile.ts';
import type { RankingSettings } from './settings.ts';
import { itemIndex, type CatalogView } from './types.ts';

export interface VisualCandidate {
  id: string;
  /** Visual similarity to the photo (cosine, as the search returned it). */
  visual: number;
  /** The search's category prior for this item (0 or absent: none). */
  prior?: number;
}

export interface RankedResult {
  id: string;
  /** Final score: visual + tasteDelta + prior. */
  score: number;
  /** Visual similarity to the photo. */
  visual: number;
  /** Similarity to the taste profile (centred cosine), or null without a profile (or embedding). */
  taste: number | null;
  /** What taste added (negative: took away), in visual-score units. */
  tasteDelta: number;
  /** The category term: the search's category prior for this item (0 without one). */
  prior: number;
  category?: string;
}

export interface RerankOptions {
  catalog: CatalogView;
  profile: TasteProfile | null;
  settings: Pick<RankingSettings, 'beta'>;
}

/** Smallest visual spread used, so that equal visual scores are still ordered by taste. */
const MIN_SPREAD = 1e-3;

function meanSd(xs: readonly number[]): [number, number] {
  if (xs.length === 0) return [0, 0];
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) * (b - m), 0) / xs.length;
  return [m, Math.sqrt(v)];
}

/** Scores and sorts the candidates (best first; ties by visual, then id). */
export function rerank(candidates: readonly VisualCandidate[], options: RerankOptions): RankedResult[] {
  const { catalog, profile, settings } = options;
  const items = itemIndex(catalog);
  const beta = profile?.vector ? settings.beta * profile.confidence : 0;
  const tastes = candidates.map((c) => (profile ? tasteSimilarity(profile, catalog.embedding(c.id)) : null));
  const [muV, sdV] = meanSd(candidates.map((c) => c.visual));
  const [muT, sdT] = meanSd(tastes.filter((t): t is number => t !== null));
  const spread = Math.max(sdV, MIN_SPREAD);
  const scale = sdT > 0 ? spread / sdT : 0;
  const out = candidates.map((c, i): RankedResult => {
    const category = items.get(c.id)?.category;
    const taste = tastes[i]!;
    const tasteDelta = taste === null ? 0 : beta * (muV + scale * (taste - muT) - c.visual);
    const prior = c.prior ?? 0;
    const r: RankedResult = { id: c.id, score: c.visual + tasteDelta + prior, visual: c.visual, taste, tasteDelta, prior };
    if (category !== undefined) r.category = category;
    return r;
  });
  return out.sort((a, b) => b.score - a.score || b.visual - a.visual || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Two decimals; three when a non-zero value would round to 0.00. */
function num(x: number): string {
  const a = Math.abs(x);
  return a !== 0 && a < 0.005 ? a.toFixed(3) : a.toFixed(2);
}

function signed(x: number): string {
  const text = num(x);
  return `${x < 0 && Number(text) !== 0 ? '−' : '+'}${text}`;
}

/**
 * Why a result ranks where it does, in words for shoppers: "Similar look · matches your taste · your photo's
 * category" (the parts that apply). The figures behind it are `explainScores`.
 */
export function explain(result: RankedResult): string {
  const parts = ['Similar look'];
  if (result.taste !== null && result.tasteDelta > 0) parts.push('matches your taste');
  if (result.taste !== null && result.tasteDelta < 0) parts.push('less like your taste');
  if (result.prior > 0) parts.push("your photo's category");
  return parts.join(' · ');
}

/** The figures behind `explain`, for the curious: "look 0.82 · your taste +0.06 · category +0.03" (parts that apply). */
export function explainScores(result: RankedResult): string {
  const parts = [`look ${result.visual.toFixed(2)}`];
  if (result.taste !== null) parts.push(`your taste ${signed(result.tasteDelta)}`);
  if (result.prior !== 0) parts.push(`category ${signed(result.prior)}`);
  return parts.join(' · ');
}
