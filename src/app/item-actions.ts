/**
 * What a product card does: opening it (recorded as a click, and told to an
 * embedding page), the wishlist, "Goes with…" and "Seen in…". Photos of the
 * session (no catalog open) have no actions.
 */
import type { CatalogInfo, SearchResult } from '../shared/worker-api/index.ts';
import type { ResultActions, ResultCard } from './result-card.ts';
import type { Personal } from './usePersonal.ts';

/** A product the shopper opened, as the embedding page hears of it. */
export interface SelectedItem {
  id: string;
  title: string;
  url?: string;
  score: number;
  category?: string;
}

export interface ItemActionsInput {
  catalog: CatalogInfo | undefined;
  personal: Personal;
  /** The search results by id (their category for onSelect). */
  byId: ReadonlyMap<string, SearchResult>;
  onSelect: ((item: SelectedItem) => void) | undefined;
  onWishlist: ((item: { id: string; title: string }, on: boolean) => void) | undefined;
  showGoesWith(itemId: string): void;
  showSeenIn(item: { id: string; title: string }): void;
}

export function itemActions({ catalog, personal, byId, onSelect, onWishlist, showGoesWith, showSeenIn }: ItemActionsInput): ResultActions {
  if (!catalog) return {};
  return {
    onOpen: (card: ResultCard) => {
      personal.click(card.id);
      const category = byId.get(card.id)?.category;
      onSelect?.({ id: card.id, title: card.title, score: card.score, ...(card.url ? { url: card.url } : {}), ...(category ? { category } : {}) });
    },
    onWishlist: (card: ResultCard, on: boolean) => {
      void personal.setWishlisted(card.id, on);
      onWishlist?.({ id: card.id, title: card.title }, on);
    },
    onGoesWith: (card: ResultCard) => showGoesWith(card.id),
    ...(catalog.scenes > 0
      ? {
          onSeenIn: (card: ResultCard) => showSeenIn({ id: card.id, title: card.title }),
          // Scenes show look-alikes of an item's own category only (workers/scenes.ts): no button where there are none.
          hasScenes: (card: ResultCard) => !card.category || catalog.sceneCategories.includes(card.category),
        }
      : {}),
  };
}
