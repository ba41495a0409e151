/**
 * The worker's `models` group: choosing the compute backend, downloading and
 * warming up the ensemble, and tfjs's memory counters.
 */

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** The device's GPU as a backend sees it: the WebGPU adapter or the WebGL renderer. */
export interface GpuIdentity {
  backend: 'webgpu' | 'webgl';
  /** e.g. "google swiftshader" (WebGPU adapter.info) or "ANGLE (…, SwiftShader driver)" (WebGL renderer). */
  description: string;
  /** A GPU emulated on the CPU (SwiftShader, llvmpipe, a fallback adapter): measured like any other, but named so. */
  software: boolean;
}

/** One backend timed on the real models while choosing (workers/backend-choice.ts). */
export interface BackendMeasurement {
  backend: BackendName;
  /** Median ms of a warm `embedder.run` (every member, heads, projection, read back); absent when abandoned first. */
  warmMs?: number;
  /** ms from starting the backend until the models were warm on it (or until it was abandoned). */
  startMs: number;
  /** Why timing stopped early, e.g. "still warming up after 4.0 s". */
  abandoned?: string;
}

export interface BackendChoice {
  backend: BackendName;
  /** Backends tried before it, with the reason each was not used. */
  fallbacks: { backend: BackendName; reason: string }[];
  /** e.g. the WebGPU adapter's vendor/architecture. */
  detail: string;
  /**
   * How it was chosen: `forced` (`?backend=` or the widget's `backend` attribute), `measured` (timed just now, the
   * fastest), `remembered` (measured on an earlier visit with the same browser, GPU and models), `only` (the only one that started).
   */
  how: 'forced' | 'measured' | 'remembered' | 'only';
  /** The timings behind a measured or remembered choice. */
  measurements?: BackendMeasurement[];
  /** The GPU the measured GPU backend ran on. */
  gpu?: GpuIdentity;
  /** ms the measuring took (on the visit that measured). */
  choiceMs?: number;
  /** When it was measured (epoch ms). */
  measuredAt?: number;
}

export interface LoadProgress {
  /** `measure`: timing the models on each backend to pick the fastest (first run, or a new browser, GPU or ensemble). */
  phase: 'backend' | 'download' | 'measure' | 'warmup' | 'ready';
  message: string;
  /** Bytes downloaded so far over all model files, and their total. */
  loaded: number;
  total: number;
  /** The file being downloaded, and its own bytes so far and size. */
  file?: string;
  fileLoaded?: number;
  fileTotal?: number;
}

export type WasmThreads = 'off' | 'auto' | 'on';

export interface InitOptions {
  /** URL of the folder holding manifest.json (the app's own origin). */
  modelsBase: string;
  backend?: BackendName;
  /**
   * Store the worker's downloads (models, catalogs) in the service worker's caches, so one complete visit is
   * enough to work offline even when no service worker controlled it. The standalone app sets it; the embedded
   * widget (no service worker of ours on a shop's page) does not.
   */
  keepForOffline?: boolean;
  /**
   * tfjs's threaded SIMD wasm build, which needs a cross-origin isolated page (COOP + COEP) and starts its threads
   * from `blob:` URLs (pages whose CSP refuses `blob:` workers must leave it off): `off` (the default) never;
   * `auto` where it runs at least two threads (tfjs uses half the cores: 4 cores or more), since on fewer it was
   * measured slower than the single-threaded build; `on` wherever the page is isolated.
   */
  wasmThreads?: WasmThreads;
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

/** tfjs's memory counters (the GPU figure under one name whatever the backend calls it). */
export interface WorkerMemory {
  numTensors: number;
  numBytes: number;
  numBytesInGPUAllocated?: number;
}

export interface ModelsApi {
  /** Loads (or reloads) the models; a failed load leaves the previous ones working. */
  init(options: InitOptions, onProgress: (p: LoadProgress) => void): Promise<InitInfo>;
  /** tfjs's memory counters, for leak tests and the soak benchmark. */
  memory(): Promise<WorkerMemory>;
}
