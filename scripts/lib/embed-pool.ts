/**
 * The indexer's embedding pool: worker threads (scripts/lib/embed-worker.ts), each loading tfjs-wasm and
 * the app's models once, fed decoded images. Each worker is kept up to two batches ahead, so it goes from
 * one inference call to the next while the main thread decodes the following images (sharp, on libuv's
 * threads). A worker that stops (an uncaught error, an exit) fails the whole pool with an EmbedPoolError:
 * every image waiting is rejected with it and the other workers are stopped, so nothing hangs.
 */
import { Worker } from 'node:worker_threads';
import { LookalikeError } from '../../src/shared/errors.ts';
import type { EmbedJob, ModelInfo, WorkerMessage, WorkerOptions } from './embed-protocol.ts';
import type { RgbPixels } from './node-models.ts';

export class EmbedPoolError extends LookalikeError {
  override name = 'EmbedPoolError';
}

/** The worker thread's entry point (a .mjs file that lets Node load the TypeScript worker). */
export const EMBED_WORKER = new URL('./embed-worker.mjs', import.meta.url);
export const DEFAULT_BATCH_SIZE = 4;

export interface PoolOptions {
  workers: number;
  /** Most images per inference call (default DEFAULT_BATCH_SIZE). */
  batchSize?: number;
  /** The worker's entry point (tests pass a stand-in). */
  workerScript?: URL;
}

export interface PoolStats {
  images: number;
  batches: number;
  /** Time the workers spent in inference calls, all workers summed. */
  inferenceSeconds: number;
}

interface Job {
  id: number;
  name: string;
  pixels: RgbPixels;
  resolve(embedding: Float32Array): void;
  reject(error: Error): void;
}

interface Slot {
  /** 1-based, for messages. */
  number: number;
  worker: Worker;
  inFlight: Map<number, Job>;
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A buffer the worker can own: the pixels' own ArrayBuffer, or a copy when they are a view into a larger one. */
function transferable(pixels: Uint8Array): Uint8Array {
  return pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength && pixels.buffer instanceof ArrayBuffer ? pixels : pixels.slice();
}

export class EmbedPool {
  private readonly queue: Job[] = [];
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private broken: EmbedPoolError | undefined;
  private closed = false;
  private readonly counts: PoolStats = { images: 0, batches: 0, inferenceSeconds: 0 };

  private constructor(
    readonly batchSize: number,
    readonly workerCount: number,
  ) {}

  /** Starts the workers and waits until every one has loaded the models. */
  static async start(options: PoolOptions): Promise<{ pool: EmbedPool; info: ModelInfo }> {
    const { workers } = options;
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(workers) || workers < 1) throw new EmbedPoolError(`the embedding pool needs at least one worker, got ${workers}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new EmbedPoolError(`the batch size must be a positive whole number, got ${batchSize}`);
    const pool = new EmbedPool(batchSize, workers);
    const ready = Array.from({ length: workers }, (_, i) => pool.startWorker(i + 1, options.workerScript ?? EMBED_WORKER));
    try {
      const infos = await Promise.all(ready);
      const info = infos[0]!;
      if (infos.some((other) => JSON.stringify(other) !== JSON.stringify(info))) throw new EmbedPoolError('the embedding workers loaded different models');
      return { pool, info };
    } catch (error) {
      await pool.close();
      throw error;
    }
  }

  private startWorker(number: number, script: URL): Promise<ModelInfo> {
    const worker = new Worker(script, { workerData: { batchSize: this.batchSize } satisfies WorkerOptions });
    const slot: Slot = { number, worker, inFlight: new Map() };
    this.slots.push(slot);
    return new Promise<ModelInfo>((resolve, reject) => {
      let started = false;
      const stopped = (reason: string) => {
        if (!started) reject(new EmbedPoolError(`embedding worker ${number} of ${this.workerCount} did not start: ${reason}`));
        else this.fail(slot, reason);
      };
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          started = true;
          resolve(message.info);
        } else this.receive(slot, message);
      });
      worker.on('error', (error) => stopped(reasonOf(error)));
      worker.on('exit', (code) => {
        if (!this.closed) stopped(`it exited with code ${code}`);
      });
    });
  }

  /** Embeds one decoded image; `name` is used in error messages. */
  embed(pixels: RgbPixels, name: string): Promise<Float32Array> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.closed) return Promise.reject(new EmbedPoolError('the embedding pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, name, pixels, resolve, reject });
      this.dispatch();
    });
  }

  stats(): PoolStats {
    return { ...this.counts };
  }

  /** Stops the workers; images still waiting are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rejectAll(this.broken ?? new EmbedPoolError('the embedding pool was closed before the image was embedded'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** Sends waiting images to the least busy workers, each kept at most two batches ahead. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot: Slot | undefined;
      for (const s of this.slots) if (s.inFlight.size < 2 * this.batchSize && (!slot || s.inFlight.size < slot.inFlight.size)) slot = s;
      if (!slot) return;
      const job = this.queue.shift()!;
      const pixels = transferable(job.pixels.data);
      slot.inFlight.set(job.id, job);
      const message: EmbedJob = { type: 'embed', id: job.id, pixels, width: job.pixels.width, height: job.pixels.height };
      slot.worker.postMessage(message, [pixels.buffer as ArrayBuffer]);
    }
  }

  private receive(slot: Slot, message: Exclude<WorkerMessage, { type: 'ready' }>): void {
    if (message.type === 'embedded') {
      this.counts.batches++;
      this.counts.images += message.results.length;
      this.counts.inferenceSeconds += message.inferenceMs / 1000;
      for (const { id, embedding } of message.results) {
        const job = slot.inFlight.get(id);
        slot.inFlight.delete(id);
        job?.resolve(embedding);
      }
    } else {
      const job = slot.inFlight.get(message.id);
      slot.inFlight.delete(message.id);
      job?.reject(new Error(`${job.name}: the models could not embed it (${message.message})`));
    }
    this.dispatch();
  }

  /** A worker stopped: the pool is unusable; every image waiting is rejected, the other workers are stopped. */
  private fail(slot: Slot, reason: string): void {
    if (this.broken || this.closed) return;
    const inHand = slot.inFlight.size;
    this.broken = new EmbedPoolError(
      `embedding worker ${slot.number} of ${this.workerCount} stopped (${reason})${inHand ? ` with ${inHand} image(s) in hand` : ''}`,
    );
    void this.close();
  }

  private rejectAll(error: Error): void {
    for (const job of this.queue.splice(0)) job.reject(error);
    for (const s of this.slots) {
      for (const job of s.inFlight.values()) job.reject(error);
      s.inFlight.clear();
    }
  }
}
