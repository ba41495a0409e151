/** The messages between the indexer's embedding pool (scripts/lib/embed-pool.ts) and its workers (embed-worker.ts). */

/** What a worker's models are: the catalog and the index state record it. */
export interface ModelInfo {
  ensembleId: string;
  dimension: number;
  modelSha256: string[];
}

/** Pool → worker: one decoded image (RGB, 3 bytes a pixel; the buffer is transferred). */
export interface EmbedJob {
  type: 'embed';
  id: number;
  pixels: Uint8Array;
  width: number;
  height: number;
}

export type WorkerMessage =
  | { type: 'ready'; info: ModelInfo }
  /** One batch done: an embedding per job, and the batch's inference time. */
  | { type: 'embedded'; results: { id: number; embedding: Float32Array }[]; inferenceMs: number }
  /** A job the models could not embed, even alone. */
  | { type: 'failed'; id: number; message: string };

/** The worker's start options (workerData). */
export interface WorkerOptions {
  /** Most images per inference call. */
  batchSize: number;
}
