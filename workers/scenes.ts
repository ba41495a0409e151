/**
 * "Seen in": the catalog's scene photos (rooms, outfits) that show an item, or
 * when too few do, the scenes showing its closest look-alikes in the catalog
 * (by embedding cosine). Pure logic over the catalog's scenes and vectors; the
 * worker wires it to the open catalog (workers/inference.worker.ts).
 */
import type { CatalogScene } from '../src/shared/catalog-format.ts';
import { cosine } from '../src/shared/vector.ts';
import type { SceneReason } from '../src/shared/worker-api/catalog.ts';

export interface SceneMatch {
  scene: CatalogScene;
  reason: SceneReason;
}

export interface SeenInInput {
  scenes: readonly CatalogScene[];
  /** Item id → its row in the catalog (for vectors). */
  itemIndex: ReadonlyMap<string, number>;
  /** Row `index`'s embedding (any length-consistent vector; cosine is computed here). */
  vector: (index: number) => Float32Array;
  itemId: string;
  limit: number;
  /** Look-alikes below this cosine are not offered (default 0). */
  minSimilarity?: number;
  /**
   * Row `index`'s category, when known: a look-alike must be of the item's own category (a shirt's weak look-alike
   * in a children's room, a textile, is not where the shirt is "seen"). Items without a category match any.
   */
  category?: (index: number) => string | undefined;
}

/**
 * Up to `limit` scenes for `itemId`: first every scene that contains it (in
 * catalog order), then scenes containing its most similar scene items of its
 * own category, best look-alike first, each scene once. Throws when the item is not in the catalog.
 */
export function seenIn(input: SeenInInput): SceneMatch[] {
  const { scenes, itemIndex, vector, itemId, limit } = input;
  const row = itemIndex.get(itemId);
  if (row === undefined) throw new RangeError(`item "${itemId}" is not in this catalog`);
  if (limit <= 0) return [];
  const out: SceneMatch[] = [];
  const used = new Set<string>();
  for (const scene of scenes) {
    if (out.length >= limit) return out;
    if (scene.itemIds.includes(itemId)) {
      out.push({ scene, reason: { kind: 'contains' } });
      used.add(scene.id);
    }
  }
  if (out.length >= limit) return out;

  // Every other item that appears in some scene, ranked by similarity to this one.
  const query = vector(row);
  const minSimilarity = input.minSimilarity ?? 0;
  const ownCategory = input.category?.(row);
  const sameKind = (other: number) => ownCategory === undefined || input.category!(other) === undefined || input.category!(other) === ownCategory;
  const candidates: { id: string; similarity: number }[] = [];
  const seen = new Set<string>([itemId]);
  for (const scene of scenes) {
    for (const id of scene.itemIds) {
      if (seen.has(id)) continue;
      seen.add(id);
      const other = itemIndex.get(id);
      if (other === undefined || !sameKind(other)) continue;
      const similarity = cosine(query, vector(other));
      if (similarity >= minSimilarity) candidates.push({ id, similarity });
    }
  }
  candidates.sort((a, b) => b.similarity - a.similarity || (a.id < b.id ? -1 : 1));
  for (const candidate of candidates) {
    for (const scene of scenes) {
      if (out.length >= limit) return out;
      if (used.has(scene.id) || !scene.itemIds.includes(candidate.id)) continue;
      out.push({ scene, reason: { kind: 'look-alike', itemId: candidate.id, similarity: candidate.similarity } });
      used.add(scene.id);
    }
  }
  return out;
}

/** The shopper-facing reason: "contains this product" or "contains a look-alike (0.87)". */
export function reasonText(reason: SceneReason): string {
  return reason.kind === 'contains' ? 'contains this product' : `contains a look-alike (${reason.similarity.toFixed(2)})`;
}

/** The scene with this id; throws naming it when the catalog has none such. */
export function findScene(scenes: readonly CatalogScene[], sceneId: string): CatalogScene {
  const scene = scenes.find((s) => s.id === sceneId);
  if (!scene) throw new RangeError(`scene "${sceneId}" is not in this catalog`);
  return scene;
}
