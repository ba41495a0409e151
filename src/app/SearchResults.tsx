import { useRef } from 'preact/hooks';
import type { CatalogInfo, InitInfo, SearchCoverage, SearchResponse } from '../shared/worker-api/index.ts';
import { CategoryVotes } from './CategoryVotes.tsx';
import { formatBytes, formatMs } from './format.ts';
import { ResultGrid } from './ResultGrid.tsx';
import type { ResultActions, ResultCard } from './result-card.ts';
import { useRevealOnAnswer } from './use-reveal.ts';
import { prettyLabel } from './vote-words.ts';

/**
 * A search's answer: how long it took, the ensemble's category vote, the category filter, and the result cards.
 * Each new answer (`answer` counts them) comes into view by itself when its first result is off screen.
 */
export function SearchResults({
  response,
  info,
  catalog,
  category,
  onCategory,
  cards,
  actions,
  answer,
  busy,
  onMore,
}: {
  response: SearchResponse;
  info: InitInfo | undefined;
  catalog: CatalogInfo | undefined;
  category: string;
  onCategory(category: string): void;
  cards: ResultCard[];
  actions: ResultActions;
  answer: number;
  /** A new search is running: these results are about to be replaced. */
  busy: boolean;
  /** A partitioned catalog: search more of it. */
  onMore(): void;
}) {
  const coverage = response.coverage;
  const block = useRef<HTMLDivElement>(null);
  useRevealOnAnswer(block, '.card', answer);
  const categories = catalog ? Object.keys(catalog.categories).sort() : [];
  return (
    <div class={busy ? 'search-results busy' : 'search-results'} ref={block} aria-busy={busy}>
      <details class="timing">
        <summary>How it ran</summary>
        The models read the photo in <strong data-testid="embed-ms">{formatMs(response.embedMs)}</strong> on <strong>{info?.backend.backend}</strong>
        {response.embeddingReused ? ' (earlier; this search reused it)' : ''}; the search took{' '}
        <span data-testid="search-ms">{formatMs(response.searchMs)}</span>.
      </details>
      {response.probabilities && info && (
        <CategoryVotes
          labels={info.labels}
          probabilities={response.probabilities}
          members={info.models.filter((m) => response.memberProbabilities?.[m.id]).map((m) => ({ ...m, probabilities: response.memberProbabilities![m.id]! }))}
          cropView={response.cropView ?? false}
          mirrorView={response.mirrorView ?? false}
        />
      )}
      {catalog && (
        <label class="filter">
          Category
          <select data-testid="category-filter" value={category} onChange={(e) => onCategory(e.currentTarget.value)}>
            <option value="">All categories</option>
            {categories.map((c) => (
              <option key={c} value={c}>
                {prettyLabel(c)} ({catalog.categories[c]})
              </option>
            ))}
          </select>
        </label>
      )}
      <ResultGrid
        heading={catalog ? 'Similar products' : 'Most similar of your photos this session'}
        results={cards}
        empty={catalog ? 'Nothing in this catalog matches that filter. Try “All categories”.' : 'Add another photo to see which of your photos look alike.'}
        actions={actions}
      />
      {coverage && <Coverage coverage={coverage} busy={busy} onMore={onMore} />}
    </div>
  );
}

/** How much of a partitioned catalog this search read, what could not be read, and the way to read more. */
function Coverage({ coverage, busy, onMore }: { coverage: SearchCoverage; busy: boolean; onMore(): void }) {
  return (
    <div
      class="coverage"
      data-testid="coverage"
      data-searched={coverage.itemsSearched}
      data-bytes={coverage.bytesDownloaded}
      data-refining={String(coverage.refining)}
      aria-live="polite"
    >
      <p>
        {coverage.more ? 'Searched the part of the catalog nearest your photo' : 'Searched every part of the catalog this search can use'}:{' '}
        {coverage.itemsSearched.toLocaleString('en')} of {coverage.items.toLocaleString('en')} products
        {coverage.bytesDownloaded > 0 ? ` (downloaded ${formatBytes(coverage.bytesDownloaded)} for it)` : ''}.
        {coverage.refining ? ' Looking at more of it…' : ''}
      </p>
      {coverage.failed.length > 0 && (
        <p class="coverage-failed" role="alert" data-testid="coverage-failed">
          {coverage.failed.length === 1 ? 'One part of the catalog' : `${coverage.failed.length} parts of the catalog`} could not be read, so these results
          leave out its products: {coverage.failed.map((f) => `${f.partition} (${f.message})`).join('; ')}. Searching again tries it again.
        </p>
      )}
      {coverage.more && !coverage.refining && (
        <button type="button" data-testid="more-results" disabled={busy} onClick={onMore}>
          More results
        </button>
      )}
    </div>
  );
}
