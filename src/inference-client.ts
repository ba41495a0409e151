/**
 * The page's one way to the inference worker: a typed client whose groups
 * mirror the worker's API (src/shared/worker-api/): `client.models.init(…)`,
 * `client.search.run(…)`, `client.catalog.open(…)`, `client.localCatalog.…`.
 * Its calls run one at a time, can be aborted, and survive a worker crash (the
 * pending call fails with a message, the worker restarts, the next call works).
 * This is the only page module that speaks comlink: it passes callbacks as
 * proxies and transfers the photos' ImageBitmaps.
 */
import * as Comlink from 'comlink';
import { LookalikeError } from './shared/errors.ts';
import type {
  CatalogApi,
  FaultInjectionApi,
  InitOptions,
  LoadProgress,
  LocalCatalogApi,
  ModelsApi,
  SearchApi,
  SearchRequest,
  WorkerApi,
} from './shared/worker-api/index.ts';

/** What the client needs of a worker: a comlink endpoint it can also terminate. */
export interface WorkerLike extends Comlink.Endpoint {
  terminate(): void;
}

export class AbortedError extends LookalikeError {
  override name = 'AbortError';
  constructor() {
    super('The request was cancelled');
  }
}

export class WorkerCrashedError extends LookalikeError {
  override name = 'WorkerCrashedError';
}

/**
 * The worker's API as comlink reaches it: comlink calls a group's method by its path
 * (remote.models.init(…)). Every method of the contract already answers a promise,
 * so each group's remote has the group's own type.
 */
type RemoteApi = { [G in keyof WorkerApi]-?: NonNullable<WorkerApi[G]> };

type Call<T> = (remote: RemoteApi) => Promise<T>;

export class InferenceClient {
  private endpoint!: WorkerLike;
  private remote!: RemoteApi;
  private releaseRemote!: () => void;
  private tail: Promise<unknown> = Promise.resolve();
  private crash: { promise: Promise<never>; reject: (e: Error) => void } = this.newCrashSignal();
  /** Called after a crash once the fresh worker is up; the app re-initialises it. */
  onRestart: ((reason: string) => void) | undefined;

  constructor(private readonly createWorker: () => WorkerLike) {
    this.start();
  }

  readonly models = {
    init: (options: InitOptions, onProgress: (p: LoadProgress) => void, signal?: AbortSignal) =>
      this.call((r) => r.models.init(options, Comlink.proxy(onProgress)), signal),
    memory: () => this.call((r) => r.models.memory()),
  } satisfies ModelsApi;

  readonly search = {
    /** The photo's bitmap is transferred (unusable here afterwards) and closed by the worker. */
    setPhoto: (bitmap: ImageBitmap) => this.call((r) => r.search.setPhoto(Comlink.transfer(bitmap, [bitmap]))),
    detect: (minScore?: number) => this.call((r) => r.search.detect(minScore)),
    run: (request: SearchRequest = {}, signal?: AbortSignal) => this.call((r) => r.search.run(request), signal),
    // At once, not after the calls queued here: a refinement must not hold up the shopper's next photo.
    refine: (request: SearchRequest = {}) => this.direct((r) => r.search.refine(request)),
  } satisfies SearchApi;

  readonly catalog: CatalogApi = {
    open: (url, onProgress) => this.call((r) => r.catalog.open(url, Comlink.proxy(onProgress))),
    // At once, not after the model loading queued before it: the point is to download beside it.
    prefetch: (url) => this.direct((r) => r.catalog.prefetch(url)),
    items: (ids) => this.call((r) => r.catalog.items(ids)),
    seenIn: (itemId, limit) => this.call((r) => r.catalog.seenIn(itemId, limit)),
    scene: (sceneId) => this.call((r) => r.catalog.scene(sceneId)),
    vectors: () => this.call((r) => r.catalog.vectors()),
  };

