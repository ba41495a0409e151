/**
 * The category prior a photo search uses by default: the soft-voted
 * probabilities, by label, times a weight. Measured on clothing-photos val →
 * the H&M catalog (docs/performance.md): the weight trades raw look-alikes for
 * results of the photo's own category.
 */

/**
 * The soft vote as a prior: each candidate's rank score is its cosine plus
 * `weight` × the probability the classifier gives the candidate's category, so
 * a phone photo of a shirt brings catalog shirts first even where a pair of
 * trousers is a closer raw embedding. Candidates come from the PRIOR_SHORTLIST
 * nearest by cosine (the prior re-orders, it never brings in far-away items).
 */
export interface CategoryPrior {
  /** Cosine units per unit of probability (0 turns the prior off). */
  weight: number;
  /** Probability of each category for this photo (missing categories count 0). */
  probabilities: Readonly<Record<string, number>>;
}

/** The prior's probability of `category` (0 for a category it does not name; only its own keys count, never Object.prototype's). */
export function probabilityOf(prior: CategoryPrior, category: string | undefined): number {
  if (category === undefined || !Object.hasOwn(prior.probabilities, category)) return 0;
  const p = prior.probabilities[category];
  return typeof p === 'number' && Number.isFinite(p) ? p : 0;
}

/** How many cosine-nearest candidates the category prior re-orders. */
export const PRIOR_SHORTLIST = 256;

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
