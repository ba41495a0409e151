/**
 * The inference worker: every tfjs call of the app runs here, behind comlink.
 * It implements the contract in src/shared/worker-api/ (`WorkerApi`, grouped:
 * models, search, catalog, localCatalog); the page calls it through its client
 * (src/inference-client.ts). Test builds (`vite build --mode test`) add the
 * fault-injection group and the benchmark hooks; production builds leave them out.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { allFiles, parseManifest, type ModelManifest } from '../src/shared/manifest.ts';
import type {
  BackendChoice,
  CatalogApi,
  InitInfo,
  InitOptions,
  LoadProgress,
  ModelsApi,
  SearchApi,
  SearchRequest,
  SearchResponse,
  WorkerApi,
} from '../src/shared/worker-api/index.ts';
import { fetchVerified } from './artifact-fetch.ts';
import { keepDownloadsForOffline, keepForOffline } from './offline-store.ts';
import { allowWasmThreads } from './backend.ts';
import { chooseBackend, forceBackend } from './backend-choice.ts';
import { bitmapToTensor } from './image-input.ts';
import { Embedder } from './models/ensemble.ts';
import type { ArtifactReader } from './models/backbone.ts';
import { Detector } from './models/detector.ts';
import { GraphCache } from './models/load-backbone.ts';
import { cropRelative } from './models/preprocess.ts';
import { itemView, openCatalog, prefetchCatalog, sceneWithItems, seenInScenes, type OpenCatalog } from './catalog-session.ts';
import { categoryPrior, DEFAULT_CATEGORY_PRIOR } from './search/category-prior.ts';
import { createLocalCatalogApi } from './local-catalog/api.ts';
import { createBenchApi } from './bench-api.ts';
import { embeddingModelSha256 } from '../src/shared/catalog-format.ts';
import { guardDeviceLoss } from './device-loss.ts';
import { crashIfArmed, faultApi } from './fault-injection.ts';

/** Test and benchmark hooks are built in only in test builds (a constant: production bundles drop them). */
const TEST_BUILD = import.meta.env.MODE === 'test';

let backend: BackendChoice | undefined;
let embedder: Embedder | undefined;
let detector: Detector | undefined;
let manifest: ModelManifest | undefined;
let catalog: OpenCatalog | undefined;
/** The shopper's current photo, kept so it can be cropped and searched object by object. */
let photo: tf.Tensor3D | undefined;
/** The last photo/box embedded, so changing only the filter does not run the models again. */
let lastEmbedded: { key: string; out: Awaited<ReturnType<Embedder['run']>>; ms: number } | undefined;
/** The models' graphs on the backend in use (shared by the embedder and the detector). */
let graphs = new GraphCache();
let read: ArtifactReader | undefined;
let queue: Promise<unknown> = Promise.resolve();

/** Runs worker calls one after another, whatever order the page sends them in. */
function serial<T>(task: () => Promise<T>): Promise<T> {
  const guarded = guardDeviceLoss(TEST_BUILD ? crashIfArmed(task) : task);
  const run = queue.then(guarded, guarded);
  queue = run.catch(() => undefined);
  return run;
}

