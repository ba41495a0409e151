/**
 * Search-quality measures for scripts/eval/eval-search.ts: the per-photo result
 * list (one function, so detection-based search can replace it), rank
 * interleaving, precision@K by category and recall@K over (photo, item) pairs.
 */
import * as tf from '@tensorflow/tfjs';
import type { Embedder } from '../../workers/models/ensemble.ts';
import type { SearchIndex, SearchOptions } from '../../workers/search/search-index.ts';
import type { Detector } from '../../workers/models/detector.ts';
import { cropRelative } from '../../workers/models/preprocess.ts';
import { categoryPrior } from '../../workers/search/category-prior.ts';

/** A photo (RGB 0–255 tensor, not disposed here) → catalog item ids, best first. */
export type ResultsForPhoto = (image: tf.Tensor3D) => Promise<string[]>;

/** Search options besides k; `priorWeight` is the category prior's weight, applied as the worker does (0: cosine only). */
export type EvalSearchOptions = Omit<SearchOptions, 'k' | 'categoryPrior'> & { priorWeight?: number };

/** One query as the worker runs it: embed, then search with the photo's own category prior. */
async function searchImage(
  embedder: Embedder,
  index: SearchIndex,
  image: tf.Tensor3D,
  k: number,
  { priorWeight = 0, ...options }: EvalSearchOptions,
): Promise<string[]> {
  const { embedding, probabilities } = await embedder.run(image);
  const prior = priorWeight > 0 && probabilities ? { categoryPrior: categoryPrior(embedder.labels, probabilities, priorWeight) } : {};
  return (await index.search(embedding, { ...options, ...prior, k })).map((r) => r.id);
}

/** Today's search: the whole photo as one query. */
export function wholeImageResults(embedder: Embedder, index: SearchIndex, k: number, options: EvalSearchOptions = {}): ResultsForPhoto {
  return (image) => searchImage(embedder, index, image, k, options);
}

/**
 * What the app shows for a room photo: one list per detected object (the shopper
 * taps an object to search it), then the whole photo's list, interleaved by rank.
 */
export function perObjectResults(embedder: Embedder, detector: Detector, index: SearchIndex, k: number, options: EvalSearchOptions = {}): ResultsForPhoto {
  const whole = wholeImageResults(embedder, index, k, options);
  return async (image) => {
    const lists: string[][] = [];
    for (const object of await detector.detect(image)) {
      const crop = tf.tidy(() => cropRelative(image, object.box));
      try {
        lists.push(await searchImage(embedder, index, crop, k, options));
      } finally {
        crop.dispose();
      }
    }
    lists.push(await whole(image));
    return interleaveByRank(lists, k);
  };
}

/**
 * Merges several ranked lists (e.g. one per detected object) by rank: every
 * list's first, then every list's second, …; duplicates keep their first place; cut at k.
 */
export function interleaveByRank(lists: readonly (readonly string[])[], k: number): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let r = 0; r < longest && out.length < k; r++) {
    for (const list of lists) {
      const id = list[r];
      if (id === undefined || seen.has(id)) continue;
      seen.add(id);
      out.push(id);
      if (out.length >= k) break;
    }
  }
  return out;
}

/** Fraction of the first k results whose category is the query's (k fixed as the denominator). */
export function precisionAtK(resultCategories: readonly (string | undefined)[], category: string, k: number): number {
  let hits = 0;
  for (let i = 0; i < Math.min(k, resultCategories.length); i++) if (resultCategories[i] === category) hits++;
  return hits / k;
}

/** recall@K over all (photo, item) pairs: a pair counts when the item is in that photo's first K results. */
export function recallAtK(pairs: readonly { photo: string; itemId: string }[], results: ReadonlyMap<string, readonly string[]>, k: number): number {
  if (pairs.length === 0) return 0;
  let hits = 0;
  for (const { photo, itemId } of pairs) {
    const list = results.get(photo);
    if (list?.slice(0, k).includes(itemId)) hits++;
  }
  return hits / pairs.length;
}
