/**
 * The inference worker: every tfjs call of the app runs here, behind comlink.
 * The page holds a typed remote of `api` (see src/bridge.ts).
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { allFiles, parseManifest, type ModelManifest } from '../src/shared/manifest.ts';
import { fetchVerified } from './artifact-fetch.ts';
import { selectBackend, type BackendChoice, type BackendName } from './backend.ts';
import { bitmapToTensor } from './image-input.ts';
import { Embedder } from './models/embedder.ts';
import type { ArtifactReader } from './models/backbone.ts';
import { Detector, type DetectedObject } from './models/detector.ts';
import { GraphCache } from './models/load-backbone.ts';
import { cropRelative } from './models/preprocess.ts';
import { itemView, openCatalog, sceneWithItems, seenInScenes, type CatalogInfo, type ItemView, type OpenCatalog, type SceneSummary, type SceneView } from './catalog-session.ts';
import type { QueryExpansion } from './search/search-index.ts';
import { categoryPrior, DEFAULT_CATEGORY_PRIOR } from './search/category-prior.ts';
import { createLocalCatalogApi } from './local-catalog/api.ts';
import { createBenchApi } from './bench-api.ts';
import { embeddingModelSha256 } from '../src/shared/catalog-format.ts';
import { faultApi, guardTask } from './fault-injection.ts';

export interface LoadProgress {
  phase: 'backend' | 'download' | 'warmup' | 'ready';
  message: string;
  /** Bytes downloaded so far over all model files, and their total. */
  loaded: number;
  total: number;
  /** The file being downloaded, and its own bytes so far and size. */
  file?: string;
  fileLoaded?: number;
  fileTotal?: number;
}

export interface InitOptions {
  /** URL of the folder holding manifest.json (the app's own origin). */
  modelsBase: string;
  backend?: BackendName;
}

export interface InitInfo {
  backend: BackendChoice;
  ensembleId: string;
  models: { id: string; name: string }[];
  labels: string[];
  dimension: number;
  bytes: number;
  loadMs: number;
  warmupMs: number;
}

export interface SearchRequest {
  /** Search only this part of the photo (relative [x1, y1, x2, y2]). */
  box?: [number, number, number, number];
  k?: number;
  /** Only items of these categories. */
  categories?: string[];
  expansion?: QueryExpansion;
  /** Weight of the soft vote's category prior (default DEFAULT_CATEGORY_PRIOR; 0 ranks by cosine alone). */
  categoryPrior?: number;
}

export interface SearchResponse {
  /** Soft-voted category probabilities (labels in InitInfo.labels) and each member's. */
  probabilities?: Float32Array;
  memberProbabilities?: Record<string, Float32Array>;
  /** True when the probabilities also read the photo's crop view (manifest cropView). */
  cropView?: boolean;
  /** True when each view was also read as its mirror image (manifest mirrorView). */
  mirrorView?: boolean;
  embedding: Float32Array;
  /** `score`: cosine similarity to the photo; `prior`: what the predicted category added to its rank. */
  results: (ItemView & { score: number; prior: number })[];
  embedMs: number;
  searchMs: number;
}

let backend: BackendChoice | undefined;
let embedder: Embedder | undefined;
let detector: Detector | undefined;
let manifest: ModelManifest | undefined;
let catalog: OpenCatalog | undefined;
/** The shopper's current photo, kept so it can be cropped and searched object by object. */
let photo: tf.Tensor3D | undefined;
/** The last photo/box embedded, so changing only the filter does not run the models again. */
let lastEmbedded: { key: string; out: Awaited<ReturnType<Embedder['run']>>; ms: number } | undefined;
const graphs = new GraphCache();
let read: ArtifactReader | undefined;
let queue: Promise<unknown> = Promise.resolve();

/** Runs worker calls one after another, whatever order the page sends them in. */
function serial<T>(task: () => Promise<T>): Promise<T> {
  const guarded = guardTask(task);
  const run = queue.then(guarded, guarded);
  queue = run.catch(() => undefined);
  return run;
}

