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

export interface LoadProgress {
  phase: 'backend' | 'download' | 'warmup' | 'ready';
  message: string;
  /** Bytes downloaded so far over all model files, and their total. */
  loaded: number;
  total: number;
  file?: string;
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

export interface EmbedResult {
  embedding: Float32Array;
  probabilities?: Float32Array;
  memberProbabilities?: Record<string, Float32Array>;
  /** Time inside the worker: pixels to vectors. */
  ms: number;
}

let backend: BackendChoice | undefined;
let embedder: Embedder | undefined;
let manifest: ModelManifest | undefined;
let queue: Promise<unknown> = Promise.resolve();

/** Runs worker calls one after another, whatever order the page sends them in. */
function serial<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
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
  const report = (file: string, loaded: number) => {
    loadedByFile.set(file, loaded);
    const sum = [...loadedByFile.values()].reduce((a, b) => a + b, 0);
    onProgress({ phase: 'download', message: `downloading ${file}`, loaded: Math.min(sum, total), total, file });
  };
  const cache = new Map<string, Promise<ArrayBuffer>>();
  const read: ArtifactReader = (file) => {
    let pending = cache.get(file.path);
    if (!pending) {
      pending = fetchVerified(options.modelsBase, file, (p) => report(p.file, p.loaded));
      cache.set(file.path, pending);
    }
    return pending;
  };
  const started = performance.now();
  let warmupStarted = 0;
  const loaded = await Embedder.load(next, read, {
    onStep: (step) => {
      if (step === 'warming up') {
        warmupStarted = performance.now();
        onProgress({ phase: 'warmup', message: `warming up on ${backend!.backend}`, loaded: total, total });
      }
    },
  });
  // Only now replace the models in use: a failed load leaves the previous ones working.
  embedder?.dispose();
  embedder = loaded;
  manifest = next;
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

  /** Embeds (and classifies) a photo. The bitmap is transferred in and closed here. */
  embed(bitmap: ImageBitmap): Promise<EmbedResult> {
    return serial(async () => {
      try {
        if (!embedder) throw new Error('The models are not loaded yet');
        const started = performance.now();
        const image = bitmapToTensor(bitmap);
        try {
          const out = await embedder.run(image);
          return Comlink.transfer({ ...out, ms: performance.now() - started }, [out.embedding.buffer as ArrayBuffer]);
        } finally {
          image.dispose();
        }
      } finally {
        bitmap.close();
      }
    });
  },

  /** tfjs's memory counters, for leak tests and the soak benchmark. */
  memory(): { numTensors: number; numBytes: number; numBytesInGPUAllocated?: number } {
    const m = tf.memory() as tf.MemoryInfo & { numBytesInGPUAllocated?: number };
    return { numTensors: m.numTensors, numBytes: m.numBytes, ...(m.numBytesInGPUAllocated !== undefined ? { numBytesInGPUAllocated: m.numBytesInGPUAllocated } : {}) };
  },

  ensembleId(): string | undefined {
    return manifest?.ensembleId;
  },
};

export type Api = typeof api;

Comlink.expose(api);
