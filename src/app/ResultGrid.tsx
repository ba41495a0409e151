import type { ResultActions, ResultCard } from './result-card.ts';
import { CatalogPicture } from './CatalogPicture.tsx';

const price = (p: number) => p.toLocaleString('en', { style: 'currency', currency: 'EUR' });

export function ResultGrid({
  heading,
  results,
  empty,
  actions = {},
  testId = 'result',
}: {
  heading: string;
  results: ResultCard[];
  empty: string;
  actions?: ResultActions;
  testId?: string;
}) {
  return (
    <section class="results" aria-label={heading}>
      <h2>{heading}</h2>
      {results.length === 0 ? (
        <p class="empty">{empty}</p>
      ) : (
        <ul class="grid">
          {results.map((r) => (
            <li class="card" data-testid={testId} data-item-id={r.id} data-score={r.score.toFixed(4)} key={r.id}>
              <CatalogPicture src={r.imageUrl} lazy />
              <div class="card-body">
                {r.url ? (
                  <a class="card-title" href={r.url} target="_blank" rel="noopener noreferrer" onClick={() => actions.onOpen?.(r)}>
                    {r.title}
                  </a>
                ) : (
                  <span class="card-title">{r.title}</span>
                )}
                {r.subtitle && <span class="card-subtitle">{r.subtitle}</span>}
                {r.price !== undefined && <span class="price">{price(r.price)}</span>}
                {r.colours && (
                  <span class="card-colours" data-testid="colours">
                    {r.colours.length} colours: {r.colours.join(', ')}
                  </span>
                )}
                <span class="score" data-testid="why">
                  {r.why ?? 'Similar look'}
                </span>
                {r.whyDetail && (
                  <details class="why-detail">
                    <summary>Why?</summary>
                    <span data-testid="why-detail">{r.whyDetail}</span>
                  </details>
                )}
                <div class="card-actions">
                  {actions.onWishlist && (
                    <button
                      type="button"
                      class={r.wishlisted ? 'icon-button on' : 'icon-button'}
                      data-testid="wishlist-toggle"
                      aria-pressed={!!r.wishlisted}
                      aria-label={r.wishlisted ? `Remove ${r.title} from wishlist` : `Add ${r.title} to wishlist`}
                      onClick={() => actions.onWishlist!(r, !r.wishlisted)}
                    >
                      {r.wishlisted ? '♥' : '♡'}
                    </button>
                  )}
                  {actions.onGoesWith && (
                    <button type="button" class="link-button" onClick={() => actions.onGoesWith!(r)}>
                      Goes with…
                    </button>
                  )}
                  {actions.onSeenIn && (actions.hasScenes?.(r) ?? true) && (
                    <button
                      type="button"
                      class="link-button"
                      data-testid="seen-in"
                      aria-haspopup="dialog"
                      aria-label={`Seen in: scenes with ${r.title}`}
                      onClick={() => actions.onSeenIn!(r)}
                    >
                      Seen in…
                    </button>
                  )}
                </div>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
