/** The DOM events the `<lookalike-search>` element dispatches to its page (bubbling, composed). */

export const SELECT_EVENT = 'lookalike:select';
export const WISHLIST_EVENT = 'lookalike:wishlist';

/** `lookalike:select`: the shopper opened a product from the results (the app's `SelectedItem`). */
export interface SelectDetail {
  id: string;
  title: string;
  /** The product page, when the catalog has one. */
  url?: string;
  /** Cosine similarity to the shopper's photo (0–1). */
  score: number;
  /** The catalog's category id, e.g. "sofa". */
  category?: string;
}

/** `lookalike:wishlist`: the shopper added (`on: true`) or removed a product from the wishlist. */
export interface WishlistDetail {
  id: string;
  title: string;
  on: boolean;
}

declare global {
  interface HTMLElementEventMap {
    [SELECT_EVENT]: CustomEvent<SelectDetail>;
    [WISHLIST_EVENT]: CustomEvent<WishlistDetail>;
  }
}

export function dispatchWidgetEvent<K extends typeof SELECT_EVENT | typeof WISHLIST_EVENT>(
  target: EventTarget,
  type: K,
  detail: HTMLElementEventMap[K]['detail'],
): void {
  target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}
