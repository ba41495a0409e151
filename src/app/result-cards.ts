/**
 * The result cards of a search: the worker's visual results re-ranked by the
 * shopper's taste (src/personal/rerank.ts), each with why it ranks there; or,
 * while no catalog is open, this session's photos most like the last one.
 */
import { explain, explainScores, rerank } from '../personal/index.ts';
import { nearestPhotos, type SessionPhoto } from '../session-gallery.ts';
import type { CatalogInfo, SearchResponse, SearchResult } from '../shared/worker-api/index.ts';
import { groupColourVariants } from './colour-variants.ts';
import type { ResultCard } from './result-card.ts';
import type { Personal } from './usePersonal.ts';
import { prettyLabel } from './vote-words.ts';

export interface ResultCardsInput {
  catalog: CatalogInfo | undefined;
  response: SearchResponse | undefined;
  personal: Personal;
  sessionPhotos: SessionPhoto[];
}

/** The cards to show, and the search results by id (for the actions on a card). */
export function resultCards({ catalog, response, personal, sessionPhotos }: ResultCardsInput): { cards: ResultCard[]; byId: Map<string, SearchResult> } {
  const lastSession = sessionPhotos[sessionPhotos.length - 1];
  const byId = new Map((response?.results ?? []).map((r) => [r.id, r]));
  const ranked =
    catalog && response && personal.view
      ? rerank(
          response.results.map((r) => ({ id: r.id, visual: r.score, prior: r.prior })),
          { catalog: personal.view, profile: personal.ctx?.profile ?? null, settings: personal.ctx?.settings ?? { beta: 0 } },
        )
      : undefined;
  const cards: ResultCard[] = catalog
    ? (ranked ?? (response?.results ?? []).map((r) => ({ id: r.id }))).map((rr) => {
        const r = byId.get(rr.id)!;
        return {
          id: r.id,
          title: r.title,
          score: r.score,
          ...(ranked ? { why: explain(rr as (typeof ranked)[number]), whyDetail: explainScores(rr as (typeof ranked)[number]) } : {}),
          wishlisted: personal.wishlisted.has(r.id),
          ...(r.thumbnail ? { imageUrl: r.thumbnail } : {}),
          ...(r.category ? { subtitle: prettyLabel(r.category), category: r.category } : {}),
          ...(r.price !== undefined ? { price: r.price } : {}),
          ...(r.url ? { url: r.url } : {}),
        };
      })
    : lastSession
      ? nearestPhotos(lastSession.embedding, sessionPhotos, 12, lastSession.id).map((n) => ({
          id: n.photo.id,
          title: n.photo.name,
          imageUrl: n.photo.url,
          score: n.score,
          why: 'Similar look',
          whyDetail: `look ${n.score.toFixed(2)}`,
        }))
      : [];
  return { cards: catalog ? groupColourVariants(cards, (id) => byId.get(id), personal.view?.embedding) : cards, byId };
}