async function loadModels(options: InitOptions, onProgress: (p: LoadProgress) => void): Promise<InitInfo> {
  if (!backend) allowWasmThreads(options.wasmThreads ?? 'off');
  if (!backend && options.backend) {
    onProgress({ phase: 'backend', message: 'starting the compute backend', loaded: 0, total: 0 });
    backend = await forceBackend(options.backend);
  }
  keepDownloadsForOffline(options.keepForOffline ?? false);
  const manifestUrl = new URL('manifest.json', options.modelsBase).href;
  const manifestResponse = await fetch(manifestUrl).catch(() => undefined);
  if (!manifestResponse?.ok) {
    throw new Error(
      navigator.onLine
        ? 'The model list (manifest.json) could not be downloaded'
        : 'You are offline and the models are not stored on this device yet. Connect once to download them.',
    );
  }
  const manifestText = await manifestResponse.text();
  const next = parseManifest(JSON.parse(manifestText));
  await keepForOffline(manifestUrl, manifestText, manifestResponse.headers.get('content-type'), { replace: true });
  const files = allFiles(next);
  const total = files.reduce((n, f) => n + f.bytes, 0);
  const loadedByFile = new Map<string, number>();
  const report = (file: string, loaded: number, fileTotal: number) => {
    loadedByFile.set(file, loaded);
    const sum = [...loadedByFile.values()].reduce((a, b) => a + b, 0);
    onProgress({ phase: 'download', message: `downloading ${file}`, loaded: Math.min(sum, total), total, file, fileLoaded: loaded, fileTotal });
  };
  const cache = new Map<string, Promise<ArrayBuffer>>();
  const reader: ArtifactReader = (file) => {
    let pending = cache.get(file.path);
    if (!pending) {
      pending = fetchVerified(options.modelsBase, file, (p) => report(p.file, p.loaded, p.total));
      cache.set(file.path, pending);
    }
    return pending;
  };
  const started = performance.now();
  let warmupStarted = 0;
  let measured: Embedder | undefined;
  if (!backend) {
    // Not forced: the backend remembered for this ensemble, browser and GPU, or the fastest measured now.
    onProgress({ phase: 'backend', message: 'starting the compute backend', loaded: 0, total: 0 });
    const chosen = await chooseBackend({
      manifest: next,
      load: (models, trialGraphs, signal) => Embedder.load(models, reader, { signal }, trialGraphs),
      onMeasure: (message) => onProgress({ phase: 'measure', message, loaded: total, total }),
    });
    backend = chosen.choice;
    if (chosen.embedder && chosen.graphs) {
      measured = chosen.embedder;
      graphs = chosen.graphs;
    }
  }
  const loaded =
    measured ??
    (await Embedder.load(
      next,
      reader,
      {
        onStep: (step) => {
          if (step === 'warming up') {
            warmupStarted = performance.now();
            onProgress({ phase: 'warmup', message: `warming up on ${backend!.backend}`, loaded: total, total });
          }
        },
      },
      graphs,
    ));
  // Only now replace the models in use: a failed load leaves the previous ones working.
  const modelsChanged = manifest?.ensembleId !== next.ensembleId;
  embedder?.dispose();
  detector?.dispose();
  detector = undefined;
  embedder = loaded;
  manifest = next;
  read = reader;
  lastEmbedded = undefined;
  // A catalog's vectors belong to the models that built it: never search it with others.
  if (catalog && modelsChanged) {
    catalog.index.dispose();
    catalog = undefined;
  }
  const done = performance.now();
  onProgress({ phase: 'ready', message: 'ready', loaded: total, total });
  return {
    backend: backend,
    ensembleId: next.ensembleId,
    models: loaded.members.map((m) => ({ id: m.entry.id, name: m.entry.name })),
    labels: loaded.labels,
    dimension: loaded.dimension,
    bytes: total,
    loadMs: (warmupStarted || done) - started,
    warmupMs: warmupStarted ? done - warmupStarted : 0,
  };
}

const models: ModelsApi = {
  init(options: InitOptions, onProgress: (p: LoadProgress) => void): Promise<InitInfo> {
    return serial(() => loadModels(options, onProgress));
  },

  async memory() {
    // WebGPU reports numBytesAllocatedInGPU, WebGL numBytesInGPUAllocated: one name for both.
    const m = tf.memory() as tf.MemoryInfo & { numBytesInGPUAllocated?: number; numBytesAllocatedInGPU?: number };
    const gpu = m.numBytesInGPUAllocated ?? m.numBytesAllocatedInGPU;
    return { numTensors: m.numTensors, numBytes: m.numBytes, ...(gpu !== undefined ? { numBytesInGPUAllocated: gpu } : {}) };
  },
};

const search: SearchApi = {
  setPhoto(bitmap: ImageBitmap): Promise<{ width: number; height: number }> {
    return serial(async () => {
      try {
        const next = bitmapToTensor(bitmap);
        photo?.dispose();
        photo = next;
        lastEmbedded = undefined;
        return { width: bitmap.width, height: bitmap.height };
      } finally {
        bitmap.close();
      }
    });
  },

  detect(minScore?: number) {
    return serial(async () => {
      if (!photo) throw new Error('No photo yet');
      if (!manifest || !read) throw new Error('The models are not loaded yet');
      if (!detector) detector = await Detector.load(manifest.models.find((m) => m.role === 'detector')!, read, graphs);
      return detector.detect(photo, minScore !== undefined ? { minScore } : {});
    });
  },

  run(request = {}): Promise<SearchResponse> {
    return serial(async () => {
      if (!embedder) throw new Error('The models are not loaded yet');
      if (!photo) throw new Error('No photo yet');
      const started = performance.now();
      const key = JSON.stringify(request.box ?? null);
      const embeddingReused = lastEmbedded?.key === key;
      if (!lastEmbedded || !embeddingReused) {
        const image = request.box ? tf.tidy(() => cropRelative(photo!, request.box!)) : photo;
        try {
          lastEmbedded = { key, out: await embedder.run(image), ms: performance.now() - started };
        } finally {
          if (image !== photo) image.dispose();
        }
      }
      const out = lastEmbedded.out;
      const embedMs = lastEmbedded.ms;
      const searchStarted = performance.now();
      // A partitioned catalog answers quickly first (refine reads the rest); an explicit number of partitions is read at once.
      const found = catalog ? await searchCatalog(catalog, out, request, request.partitions === undefined ? 'first' : 'full') : { results: [] };
      return { ...out, embedding: out.embedding.slice(), embedMs, embeddingReused, searchMs: performance.now() - searchStarted, ...found };
    });
  },

  // Not serial: the shopper can choose another photo meanwhile (that search then waits only for the models).
  async refine(request = {}) {
    const embedded = lastEmbedded;
    const open = catalog;
    if (!embedded || embedded.key !== JSON.stringify(request.box ?? null)) throw new Error('Another search has run since: nothing to refine');
    if (!open) throw new Error('No catalog is open');
    const started = performance.now();
    return { ...(await searchCatalog(open, embedded.out, request, 'full')), searchMs: performance.now() - started };
  },
};

