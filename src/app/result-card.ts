/** A result card as the grids show it, and what the shopper can do with one. */
export interface ResultCard {
  id: string;
  title: string;
  imageUrl?: string;
  score: number;
  subtitle?: string;
  /** The item's catalog category (the subtitle says it in words). */
  category?: string;
  price?: number;
  /** Product page (http/https only). */
  url?: string;
  /** Why it ranks here, in words: "Similar look · matches your taste". */
  why?: string;
  /** The figures behind `why`, one tap away: "look 0.82 · your taste +0.06". */
  whyDetail?: string;
  wishlisted?: boolean;
  /** The product's colours when its colour variants are folded into this card (src/app/colour-variants.ts). */
  colours?: string[];
}

export interface ResultActions {
  onOpen?: (card: ResultCard) => void;
  onWishlist?: (card: ResultCard, on: boolean) => void;
  onGoesWith?: (card: ResultCard) => void;
  /** Scenes (rooms, outfits) showing the item or a look-alike; given only when the catalog has scenes. */
  onSeenIn?: (card: ResultCard) => void;
  /** Whether "Seen in…" has anything to show for this card (absent: it may). */
  hasScenes?: (card: ResultCard) => boolean;
}
