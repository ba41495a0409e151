import { proxy as comlinkProxy, transfer as comlinkTransfer } from 'comlink';
import { useEffect, useRef, useState } from 'preact/hooks';
import { createInferenceBridge, type InferenceBridge } from '../bridge.ts';
import { decodePhoto } from '../photo-decode.ts';
import { failIndexedDbWrites } from '../shared/fill-storage.ts';
import { registerServiceWorker, requestPersistentStorage } from '../pwa.ts';
import { nearestPhotos, type SessionPhoto } from '../session-gallery.ts';
import type { CatalogInfo } from '../../workers/catalog-session.ts';
import type { InitInfo, SearchResponse } from '../../workers/inference.worker.ts';
import type { DetectedObject } from '../../workers/models/detector.ts';
import { CatalogBar } from './CatalogBar.tsx';
import { CategoryVotes } from './CategoryVotes.tsx';
import { errorMessage, formatMs } from './format.ts';
import { ObjectPicker, type Box } from './ObjectPicker.tsx';
import { PhotoPicker } from './PhotoPicker.tsx';
import { ProgressBar, type ProgressState } from './ProgressBar.tsx';
import { InstallButton } from './InstallButton.tsx';
import { ResultGrid, type ResultCard } from './ResultGrid.tsx';
import { LocalIndexer } from './LocalIndexer.tsx';
import { SeenIn } from './SeenIn.tsx';
import { ForYou, GoesWith, Onboarding, YourData } from './PersonalPanels.tsx';
import { usePersonal } from './usePersonal.ts';
import { explain, rerank } from '../personal/index.ts';
import { prettyLabel, topLabels } from './vote-words.ts';
import { localCallVia } from '../local-catalog/bridge-call.ts';
import { runIndexing } from '../local-catalog/run-indexing.ts';

type Phase = 'loading' | 'ready' | 'busy' | 'failed';

const DEFAULT_CATALOG = 'catalog/demo/catalog.json';
const CATALOG_SETTING = 'lookalike.catalogUrl';

function requestedBackend(): 'webgpu' | 'webgl' | 'wasm' | 'cpu' | undefined {
  const value = new URLSearchParams(location.search).get('backend');
  return value === 'webgpu' || value === 'webgl' || value === 'wasm' || value === 'cpu' ? value : undefined;
}

/** `?catalog=` wins, then the saved choice, then the demo catalog; `none` opens none. */
function requestedCatalog(): { url: string | undefined; explicit: boolean } {
  const param = new URLSearchParams(location.search).get('catalog');
  if (param === 'none') return { url: undefined, explicit: true };
  if (param) return { url: new URL(param, document.baseURI).href, explicit: true };
  const saved = localStorage.getItem(CATALOG_SETTING);
  return { url: new URL(saved ?? DEFAULT_CATALOG, document.baseURI).href, explicit: !!saved };
}

interface Photo {
  url: string;
  name: string;
}

/** A product the shopper opened, as the embedding page hears of it. */
export interface SelectedItem {
  id: string;
  title: string;
  url?: string;
  score: number;
  category?: string;
}

/** Options for embedding the app in another page (src/widget/); none of them changes the standalone app. */
export interface AppProps {
  /** Embedded in someone else's page: no service worker, no reading of the page's URL or localStorage, no persistent-storage prompt, no `window.lookalike`. */
  embedded?: boolean;
  /** Absolute URL of the folder holding the model files (default: models/ beside the page). */
  modelsBase?: string;
  /** Absolute URL of the catalog.json to open; embedded, none is opened without it. */
  catalogUrl?: string;
  /** Forces a compute backend (the standalone app reads `?backend=`). */
  backend?: 'webgpu' | 'webgl' | 'wasm' | 'cpu';
  /** Absolute URL of the built inference worker (default: the one bundled beside this module). */
  workerUrl?: string;
  /** The shopper opened a product's page from a result. */
  onSelect?: (item: SelectedItem) => void;
  /** The shopper added (`on`) or removed a product from the wishlist. */
  onWishlist?: (item: { id: string; title: string }, on: boolean) => void;
}