/** The open catalog's results for an embedded photo (and, for a partitioned catalog, what the search read). */
async function searchCatalog(
  open: OpenCatalog,
  out: Awaited<ReturnType<Embedder['run']>>,
  request: SearchRequest,
  stage: 'first' | 'full',
): Promise<Pick<SearchResponse, 'results' | 'coverage'>> {
  const options = {
    k: request.k ?? 24,
    ...(request.categories?.length ? { filter: { categories: request.categories } } : {}),
    ...(request.expansion ? { expansion: request.expansion } : {}),
    ...(out.probabilities && embedder
      ? { categoryPrior: categoryPrior(embedder.labels, out.probabilities, request.categoryPrior ?? DEFAULT_CATEGORY_PRIOR) }
      : {}),
  };
  const view = (hits: { index: number; score: number; prior: number }[]) =>
    hits.map((h) => ({ ...itemView(open, open.catalog.items[h.index]!), score: h.score, prior: h.prior }));
  if (open.index.path !== 'partitioned') return { results: view(await open.index.search(out.embedding, options)) };
  const { results, coverage } = await open.index.searchCovered(out.embedding, {
    ...options,
    stage,
    ...(request.partitions !== undefined ? { partitions: request.partitions } : {}),
  });
  return { results: view(results), coverage };
}

const catalogApi: CatalogApi = {
  // Not serial: it runs while the models load and warm up.
  prefetch: (url) => prefetchCatalog(url),
  open(url, onProgress) {
    return serial(async () => {
      if (!embedder || !manifest) throw new Error('The models are not loaded yet');
      const next = await openCatalog(
        url,
        manifest,
        embedder.members.map((m) => m.entry.id),
        embedder.dimension,
        (p) => onProgress({ ...p.overall, file: p.file }),
      );
      catalog?.index.dispose();
      catalog = next;
      return next.info;
    });
  },

  async items(ids) {
    if (!catalog) return [];
    const open = catalog;
    return ids.flatMap((id) => {
      const i = open.itemIndex.get(id);
      if (i === undefined) return [];
      try {
        return [{ ...itemView(open, open.catalog.items[i]!), embedding: open.index.vector(i) }];
      } catch {
        return []; // a partitioned catalog's item whose partition is no longer on the device
      }
    });
  },

  async seenIn(itemId, limit = 6) {
    if (!catalog) throw new Error('No catalog is open');
    return seenInScenes(catalog, itemId, limit);
  },

  async scene(sceneId) {
    if (!catalog) throw new Error('No catalog is open');
    return sceneWithItems(catalog, sceneId);
  },

  async vectors() {
    if (!catalog) return undefined;
    const open = catalog;
    // A partitioned catalog offers the items of the partitions on the device, never the whole catalog.
    const held = open.index.path === 'partitioned' ? open.index.held() : { items: open.catalog.items, vectors: open.index.quantized() };
    const vectors = held.vectors;
    const items = held.items.map((item) => ({
      id: item.id,
      category: item.category ?? 'other',
      ...(item.attributes?.color ? { color: item.attributes.color } : {}),
    }));
    const complements = open.catalog.meta.complements;
    const clusters = await open.readClusters();
    return Comlink.transfer({ catalogId: open.info.url, items, vectors, ...(complements ? { complements } : {}), ...(clusters ? { clusters } : {}) }, [
      vectors.codes.buffer,
      vectors.scales.buffer,
    ]);
  },
};

/** On-device catalogs: the shopper's own photos indexed into IndexedDB (see workers/local-catalog/). */
const localCatalog = createLocalCatalogApi({
  embed: async (bitmap) => {
    if (!embedder) throw new Error('The models are not loaded yet');
    const image = bitmapToTensor(bitmap);
    try {
      return await embedder.embed(image);
    } finally {
      image.dispose();
    }
  },
  app: () => {
    if (!embedder || !manifest) throw new Error('The models are not loaded yet');
    return {
      ensembleId: manifest.ensembleId,
      dimension: embedder.dimension,
      modelSha256: embeddingModelSha256(
        manifest,
        embedder.members.map((m) => m.entry.id),
      ),
    };
  },
  useCatalog: (open) => {
    catalog?.index.dispose();
    catalog = open;
  },
  serial,
});

// Timing and memory hooks for `npm run bench` (workers/bench-api.ts, docs/performance.md).
if (TEST_BUILD)
  createBenchApi({ getEmbedder: () => embedder, getPhoto: () => photo, getModels: () => (manifest && read ? { manifest, read } : undefined), serial });

const api: WorkerApi = {
  models,
  search,
  catalog: catalogApi,
  localCatalog,
  /** Fault injection for tests (docs/testing.md): a crash during the next request, a lost GPU device, a full disk. */
  ...(TEST_BUILD ? { faults: faultApi } : {}),
};

Comlink.expose(api);
