/**
 * One card per product: colour variants of one product (the same `product_code` attribute, as H&M's catalog has; or,
 * without one, the same title and category with near-identical embeddings) are folded into the best-ranked one's
 * card, which lists their colours. The other variants' cards are dropped, so one product no longer fills the results.
 */
import type { ItemView } from '../shared/worker-api/index.ts';
import { cosine } from '../shared/vector.ts';
import type { ResultCard } from './result-card.ts';

/** Cosine above which two same-titled items of a category count as one product (colour variants differ by a few hundredths). */
export const SAME_PRODUCT_MIN_COSINE = 0.9;

const productKey = (item: ItemView): string =>
  item.attributes?.product_code ? `code\u0000${item.attributes.product_code}` : `title\u0000${item.category ?? ''}\u0000${item.title.trim().toLowerCase()}`;

/**
 * The cards (best first) with colour variants folded into the first of each product. `itemOf` gives a card's
 * catalog item (cards without one are kept as they are); `embedding`, when given, must agree for title matches.
 */
export function groupColourVariants(
  cards: readonly ResultCard[],
  itemOf: (id: string) => ItemView | undefined,
  embedding?: (id: string) => Float32Array | undefined,
): ResultCard[] {
  const leads = new Map<string, { card: ResultCard; item: ItemView; colours: string[] }[]>();
  const out: ResultCard[] = [];
  for (const card of cards) {
    const item = itemOf(card.id);
    if (!item) {
      out.push(card);
      continue;
    }
    const key = productKey(item);
    const byCode = key.startsWith('code');
    const candidates = leads.get(key) ?? [];
    const colour = item.attributes?.color;
    const lead = candidates.find((c) => byCode || sameLook(c.item.id, item.id, embedding));
    if (lead) {
      if (colour && !lead.colours.includes(colour)) lead.colours.push(colour);
      continue;
    }
    const entry = { card: { ...card }, item, colours: colour ? [colour] : [] };
    candidates.push(entry);
    leads.set(key, candidates);
    out.push(entry.card);
  }
  for (const entries of leads.values()) for (const e of entries) if (e.colours.length > 1) e.card.colours = e.colours;
  return out;
}

function sameLook(a: string, b: string, embedding: ((id: string) => Float32Array | undefined) | undefined): boolean {
  if (!embedding) return true;
  const [ea, eb] = [embedding(a), embedding(b)];
  return !ea || !eb || cosine(ea, eb) >= SAME_PRODUCT_MIN_COSINE;
}
