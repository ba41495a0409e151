/** The category vote in words: the top labels, a label as shown, and what the vote averaged. */

export interface Vote {
  label: string;
  prob: number;
}

/** The k most probable labels, most probable first; with `minProb`, only those that reach it (the first always). */
export function topLabels(labels: string[], probabilities: Float32Array, k: number, minProb = 0): Vote[] {
  return Array.from(probabilities, (prob, i) => ({ label: labels[i]!, prob }))
    .sort((a, b) => b.prob - a.prob)
    .slice(0, k)
    .filter((v, i) => i === 0 || v.prob >= minProb);
}

/** How shoppers say the categories whose ids are not words. */
const LABEL_WORDS = new Map([
  ['tshirt', 'T-shirt'],
  ['longsleeve', 'Long-sleeve top'],
  ['table_desk', 'Table or desk'],
  ['mirror_frame', 'Mirror or frame'],
  ['stool_bench', 'Stool or bench'],
  ['plant_pot', 'Plant pot'],
]);

/** A category as shoppers read it: "tshirt" → "T-shirt", "table_desk" → "Table or desk", "sofa" → "Sofa". */
export const prettyLabel = (label: string) => LABEL_WORDS.get(label) ?? label.replace(/_/g, ' or ').replace(/^./, (c) => c.toUpperCase());

/** A model's name without its lineage in parentheses (the lineage stays in the name's tooltip). */
export const shortModelName = (name: string) => name.replace(/\s*\(.*\)\s*$/, '');

/** What the votes average, in words (undefined: the whole photo alone). */
export function viewsNote(cropView: boolean, mirrorView: boolean): string | undefined {
  if (cropView && mirrorView) return 'Each vote averages the whole photo, its centre and their mirror images.';
  if (cropView) return 'Each vote averages the whole photo and its centre.';
  if (mirrorView) return 'Each vote averages the photo and its mirror image.';
  return undefined;
}