async function loadModels(options: InitOptions, onProgress: (p: LoadProgress) => void): Promise<InitInfo> {
  if (!backend) {
    onProgress({ phase: 'backend', message: 'starting the compute backend', loaded: 0, total: 0 });
    backend = await selectBackend(options.backend);
  }
  const manifestResponse = await fetch(new URL('manifest.json', options.modelsBase)).catch(() => undefined);
  if (!manifestResponse?.ok) {
    throw new Error(navigator.onLine ? 'The model list (manifest.json) could not be downloaded' : 'You are offline and the models are not stored on this device yet. Connect once to download them.');
  }
  const next = parseManifest(await manifestResponse.json());
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
  const loaded = await Embedder.load(next, reader, {
    onStep: (step) => {
      if (step === 'warming up') {
        warmupStarted = performance.now();
        onProgress({ phase: 'warmup', message: `warming up on ${backend!.backend}`, loaded: total, total });
      }
    },
  }, graphs);
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

const api = {
  init(options: InitOptions, onProgress: (p: LoadProgress) => void): Promise<InitInfo> {
    return serial(() => loadModels(options, onProgress));
  },

  /** Opens a catalog (catalog.json URL); the previous one stays in use if this one fails. */
  openCatalog(url: string, onProgress: (p: { loaded: number; total: number; file: string }) => void): Promise<CatalogInfo> {
    return serial(async () => {
      if (!embedder || !manifest) throw new Error('The models are not loaded yet');
      const next = await openCatalog(url, manifest, embedder.members.map((m) => m.entry.id), embedder.dimension, (p) => onProgress({ ...p.overall, file: p.file }));
      catalog?.index.dispose();
      catalog = next;
      return next.info;
    });
  },

  /** Keeps the shopper's photo in the worker (transferred, then closed) for detection and searches. */
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

  /** Objects worth searching in the current photo. */
  detect(minScore?: number): Promise<DetectedObject[]> {
    return serial(async () => {
      if (!photo) throw new Error('No photo yet');
      if (!manifest || !read) throw new Error('The models are not loaded yet');
      if (!detector) detector = await Detector.load(manifest.models.find((m) => m.role === 'detector')!, read, graphs);
      return detector.detect(photo, minScore !== undefined ? { minScore } : {});
    });
  },

  /** Classifies the current photo (or a box of it) and finds the most similar catalog items. */
  search(request: SearchRequest = {}): Promise<SearchResponse> {
    return serial(async () => {
      if (!embedder) throw new Error('The models are not loaded yet');
      if (!photo) throw new Error('No photo yet');
      const started = performance.now();
      const key = JSON.stringify(request.box ?? null);
      if (lastEmbedded?.key !== key) {
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
      let results: SearchResponse['results'] = [];
      if (catalog) {
        const open = catalog;
        const hits = await open.index.search(out.embedding, {
          k: request.k ?? 24,
          ...(request.categories?.length ? { filter: { categories: request.categories } } : {}),
          ...(request.expansion ? { expansion: request.expansion } : {}),
          ...(out.probabilities ? { categoryPrior: categoryPrior(embedder.labels, out.probabilities, request.categoryPrior ?? DEFAULT_CATEGORY_PRIOR) } : {}),
        });
        results = hits.map((h) => ({ ...itemView(open, open.catalog.items[h.index]!), score: h.score, prior: h.prior }));
      }
      return { ...out, embedding: out.embedding.slice(), results, embedMs, searchMs: performance.now() - searchStarted };
    });
  },

  /** Catalog items by id, with their stored embeddings (for the taste profile and For-you). */
  items(ids: string[]): (ItemView & { embedding: Float32Array })[] {
    if (!catalog) return [];
    const open = catalog;
    return ids.flatMap((id) => {
      const i = open.itemIndex.get(id);
      return i === undefined ? [] : [{ ...itemView(open, open.catalog.items[i]!), embedding: open.index.vector(i) }];
    });
  },

  /** "Seen in": up to `limit` scenes showing the item, then scenes showing its closest look-alikes. */
  seenIn(itemId: string, limit = 6): SceneSummary[] {
    if (!catalog) throw new Error('No catalog is open');
    return seenInScenes(catalog, itemId, limit);
  },

  /** One scene of the open catalog with its items. */
  scene(sceneId: string): SceneView {
    if (!catalog) throw new Error('No catalog is open');
    return sceneWithItems(catalog, sceneId);
  },

  /** Every item's id, category, colour and unit embedding (row-major), for the taste profile on the page. */
  async catalogVectors(): Promise<{ catalogId: string; items: { id: string; category: string; color?: string }[]; dimension: number; vectors: Float32Array; complements?: Record<string, string[]>; clusters?: unknown } | undefined> {
    if (!catalog) return undefined;
    const open = catalog;
    const d = open.index.dimension;
    const vectors = new Float32Array(open.index.size * d);
    const row = new Float32Array(d);
    for (let i = 0; i < open.index.size; i++) vectors.set(open.index.vector(i, row), i * d);
    const items = open.catalog.items.map((item) => ({ id: item.id, category: item.category ?? 'other', ...(item.attributes?.color ? { color: item.attributes.color } : {}) }));
    const complements = open.catalog.meta.complements;
    const clusters = await open.readClusters();
    return Comlink.transfer({ catalogId: open.info.url, items, dimension: d, vectors, ...(complements ? { complements } : {}), ...(clusters ? { clusters } : {}) }, [vectors.buffer]);
  },

  /** On-device catalogs: the shopper's own photos indexed into IndexedDB (see workers/local-catalog/). */
  ...createLocalCatalogApi({
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
      return { ensembleId: manifest.ensembleId, dimension: embedder.dimension, modelSha256: embeddingModelSha256(manifest, embedder.members.map((m) => m.entry.id)) };
    },
    useCatalog: (open) => {
      catalog?.index.dispose();
      catalog = open;
    },
    serial,
  }),

  /** Timing and memory hooks for `npm run bench` (docs/performance.md). */
  ...createBenchApi({ getEmbedder: () => embedder, serial }),

  /** Fault injection for tests (docs/testing.md): a crash during the next request, a lost GPU device. */
  ...faultApi,

  /** tfjs's memory counters, for leak tests and the soak benchmark. */
  memory(): { numTensors: number; numBytes: number; numBytesInGPUAllocated?: number } {
    // WebGPU reports numBytesAllocatedInGPU, WebGL numBytesInGPUAllocated: one name for both.
    const m = tf.memory() as tf.MemoryInfo & { numBytesInGPUAllocated?: number; numBytesAllocatedInGPU?: number };
    const gpu = m.numBytesInGPUAllocated ?? m.numBytesAllocatedInGPU;
    return { numTensors: m.numTensors, numBytes: m.numBytes, ...(gpu !== undefined ? { numBytesInGPUAllocated: gpu } : {}) };
  },


};

export type Api = typeof api;

Comlink.expose(api);
