/**
 * The minimal catalog shape personalisation needs. The catalog format proper
 * lives in `src/shared/catalog-format.ts`; adapt it to this with a few lines
 * (see `docs/personalisation.md`), so this folder does not depend on its details.
 */
import type { EventRecord, PreferenceRecord, WishlistRecord } from './schema.ts';

export interface CatalogItemInfo {
  id: string;
  category: string;
  color?: string;
  /** Optional popularity (any scale, higher = more popular), used for the no-history default. */
  popularity?: number;
}

export interface CatalogView {
  /** The catalog id stored with every event, wishlist entry and preference. */
  id: string;
  items: readonly CatalogItemInfo[];
  /** The item's L2-normalised embedding, or undefined if the catalog has none for it. */
  embedding(itemId: string): Float32Array | undefined;
  /** Optional category → complementary categories, carried by the catalog ("goes with"). */
  compatibility?: Readonly<Record<string, readonly string[]>>;
}

/** Item id → embedding, the one thing the profile needs from a catalog. */
export type EmbeddingLookup = (itemId: string) => Float32Array | undefined;

/** Builds a lookup by id over the catalog's items (cached). */
export function itemIndex(catalog: CatalogView): Map<string, CatalogItemInfo> {
  let map = indexCache.get(catalog);
  if (!map) {
    map = new Map(catalog.items.map((it) => [it.id, it]));
    indexCache.set(catalog, map);
  }
  return map;
}
const indexCache = new WeakMap<CatalogView, Map<string, CatalogItemInfo>>();

/** Everything the shopper did in one catalog: what the profile is built from. */
export interface PersonalSignals {
  catalogId: string;
  events: readonly EventRecord[];
  wishlist: readonly WishlistRecord[];
  preferences: readonly PreferenceRecord[];
}

export function emptySignals(catalogId: string): PersonalSignals {
  return { catalogId, events: [], wishlist: [], preferences: [] };
}
