/**
 * The category prior a photo search uses by default: the soft-voted
 * probabilities, by label, times a weight. Measured on clothing-photos val →
 * the H&M catalog (docs/performance.md): the weight trades raw look-alikes for
 * results of the photo's own category.
 */
import type { CategoryPrior } from './search-index.ts';

/** Default weight (cosine units per unit of probability), chosen on clothing-photos val (docs/performance.md). */
export const DEFAULT_CATEGORY_PRIOR = 0.5;

export function categoryPrior(labels: readonly string[], probabilities: ArrayLike<number>, weight: number): CategoryPrior {
  if (labels.length !== probabilities.length) throw new RangeError(`${probabilities.length} probabilities for ${labels.length} labels`);
  if (!(weight >= 0)) throw new RangeError(`the category prior's weight must be ≥ 0, got ${weight}`);
  // Null prototype: the prior is looked up by catalog categories, and "constructor" or "__proto__" must find nothing here.
  return {
    weight,
    probabilities: Object.assign(Object.create(null) as Record<string, number>, Object.fromEntries(labels.map((l, i) => [l, probabilities[i]!]))),
  };
}
