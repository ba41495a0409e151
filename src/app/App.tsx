/**
 * The app: a composition of its flows (models, catalog, photo search, the
 * shopper's personal data) and the screen's parts. Each flow is a hook that
 * talks to the worker through the one client (src/inference-client.ts).
 */
import { useEffect, useState } from 'preact/hooks';
import type { BackendName, WasmThreads } from '../shared/worker-api/index.ts';
import { CatalogBar } from './CatalogBar.tsx';
import { itemActions, type SelectedItem } from './item-actions.ts';
import { requestedBackend, requestedCatalog, requestedThreads } from './launch-settings.ts';
import { LocalCatalogPanel } from './LocalCatalogPanel.tsx';
import { ObjectPicker } from './ObjectPicker.tsx';
import { ForYou, GoesWith, Onboarding, Wishlist, YourData } from './PersonalPanels.tsx';
import { PhotoPicker } from './PhotoPicker.tsx';
import { ProgressBar } from './ProgressBar.tsx';
import { resultCards } from './result-cards.ts';
import { SearchResults } from './SearchResults.tsx';
import { SeenIn } from './SeenIn.tsx';
import { TopBar } from './TopBar.tsx';
import { useCatalog } from './useCatalog.ts';
import { useInferenceClient } from './useInferenceClient.ts';
import { useModels } from './useModels.ts';
import { usePanels } from './usePanels.ts';
import { usePersonal } from './usePersonal.ts';
import { usePhotoSearch } from './usePhotoSearch.ts';
import { usePwa } from './usePwa.ts';
import { useStatusLine } from './useStatusLine.ts';
import { Working } from './Working.tsx';

export type { SelectedItem };

/** Options for embedding the app in another page (src/widget/); none of them changes the standalone app. */
export interface AppProps {
  /** Embedded in someone else's page: no service worker, no reading of the page's URL or localStorage, no persistent-storage prompt, no `window.lookalike`. */
  embedded?: boolean;
  /** Absolute URL of the folder holding the model files (default: models/ beside the page). */
  modelsBase?: string;
  /** Absolute URL of the catalog.json to open; embedded, none is opened without it. */
  catalogUrl?: string;
  /** Forces a compute backend (the standalone app reads `?backend=`). */
  backend?: BackendName;
  /**
   * tfjs's threaded wasm build (InitOptions.wasmThreads). The standalone app: `auto`, or `?threads=on|off`;
   * embedded: `off` unless the host asks (the widget's `wasm-threads` attribute), since the build starts its
   * threads from `blob:` URLs, which the widget's documented CSP (`worker-src 'self'`) refuses.
   */
  wasmThreads?: WasmThreads;
  /** Absolute URL of the built inference worker (default: the one bundled beside this module). */
  workerUrl?: string;
  /** The shopper opened a product's page from a result. */
  onSelect?: (item: SelectedItem) => void;
  /** The shopper added (`on`) or removed a product from the wishlist. */
  onWishlist?: (item: { id: string; title: string }, on: boolean) => void;
  /**
   * The parts beyond photo in, results out. The standalone app has them all; embedded, each is off unless turned
   * on (the widget's boolean attributes `other-catalogs`, `local-catalog`, `your-data`).
   */
  features?: Partial<AppFeatures>;
}

export interface AppFeatures {
  /** "Open another catalog" (a catalog.json by URL). */
  otherCatalogs: boolean;
  /** "Index your own photos" into a private catalog on the device. */
  localCatalog: boolean;
  /** "Your data": export, import and delete the shopper's history and wishlist. */
  yourData: boolean;
}

/** Every part on for the app; off, unless asked for, in someone else's page. */
export function appFeatures(embedded: boolean, asked: Partial<AppFeatures> = {}): AppFeatures {
  return { otherCatalogs: asked.otherCatalogs ?? !embedded, localCatalog: asked.localCatalog ?? !embedded, yourData: asked.yourData ?? !embedded };
}

