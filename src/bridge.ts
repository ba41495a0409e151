/**
 * The page's one way to the inference worker: a typed comlink remote whose
 * calls run one at a time, can be aborted, and survive a worker crash (the
 * pending call fails with a message, the worker restarts, the next call works).
 */
import * as Comlink from 'comlink';
import type { Api } from '../workers/inference.worker.ts';
import { LookalikeError } from './shared/errors.ts';

export type { Api };

/** What the bridge needs of a worker: a comlink endpoint it can also terminate. */
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

type Call<T> = (remote: Comlink.Remote<Api>) => Promise<T>;

export class InferenceBridge {
  private endpoint!: WorkerLike;
  private remote!: Comlink.Remote<Api>;
  private tail: Promise<unknown> = Promise.resolve();
  private crash: { promise: Promise<never>; reject: (e: Error) => void } = this.newCrashSignal();
  /** Called after a crash once the fresh worker is up; the app re-initialises it. */
  onRestart: ((reason: string) => void) | undefined;

  constructor(private readonly createWorker: () => WorkerLike) {
    this.start();
  }

  private newCrashSignal(): { promise: Promise<never>; reject: (e: Error) => void } {
    let reject!: (e: Error) => void;
    const promise = new Promise<never>((_, r) => (reject = r));
    promise.catch(() => undefined);
    return { promise, reject };
  }

  private start(): void {
    this.endpoint = this.createWorker();
    this.remote = Comlink.wrap<Api>(this.endpoint);
    this.endpoint.addEventListener('error', ((event: ErrorEvent) => {
      // "Uncaught GpuDeviceLostError: the GPU device was lost …" → "the GPU device was lost …"
      this.restart(event.message?.replace(/^Uncaught (\w*Error: )?/, '') || 'the worker stopped unexpectedly');
    }) as EventListener);
  }

  /** Terminates the worker and starts a fresh one; the call in flight fails with WorkerCrashedError. */
  restart(reason: string): void {
    this.crash.reject(new WorkerCrashedError(`The image engine stopped (${reason}) and was restarted. Please try again.`));
    this.crash = this.newCrashSignal();
    this.remote[Comlink.releaseProxy]();
    this.endpoint.terminate();
    this.start();
    this.onRestart?.(reason);
  }

  /** Queues a call after every earlier one; rejects with AbortedError if `signal` fires first. */
  call<T>(fn: Call<T>, signal?: AbortSignal): Promise<T> {
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

  /**
   * Calls the worker at once, not after the calls queued before it: for the
   * fault-injection hooks, which must reach the worker while a request is running.
   */
  direct<T>(fn: Call<T>): Promise<T> {
    return Promise.race([fn(this.remote), this.crash.promise]);
  }

  init(options: Parameters<Api['init']>[0], onProgress: Parameters<Api['init']>[1], signal?: AbortSignal) {
    return this.call((r) => r.init(options, Comlink.proxy(onProgress)), signal);
  }

  memory() {
    return this.call((r) => r.memory());
  }

  terminate(): void {
    this.endpoint.terminate();
  }
}

/**
 * Starts the inference worker: the one Vite bundled beside this module, or the built worker
 * at `workerUrl` (the embeddable widget's `base` attribute; it must be same-origin).
 */
export function createInferenceBridge(workerUrl?: string): InferenceBridge {
  if (workerUrl) return new InferenceBridge(() => new Worker(workerUrl, { type: 'module', name: 'lookalike-inference' }));
  return new InferenceBridge(() => new Worker(new URL('../workers/inference.worker.ts', import.meta.url), { type: 'module', name: 'lookalike-inference' }));
}
