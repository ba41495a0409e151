/**
 * The worker's `models` group: choosing the compute backend, downloading and
 * warming up the ensemble, and tfjs's memory counters.
 */

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export interface BackendChoice {
  backend: BackendName;
  /** Backends tried before it, with the reason each was not used. */
  fallbacks: { backend: BackendName; reason: string }[];
  /** e.g. the WebGPU adapter's vendor/architecture. */
  detail: string;
}

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
  /**
   * Store the worker's downloads (models, catalogs) in the service worker's caches, so one complete visit is
   * enough to work offline even when no service worker controlled it. The standalone app sets it; the embedded
   * widget (no service worker of ours on a shop's page) does not.
   */
  keepForOffline?: boolean;
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