  readonly localCatalog: LocalCatalogApi = {
    startLocalIndex: (name) => this.call((r) => r.localCatalog.startLocalIndex(name)),
    localPhotoHashes: (catalogId) => this.call((r) => r.localCatalog.localPhotoHashes(catalogId)),
    /** The photo's bitmap is transferred (unusable here afterwards) and closed by the worker. */
    addLocalPhoto: (catalogId, bitmap, photo) => this.call((r) => r.localCatalog.addLocalPhoto(catalogId, Comlink.transfer(bitmap, [bitmap]), photo)),
    finishLocalIndex: (catalogId) => this.call((r) => r.localCatalog.finishLocalIndex(catalogId)),
    listLocalCatalogs: () => this.call((r) => r.localCatalog.listLocalCatalogs()),
    deleteLocalCatalog: (id) => this.call((r) => r.localCatalog.deleteLocalCatalog(id)),
    openLocalCatalog: (id) => this.call((r) => r.localCatalog.openLocalCatalog(id)),
  };

  /**
   * Fault injection, in test builds only (`vite build --mode test`; a production
   * worker has none): called at once, not after the queued calls, so they reach
   * the worker while a request runs.
   */
  readonly faults: FaultInjectionApi | undefined =
    import.meta.env.MODE === 'test'
      ? {
          fillStorage: () => this.direct((r) => r.faults.fillStorage()),
          armCrash: () => this.direct((r) => r.faults.armCrash()),
          loseDevice: () => this.direct((r) => r.faults.loseDevice()),
        }
      : undefined;

  private newCrashSignal(): { promise: Promise<never>; reject: (e: Error) => void } {
    let reject!: (e: Error) => void;
    const promise = new Promise<never>((_, r) => (reject = r));
    promise.catch(() => undefined);
    return { promise, reject };
  }

  private start(): void {
    this.endpoint = this.createWorker();
    const remote = Comlink.wrap<WorkerApi>(this.endpoint);
    this.releaseRemote = () => remote[Comlink.releaseProxy]();
    this.remote = remote as unknown as RemoteApi;
    this.endpoint.addEventListener('error', ((event: ErrorEvent) => {
      // "Uncaught GpuDeviceLostError: the GPU device was lost …" → "the GPU device was lost …"
      this.restart(event.message?.replace(/^Uncaught (\w*Error: )?/, '') || 'the worker stopped unexpectedly');
    }) as EventListener);
  }

  /** Terminates the worker and starts a fresh one; the call in flight fails with WorkerCrashedError. */
  restart(reason: string): void {
    this.crash.reject(new WorkerCrashedError(`The image engine stopped (${reason}) and was restarted. Please try again.`));
    this.crash = this.newCrashSignal();
    this.releaseRemote();
    this.endpoint.terminate();
    this.start();
    this.onRestart?.(reason);
  }

  /** Queues a call after every earlier one; rejects with AbortedError if `signal` fires first. */
  private call<T>(fn: Call<T>, signal?: AbortSignal): Promise<T> {
    const run = async (): Promise<T> => {
      if (signal?.aborted) throw new AbortedError();
      const racers: Promise<T>[] = [fn(this.remote), this.crash.promise];
      if (signal) racers.push(new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new AbortedError()), { once: true })));
      return Promise.race(racers);
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Calls the worker at once, not after the calls queued before it. */
  private direct<T>(fn: Call<T>): Promise<T> {
    return Promise.race([fn(this.remote), this.crash.promise]);
  }

  terminate(): void {
    this.endpoint.terminate();
  }
}

/**
 * Starts the inference worker: the one Vite bundled beside this module, or the built worker
 * at `workerUrl` (the embeddable widget's `base` attribute; it must be same-origin).
 */
export function createInferenceClient(workerUrl?: string): InferenceClient {
  if (workerUrl) return new InferenceClient(() => new Worker(workerUrl, { type: 'module', name: 'lookalike-inference' }));
  return new InferenceClient(() => new Worker(new URL('../workers/inference.worker.ts', import.meta.url), { type: 'module', name: 'lookalike-inference' }));
}
