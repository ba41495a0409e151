/**
 * Which categories go with which ("goes with"). A catalog may carry its own
 * matrix; these defaults cover our clothing and furniture categories. Each
 * list is in order of relevance: the first categories are shown first.
 */

export type CompatibilityMatrix = Readonly<Record<string, readonly string[]>>;

export const DEFAULT_COMPATIBILITY: CompatibilityMatrix = Object.freeze({
  // clothing
  tshirt: ['pants', 'shorts', 'shoes', 'outerwear', 'skirt', 'hat'],
  longsleeve: ['pants', 'shoes', 'outerwear', 'skirt', 'hat'],
  shirt: ['pants', 'shoes', 'outerwear', 'shorts', 'skirt'],
  pants: ['shirt', 'tshirt', 'longsleeve', 'shoes', 'outerwear'],
  shorts: ['tshirt', 'shirt', 'shoes', 'hat'],
  skirt: ['tshirt', 'shirt', 'longsleeve', 'shoes', 'outerwear'],
  dress: ['shoes', 'outerwear', 'hat'],
  outerwear: ['pants', 'shirt', 'longsleeve', 'dress', 'shoes', 'hat'],
  shoes: ['pants', 'shorts', 'skirt', 'dress', 'tshirt'],
  hat: ['outerwear', 'tshirt', 'shorts', 'dress'],
  // furniture
  sofa: ['rug', 'lamp', 'table_desk', 'armchair', 'textile', 'plant_pot'],
  armchair: ['rug', 'lamp', 'table_desk', 'sofa', 'textile'],
  chair: ['table_desk', 'rug', 'lamp', 'textile'],
  table_desk: ['chair', 'lamp', 'tableware', 'stool_bench', 'rug'],
  stool_bench: ['table_desk', 'rug', 'plant_pot'],
  bed: ['textile', 'lamp', 'rug', 'mirror_frame', 'storage', 'clock'],
  storage: ['mirror_frame', 'lamp', 'plant_pot', 'clock', 'rug'],
  textile: ['sofa', 'bed', 'armchair', 'rug'],
  lamp: ['sofa', 'armchair', 'table_desk', 'bed'],
  tableware: ['table_desk', 'textile', 'plant_pot'],
  rug: ['sofa', 'armchair', 'table_desk', 'lamp'],
  mirror_frame: ['storage', 'lamp', 'plant_pot', 'clock'],
  plant_pot: ['storage', 'sofa', 'lamp', 'mirror_frame'],
  clock: ['mirror_frame', 'storage', 'lamp'],
  other: ['plant_pot', 'lamp', 'textile'],
});

/** The default matrix with the catalog's entries taking precedence (per category). */
export function resolveCompatibility(catalogMatrix?: CompatibilityMatrix): CompatibilityMatrix {
  return catalogMatrix ? { ...DEFAULT_COMPATIBILITY, ...catalogMatrix } : DEFAULT_COMPATIBILITY;
}

/** The categories that go with `category` (none for an unknown category, never itself). */
export function complementsOf(category: string, matrix: CompatibilityMatrix = DEFAULT_COMPATIBILITY): string[] {
  const list = Object.hasOwn(matrix, category) ? matrix[category]! : [];
  return [...new Set(list)].filter((c) => c !== category);
}