export function App(props: AppProps = {}) {
  const { embedded = false } = props;
  const features = appFeatures(embedded, props.features);
  const client = useInferenceClient(props.workerUrl, embedded);
  const feedback = useStatusLine();
  const pwa = usePwa(embedded);
  const catalog = useCatalog(client, feedback, { embedded, onLocalOpened: () => search.clearResults() });
  // The catalog to open once the models are ready; its files download beside the models (catalog.prefetch).
  const [wanted] = useState(() => (embedded || props.catalogUrl ? { url: props.catalogUrl, explicit: true } : requestedCatalog()));
  useEffect(() => {
    if (wanted.url) void client.catalog.prefetch(wanted.url);
  }, [client, wanted]);
  const models = useModels(client, feedback, {
    modelsBase: props.modelsBase ?? new URL('models/', document.baseURI).href,
    backend: props.backend ?? (embedded ? undefined : requestedBackend()),
    embedded,
    wasmThreads: props.wasmThreads ?? (embedded ? 'off' : (requestedThreads() ?? 'auto')),
    afterLoad: async (readyLine) => {
      if ('localId' in wanted && wanted.localId) await catalog.openLocal(wanted.localId, readyLine);
      else if (wanted.url) await catalog.open(wanted.url, wanted.explicit, readyLine);
    },
  });
  const search = usePhotoSearch(client, feedback, { catalog: catalog.info, history: !embedded });
  const personal = usePersonal(client, catalog.info);
  const panels = usePanels(!embedded);
  const { goesWithFor, seenInFor } = panels;

  const { info } = models;
  const phase = models.phase === 'ready' && search.busy ? 'busy' : models.phase;
  const { cards, byId } = resultCards({ catalog: catalog.info, response: search.response, personal, sessionPhotos: search.sessionPhotos });
  const actions = itemActions({
    catalog: catalog.info,
    personal,
    byId,
    onSelect: props.onSelect,
    onWishlist: props.onWishlist,
    showGoesWith: panels.showGoesWith,
    showSeenIn: panels.showSeenIn,
  });
  const { photo, response } = search;
  const open = catalog.info;

  return (
    <div class="app" data-testid="app" data-phase={phase}>
      <TopBar embedded={embedded} offline={pwa.offline} info={info} />
      {pwa.applyUpdate && (
        <div class="banner" role="alert">
          A new version of Lookalike is ready.
          <button type="button" class="button" onClick={() => pwa.applyUpdate!()}>
            Update now
          </button>
        </div>
      )}
      {personal.notice && (
        <div class="banner" role="alert">
          {personal.notice}
        </div>
      )}
      <main>
        {(phase === 'loading' || catalog.loading) && <ProgressBar progress={feedback.progress} />}
        <p class={phase === 'failed' ? 'status error' : 'status'} data-testid="status" role="status" aria-live="polite">
          {feedback.status}
        </p>
        {phase === 'failed' && (
          <button type="button" class="button" onClick={() => void models.load()}>
            Try again
          </button>
        )}
        {info && (
          <CatalogBar
            catalog={open}
            loading={catalog.loading}
            canOpenOther={features.otherCatalogs}
            onOpen={(url) => void catalog.open(new URL(url, document.baseURI).href, true, `Ready on ${info.backend.backend}.`)}
          />
        )}
        {info && !open && !catalog.loading && !embedded && (
          <section class="add-catalog" aria-label="Add a catalog">
            <h2>Add a catalog to search</h2>
            <p>
              Open a shop's catalog with “Open another catalog” above (a link to its catalog.json), or index your own photos below: they stay on this device.
              Until then, photos you add are compared with each other.
            </p>
          </section>
        )}
        {info && features.localCatalog && (
          <LocalCatalogPanel
            client={client}
            info={info}
            catalog={open}
            catalogLoading={catalog.loading}
            disabled={phase === 'loading' || phase === 'failed'}
            open={(id) => void catalog.openLocal(id)}
            remove={catalog.removeLocal}
          />
        )}
        {photo && (
          <button type="button" class="button new-search" data-testid="new-search" disabled={phase === 'busy'} onClick={() => search.startOver()}>
            New search
          </button>
        )}
        <PhotoPicker
          disabled={phase !== 'ready'}
          waitMessage={
            phase === 'busy'
              ? 'Still working on your last photo; add this one again once its results show.'
              : 'The models are still loading; add the photo again once they are ready.'
          }
          compact={!!photo}
          onFiles={(files) => void search.choosePhotos(files)}
          onMessage={feedback.setStatus}
          pasteAnywhere={!embedded}
        />
        {/* Wide screens: the photo beside its results (styles.css .search-layout), not above them. */}
        <div class={photo && response ? 'search-layout' : 'search-stack'}>
          <div class="search-photo">
            {photo && open && (
              <ObjectPicker
                url={photo.url}
                name={photo.name}
                objects={search.objects}
                selected={search.box}
                detecting={search.detecting}
                busy={search.busy}
                onSelect={(b) => void search.refine(b, search.category)}
                onSearchArea={(b) => void search.refine(b, search.category, 'the area you chose')}
              />
            )}
            {photo && !open && (
              <section class="query" aria-label="Your photo">
                <div class="photo-frame">
                  <img src={photo.url} alt={`Your photo: ${photo.name}`} />
                  {search.busy && <Working what="Comparing with your photos…" />}
                </div>
              </section>
            )}
          </div>
          {response && (
            <div class="search-answer">
              <SearchResults
                response={response}
                info={info}
                catalog={open}
                category={search.category}
                onCategory={(c) => void search.refine(search.box, c)}
                cards={cards}
                actions={actions}
                answer={search.answers}
                busy={search.busy}
                onMore={() => void search.moreResults()}
              />
            </div>
          )}
        </div>
        {open && goesWithFor && <GoesWith client={client} personal={personal} itemId={goesWithFor} onClose={panels.closeGoesWith} actions={actions} />}
        {open && seenInFor && (
          <SeenIn key={seenInFor.id} client={client} item={seenInFor} wishlisted={personal.wishlisted} actions={actions} onClose={panels.closeSeenIn} />
        )}
        {open && !response && <Onboarding client={client} personal={personal} />}
        {open && !response && <ForYou client={client} personal={personal} actions={actions} />}
        {open && <Wishlist client={client} personal={personal} actions={actions} />}
        {info && features.yourData && <YourData personal={personal} onMessage={feedback.setStatus} />}
      </main>
    </div>
  );
}
