/** The category vote in words: the top labels, a label as shown, and what the vote averaged. */

export interface Vote {
  label: string;
  prob: number;
}

/** The k most probable labels, most probable first. */
export function topLabels(labels: string[], probabilities: Float32Array, k: number): Vote[] {
  return Array.from(probabilities, (prob, i) => ({ label: labels[i]!, prob }))
    .sort((a, b) => b.prob - a.prob)
    .slice(0, k);
}

/** "table_desk" → "Table / desk". */
export const prettyLabel = (label: string) => label.replace(/_/g, ' / ').replace(/^./, (c) => c.toUpperCase());

/** What the votes average, in words (undefined: the whole photo alone). */
export function viewsNote(cropView: boolean, mirrorView: boolean): string | undefined {
  if (cropView && mirrorView) return 'Each vote averages the whole photo, its centre and their mirror images.';
  if (cropView) return 'Each vote averages the whole photo and its centre.';
  if (mirrorView) return 'Each vote averages the photo and its mirror image.';
  return undefined;
}
