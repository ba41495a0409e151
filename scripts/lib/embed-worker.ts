/**
 * One embedding worker of the indexer's pool (scripts/lib/embed-pool.ts): loads tfjs-wasm and the app's
 * models once, then embeds the decoded images it is sent, as many as have arrived (up to the batch size)
 * in each inference call. Started through embed-worker.mjs, which lets Node load TypeScript.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { embeddingModelSha256 } from '../../src/shared/catalog-format.ts';
import type { EmbedJob, WorkerMessage, WorkerOptions } from './embed-protocol.ts';
import { loadNodeEmbedder, pixelsToTensor } from './node-models.ts';

const port = parentPort;
if (!port) throw new Error('embed-worker.ts runs as a worker thread of the embedding pool');
const { batchSize } = workerData as WorkerOptions;
const send = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const embedder = await loadNodeEmbedder();
// The first call at a batch shape sets up every layer for it: pay that before saying ready.
const size = embedder.members[0]?.entry.inputSize ?? 224;
const blank = tf.zeros([size, size, 3], 'int32') as tf.Tensor3D;
await embedder.embedBatch(Array.from({ length: batchSize }, () => blank));
blank.dispose();
const queue: EmbedJob[] = [];
/** True from the first job that finds the worker idle until the queue is empty again. */
let draining = false;

async function embedJobs(jobs: EmbedJob[]): Promise<Float32Array[]> {
  const images = jobs.map((job) => pixelsToTensor({ data: job.pixels, width: job.width, height: job.height }));
  try {
    return await embedder.embedBatch(images);
  } finally {
    for (const image of images) image.dispose();
  }
}

/** Embeds what has arrived, a batch at a time; messages that arrive meanwhile wait in the port until the batch is done. */
async function drain(): Promise<void> {
  while (queue.length > 0) {
    const jobs = queue.splice(0, batchSize);
    const started = performance.now();
    try {
      const embeddings = await embedJobs(jobs);
      send(
        { type: 'embedded', results: jobs.map((job, i) => ({ id: job.id, embedding: embeddings[i]! })), inferenceMs: performance.now() - started },
        embeddings.map((e) => e.buffer as ArrayBuffer),
      );
    } catch {
      // Which image was it? Each alone.
      for (const job of jobs) {
        const t = performance.now();
        try {
          const [embedding] = await embedJobs([job]);
          send({ type: 'embedded', results: [{ id: job.id, embedding: embedding! }], inferenceMs: performance.now() - t }, [embedding!.buffer as ArrayBuffer]);
        } catch (error) {
          send({ type: 'failed', id: job.id, message: error instanceof Error ? error.message : String(error) });
        }
      }
    }
    // Let the jobs that arrived during this batch in before taking the next one.
    await new Promise((resolve) => setImmediate(resolve));
  }
  draining = false;
}

port.on('message', (job: EmbedJob) => {
  queue.push(job);
  if (!draining) {
    draining = true;
    // After the messages already waiting (a whole batch, when the pool sends several at once).
    setImmediate(() => void drain());
  }
});

send({
  type: 'ready',
  info: {
    ensembleId: embedder.manifest.ensembleId,
    dimension: embedder.dimension,
    modelSha256: embeddingModelSha256(
      embedder.manifest,
      embedder.members.map((m) => m.entry.id),
    ),
  },
});