export function App(props: AppProps = {}) {
  const { embedded = false } = props;
  const bridge = useRef<InferenceBridge>();
  const [phase, setPhase] = useState<Phase>('loading');
  const phaseRef = useRef(phase);
  phaseRef.current = phase;
  const [progress, setProgress] = useState<ProgressState>({ label: 'Starting', loaded: 0, total: 0, unit: 'none' });
  const [status, setStatus] = useState('Loading the image models…');
  const [info, setInfo] = useState<InitInfo>();
  const [catalog, setCatalog] = useState<CatalogInfo>();
  const [catalogLoading, setCatalogLoading] = useState(false);
  const [photo, setPhoto] = useState<Photo>();
  const [objects, setObjects] = useState<DetectedObject[]>([]);
  const [detecting, setDetecting] = useState(false);
  const [box, setBox] = useState<Box>();
  const [response, setResponse] = useState<SearchResponse>();
  const [category, setCategory] = useState('');
  const [sessionPhotos, setSessionPhotos] = useState<SessionPhoto[]>([]);
  const [offline, setOffline] = useState(!navigator.onLine);
  const [applyUpdate, setApplyUpdate] = useState<() => void>();
  const [goesWithFor, setGoesWithFor] = useState<string>();
  const [seenInFor, setSeenInFor] = useState<{ id: string; title: string }>();
  const [workerBridge, setWorkerBridge] = useState<InferenceBridge>();
  const personal = usePersonal(workerBridge, catalog);

  /** `readyLine` leads the status once the catalog is open (the models' "Ready on …" line). */
  const openCatalog = async (url: string, explicit: boolean, readyLine = `Ready on ${info?.backend.backend ?? 'your device'}.`) => {
    setCatalogLoading(true);
    try {
      setProgress({ label: 'Opening the catalog', loaded: 0, total: 0, unit: 'none' });
      const opened = await bridge.current!.call((r) => r.openCatalog(url, comlinkProxy((p) => setProgress({ label: p.loaded < p.total ? 'Downloading the catalog' : 'Indexing the catalog for search', loaded: p.loaded, total: p.total, unit: 'bytes' }))));
      setCatalog(opened);
      if (explicit && !embedded && !new URLSearchParams(location.search).has('catalog')) localStorage.setItem(CATALOG_SETTING, url);
      setStatus(`${readyLine} ${opened.name}: ${opened.count.toLocaleString('en')} items. Choose a photo.`);
    } catch (error) {
      // The demo catalog is optional: without it the app opens on the "add a catalog" screen.
      if (explicit) setStatus(errorMessage(error));
    } finally {
      setCatalogLoading(false);
    }
  };

  /** `note` (e.g. why the worker was restarted) leads the "Ready" line. */
  const loadModels = async (note?: string) => {
    const b = bridge.current!;
    setPhase('loading');
    setStatus('Loading the image models…');
    try {
      const backend = props.backend ?? (embedded ? undefined : requestedBackend());
      const ready = await b.init({ modelsBase: props.modelsBase ?? new URL('models/', document.baseURI).href, ...(backend ? { backend } : {}) }, (p) => {
        if (p.phase === 'download') setProgress({ phase: p.phase, label: 'Downloading the image models (first run only)', loaded: p.loaded, total: p.total, unit: 'bytes', ...(p.file && p.fileTotal ? { file: { name: p.file, loaded: p.fileLoaded ?? 0, total: p.fileTotal } } : {}) });
        else if (p.phase === 'warmup') setProgress({ phase: p.phase, label: 'Warming up the models', loaded: 0, total: 0, unit: 'none' });
        else if (p.phase === 'backend') setProgress({ phase: p.phase, label: 'Starting the compute engine', loaded: 0, total: 0, unit: 'none' });
      });
      setInfo(ready);
      const fell = ready.backend.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ');
      const readyLine = `${note ? `${note} ` : ''}Ready on ${ready.backend.backend}${fell ? ` (fell back — ${fell})` : ''}.`;
      setStatus(`${readyLine} Choose a photo.`);
      const wanted = embedded || props.catalogUrl ? { url: props.catalogUrl, explicit: true } : requestedCatalog();
      if (wanted.url) await openCatalog(wanted.url, wanted.explicit, readyLine);
      setPhase('ready');
      if (!embedded) void requestPersistentStorage();
    } catch (error) {
      setPhase('failed');
      setStatus(errorMessage(error));
    }
  };

  useEffect(() => {
    bridge.current = createInferenceBridge(props.workerUrl);
    setWorkerBridge(bridge.current);
    bridge.current.onRestart = (reason) => void loadModels(`The image engine stopped (${reason}) and was restarted; the request it was working on was cancelled.`);
    // Automation hooks (docs/testing.md): the worker's tfjs memory counters, and fault injection.
    if (!embedded)
      (window as unknown as { lookalike: object }).lookalike = {
        memory: () => bridge.current!.memory(),
        debug: {
          crashWorker: () => bridge.current!.direct((r) => r.debugArmCrash()),
          loseDevice: () => bridge.current!.direct((r) => r.debugLoseDevice()),
          fillStorage: () => (failIndexedDbWrites(), bridge.current!.direct((r) => r.debugFillStorage())),
        },
      };
    void loadModels();
    if (!embedded) registerServiceWorker({ onUpdateReady: (apply) => setApplyUpdate(() => apply), onOfflineReady: () => undefined });
    const online = () => {
      setOffline(false);
      // A first visit that failed offline retries by itself once the connection is back.
      if (phaseRef.current === 'failed') void loadModels();
    };
    const offlineNow = () => setOffline(true);
    addEventListener('online', online);
    addEventListener('offline', offlineNow);
    return () => {
      bridge.current?.terminate();
      removeEventListener('online', online);
      removeEventListener('offline', offlineNow);
    };
  }, []);

  const runSearch = async (searchBox: Box | undefined, filter: string) => {
    const res = await bridge.current!.call((r) => r.search({ ...(searchBox ? { box: searchBox } : {}), ...(filter ? { categories: [filter] } : {}) }));
    setResponse(res);
    return res;
  };

  const choosePhotos = async (files: File[]) => {
    for (const file of files) {
      setPhase('busy');
      setStatus(`Looking at ${file.name}…`);
      try {
        const bitmap = await decodePhoto(file);
        await bridge.current!.call((r) => r.setPhoto(comlinkTransfer(bitmap, [bitmap])));
        const url = URL.createObjectURL(file);
        setPhoto((prev) => (prev && URL.revokeObjectURL(prev.url), { url, name: file.name }));
        setObjects([]);
        setBox(undefined);
        setCategory('');
        const res = await runSearch(undefined, '');
        setSessionPhotos((prev) => [...prev, { id: `photo-${prev.length + 1}-${file.name}`, name: file.name, url: URL.createObjectURL(file), embedding: res.embedding }]);
        setStatus(`Embedded ${file.name} in ${formatMs(res.embedMs)} on ${info?.backend.backend ?? 'your device'}${catalog ? `; searched ${catalog.count.toLocaleString('en')} items in ${formatMs(res.searchMs)}` : ''}.`);
        if (catalog) void detectObjects();
      } catch (error) {
        setStatus(errorMessage(error));
      } finally {
        setPhase((p) => (p === 'busy' ? 'ready' : p));
      }
    }
  };

  const detectObjects = async () => {
    setDetecting(true);
    try {
      setObjects(await bridge.current!.call((r) => r.detect(undefined)));
    } catch (error) {
      setStatus(`Could not look for objects: ${errorMessage(error)}`);
    } finally {
      setDetecting(false);
    }
  };

  const refine = async (nextBox: Box | undefined, nextCategory: string, what = nextBox ? 'the selected object' : 'the whole photo') => {
    setBox(nextBox);
    setCategory(nextCategory);
    setPhase('busy');
    try {
      const res = await runSearch(nextBox, nextCategory);
      setStatus(`Searched ${what}${nextCategory ? ` among ${prettyLabel(nextCategory)}` : ''} in ${formatMs(res.embedMs + res.searchMs)}.`);
    } catch (error) {
      setStatus(errorMessage(error));
    } finally {
      setPhase('ready');
    }
  };

  const lastSession = sessionPhotos[sessionPhotos.length - 1];
  const predicted = response?.probabilities && info ? topLabels(info.labels, response.probabilities, 1)[0]?.label : undefined;
  const byId = new Map((response?.results ?? []).map((r) => [r.id, r]));
  const ranked =
    catalog && response && personal.view
      ? rerank(
          response.results.map((r) => ({ id: r.id, visual: r.score, prior: r.prior })),
          { catalog: personal.view, profile: personal.ctx?.profile ?? null, predictedCategory: predicted ?? null, settings: personal.ctx?.settings ?? { beta: 0, gamma: 0 } },
        )
      : undefined;
  const cards: ResultCard[] = catalog
    ? (ranked ?? (response?.results ?? []).map((r) => ({ id: r.id }))).map((rr) => {
        const r = byId.get(rr.id)!;
        return {
          id: r.id,
          title: r.title,
          score: r.score,
          ...(ranked ? { why: explain(rr as (typeof ranked)[number]) } : {}),
          wishlisted: personal.wishlisted.has(r.id),
          ...(r.thumbnail ? { imageUrl: r.thumbnail } : {}),
          ...(r.category ? { subtitle: prettyLabel(r.category) } : {}),
          ...(r.price !== undefined ? { price: r.price } : {}),
          ...(r.url ? { url: r.url } : {}),
        };
      })
    : lastSession
      ? nearestPhotos(lastSession.embedding, sessionPhotos, 12, lastSession.id).map((n) => ({ id: n.photo.id, title: n.photo.name, imageUrl: n.photo.url, score: n.score }))
      : [];
  const itemActions = catalog
    ? {
        onOpen: (card: ResultCard) => {
          personal.click(card.id);
          const category = byId.get(card.id)?.category;
          props.onSelect?.({ id: card.id, title: card.title, score: card.score, ...(card.url ? { url: card.url } : {}), ...(category ? { category } : {}) });
        },
        onWishlist: (card: ResultCard, on: boolean) => {
          void personal.setWishlisted(card.id, on);
          props.onWishlist?.({ id: card.id, title: card.title }, on);
        },
        onGoesWith: (card: ResultCard) => setGoesWithFor(card.id),
        ...(catalog.scenes > 0 ? { onSeenIn: (card: ResultCard) => setSeenInFor({ id: card.id, title: card.title }) } : {}),
      }
    : {};

  const categories = catalog ? Object.keys(catalog.categories).sort() : [];
  return (
    <div class="app" data-testid="app" data-phase={phase}>
      <header class="topbar">
        <h1>Lookalike</h1>
        <div class="badges">
          {!embedded && <InstallButton />}
          {offline && <span class="badge offline">Offline</span>}
          <span class="badge" data-testid="backend" title={info ? info.backend.detail : 'starting'}>
            {info?.backend.backend ?? '…'}
          </span>
        </div>
      </header>
      {applyUpdate && (
        <div class="banner" role="alert">
          A new version of Lookalike is ready.
          <button class="button" onClick={() => applyUpdate()}>
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
        {(phase === 'loading' || catalogLoading) && <ProgressBar progress={progress} />}
        <p class={phase === 'failed' ? 'status error' : 'status'} data-testid="status" role="status" aria-live="polite">
          {status}
        </p>
        {phase === 'failed' && (
          <button class="button" onClick={() => void loadModels()}>
            Try again
          </button>
        )}
        {info && <CatalogBar catalog={catalog} loading={catalogLoading} onOpen={(url) => void openCatalog(new URL(url, document.baseURI).href, true)} />}
        {info && !catalog && !catalogLoading && (
          <section class="add-catalog" aria-label="Add a catalog">
            <h2>Add a catalog to search</h2>
            <p>Open a shop's catalog with “Open another catalog” above (a link to its catalog.json), or index your own photos below: they stay on this device. Until then, photos you add are compared with each other.</p>
          </section>
        )}
        {info && (
          <details class="panel" open={!catalog && !catalogLoading}>
            <summary>Index your own photos (wardrobe, shop folder)</summary>
          <LocalIndexer
            disabled={phase === 'loading' || phase === 'failed'}
            refreshKey={info}
            searchingId={catalog?.url.startsWith('local:') ? catalog.url.slice('local:'.length) : undefined}
            run={(files, name, signal, onProgress) => runIndexing({ files, name, call: localCallVia(bridge.current!), signal, onProgress })}
            list={() => localCallVia(bridge.current!)('listLocalCatalogs', [])}
            open={(id) =>
              void localCallVia(bridge.current!)('openLocalCatalog', [id]).then(
                (opened) => {
                  setCatalog(opened);
                  setResponse(undefined);
                  setStatus(`${opened.name}: ${opened.count.toLocaleString('en')} of your photos. Choose a photo to search them.`);
                },
                (e) => setStatus(errorMessage(e)),
              )
            }
            remove={async (id) => {
              await localCallVia(bridge.current!)('deleteLocalCatalog', [id]);
            }}
          />
          </details>
        )}
        <PhotoPicker disabled={phase === 'loading' || phase === 'failed'} onFiles={(files) => void choosePhotos(files)} onMessage={setStatus} pasteAnywhere={!embedded} />
        {photo && catalog && <ObjectPicker url={photo.url} name={photo.name} objects={objects} selected={box} detecting={detecting} onSelect={(b) => void refine(b, category)} onSearchArea={(b) => void refine(b, category, 'the area you chose')} />}
        {photo && !catalog && (
          <section class="query" aria-label="Your photo">
            <img src={photo.url} alt={`Your photo: ${photo.name}`} />
          </section>
        )}
        {response && (
          <p class="timing">
            Embedded in <strong data-testid="embed-ms">{formatMs(response.embedMs)}</strong> on <strong>{info?.backend.backend}</strong>
          </p>
        )}
        {response?.probabilities && info && (
          <CategoryVotes
            labels={info.labels}
            probabilities={response.probabilities}
            members={info.models.filter((m) => response.memberProbabilities?.[m.id]).map((m) => ({ ...m, probabilities: response.memberProbabilities![m.id]! }))}
            cropView={response.cropView ?? false}
            mirrorView={response.mirrorView ?? false}
          />
        )}
        {catalog && response && (
          <label class="filter">
            Category
            <select data-testid="category-filter" value={category} onChange={(e) => void refine(box, e.currentTarget.value)}>
              <option value="">All categories</option>
              {categories.map((c) => (
                <option key={c} value={c}>
                  {prettyLabel(c)} ({catalog.categories[c]})
                </option>
              ))}
            </select>
          </label>
        )}
        {response && (
          <ResultGrid
            heading={catalog ? 'Similar products' : 'Most similar of your photos this session'}
            results={cards}
            empty={catalog ? 'Nothing in this catalog matches that filter. Try “All categories”.' : 'Add another photo to see which of your photos look alike.'}
            actions={itemActions}
          />
        )}
        {catalog && goesWithFor && <GoesWith bridge={workerBridge} personal={personal} itemId={goesWithFor} onClose={() => setGoesWithFor(undefined)} actions={itemActions} />}
        {catalog && seenInFor && <SeenIn key={seenInFor.id} bridge={workerBridge} item={seenInFor} wishlisted={personal.wishlisted} actions={itemActions} onClose={() => setSeenInFor(undefined)} />}
        {catalog && !response && <Onboarding bridge={workerBridge} personal={personal} />}
        {catalog && !response && <ForYou bridge={workerBridge} personal={personal} actions={itemActions} />}
        {info && <YourData personal={personal} onMessage={setStatus} />}
      </main>
    </div>
  );
}
