/**
 * What the catalog indexer embeds images with: the app's models in this thread (nodeImageEmbedder), or
 * in a pool of worker threads (poolImageEmbedder), which decodes here and runs inference there in batches.
 * Both give the same embeddings up to float rounding.
 */
import { embeddingModelSha256 } from '../../src/shared/catalog-format.ts';
import { EmbedPool, type PoolOptions } from './embed-pool.ts';
import { decodePixels, loadNodeEmbedder, pixelsToTensor, type RgbPixels } from './node-models.ts';

/** Where an embedder's time went in this run. */
export interface EmbedTimings {
  images: number;
  /** Decoding the images (sharp), summed over images; in a pool it runs beside inference. */
  decodeSeconds: number;
  /** Inference calls, summed over workers. */
  inferenceSeconds: number;
  /** Inference calls made (fewer than images when batched). */
  batches: number;
  /** Worker threads running inference (0: in the calling thread). */
  workers: number;
}

/** What the indexer needs from the models; the default runs the app's ensemble. */
export interface ImageEmbedder {
  ensembleId: string;
  dimension: number;
  modelSha256: string[];
  /** Unit-length embedding of an encoded image; throws naming `name` when it cannot be read. */
  embed(bytes: Buffer, name: string): Promise<Float32Array>;
  /** How many embed calls the indexer keeps going at once (default 1). */
  concurrency?: number;
  timings?(): EmbedTimings;
  dispose?(): void | Promise<void>;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Decodes, naming the image when it cannot be read. */
async function decodeNamed(bytes: Buffer, name: string): Promise<RgbPixels> {
  try {
    return await decodePixels(bytes);
  } catch (error) {
    throw new Error(`${name}: ${messageOf(error).replace(/^image: /, '')}`);
  }
}

/** The app's models in this thread, one image at a time. */
export async function nodeImageEmbedder(): Promise<ImageEmbedder> {
  const embedder = await loadNodeEmbedder();
  const timings: EmbedTimings = { images: 0, decodeSeconds: 0, inferenceSeconds: 0, batches: 0, workers: 0 };
  return {
    ensembleId: embedder.manifest.ensembleId,
    dimension: embedder.dimension,
    modelSha256: embeddingModelSha256(
      embedder.manifest,
      embedder.members.map((m) => m.entry.id),
    ),
    async embed(bytes, name) {
      const t0 = performance.now();
      const image = pixelsToTensor(await decodeNamed(bytes, name));
      const t1 = performance.now();
      try {
        return await embedder.embed(image);
      } finally {
        image.dispose();
        timings.images++;
        timings.batches++;
        timings.decodeSeconds += (t1 - t0) / 1000;
        timings.inferenceSeconds += (performance.now() - t1) / 1000;
      }
    },
    timings: () => ({ ...timings }),
    dispose: () => embedder.dispose(),
  };
}

/** The app's models in `options.workers` worker threads (each loads them once), `options.batchSize` images per inference call. */
export async function poolImageEmbedder(options: PoolOptions): Promise<ImageEmbedder> {
  const { pool, info } = await EmbedPool.start(options);
  const workers = pool.workerCount;
  let decodeSeconds = 0;
  return {
    ...info,
    // Enough images in hand to keep every worker two batches ahead while the next ones decode.
    concurrency: workers * pool.batchSize * 3,
    async embed(bytes, name) {
      const t0 = performance.now();
      const pixels = await decodeNamed(bytes, name);
      decodeSeconds += (performance.now() - t0) / 1000;
      return pool.embed(pixels, name);
    },
    timings: () => {
      const s = pool.stats();
      return { images: s.images, decodeSeconds, inferenceSeconds: s.inferenceSeconds, batches: s.batches, workers };
    },
    dispose: () => pool.close(),
  };
}
