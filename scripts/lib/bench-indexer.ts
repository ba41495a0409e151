/**
 * `npm run bench -- --only indexer`: the catalog indexer's rate on real product photos, in one run: the
 * single-threaded path (the models in the main thread, one image per call) against the worker pool (one worker
 * per core, batches), the same photos into fresh output folders; plus where the time goes: decoding alone,
 * and inference per image at several batch sizes. Photos are read in place from ../shared/datasets.
 */
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { IndexerRun, IndexerSection } from './bench-report.ts';
import { contentHash, indexCatalog, type IndexReport } from './catalog-indexer.ts';
import { DEFAULT_BATCH_SIZE } from './embed-pool.ts';
import { IndexState } from './index-state.ts';
import { decodePixels, loadNodeEmbedder, pixelsToTensor } from './node-models.ts';

export interface IndexerBenchOptions {
  datasets: string;
  /** Scratch folder (CSV and output catalogs), under .cache. */
  work: string;
  photos: number;
  workers?: number;
  log: (line: string) => void;
}

/** `count` rows spread evenly over hm-catalog/items.csv (all categories), as a CSV of absolute paths. */
function photoCsv(datasets: string, count: number, out: string): string[] {
  const csv = resolve(datasets, 'hm-catalog/items.csv');
  const [header, ...rows] = readFileSync(csv, 'utf8').trim().split(/\r?\n/);
  const step = Math.max(1, rows.length / count);
  const picked = Array.from({ length: Math.min(count, rows.length) }, (_, i) => rows[Math.floor(i * step)]!);
  writeFileSync(out, `${[header, ...picked.map((r) => resolve(csv, '..', r))].join('\n')}\n`);
  return picked.map((r) => resolve(csv, '..', r.split(',')[0]!));
}

const load1 = () => Number(loadavg()[0]!.toFixed(2));

async function run(
  label: string,
  csv: string,
  out: string,
  workers: number,
  batchSize: number,
  log: IndexerBenchOptions['log'],
): Promise<{ run: IndexerRun; report: IndexReport }> {
  rmSync(out, { recursive: true, force: true });
  const loadBefore = load1();
  // CPU time of the whole process (main thread, workers, libuv's threads) between the first image done and the last.
  let first: { cpu: NodeJS.CpuUsage; embedded: number } | undefined;
  let last: { cpu: NodeJS.CpuUsage; embedded: number } | undefined;
  const report = await indexCatalog({ inputs: [csv], out, workers, batchSize }, (p) => {
    if (p.phase !== 'embed') return;
    const mark = { cpu: process.cpuUsage(), embedded: p.embedded };
    first ??= mark;
    last = mark;
  });
  const t = report.timings!;
  const cpuMs = first && last ? (last.cpu.user + last.cpu.system - first.cpu.user - first.cpu.system) / 1000 : Number.NaN;
  const cpuMsPerImage = first && last && last.embedded > first.embedded ? cpuMs / (last.embedded - first.embedded) : Number.NaN;
  const result: IndexerRun = {
    label,
    workers,
    batchSize: workers === 0 ? 1 : batchSize,
    images: report.embedded,
    seconds: Number(report.embedSeconds.toFixed(2)),
    imagesPerSecond: Number((report.embedded / report.embedSeconds).toFixed(1)),
    decodeMsPerImage: Number(((1000 * t.decodeSeconds) / t.images).toFixed(1)),
    inferenceMsPerImage: Number(((1000 * t.inferenceSeconds) / t.images).toFixed(1)),
    inferenceCalls: t.batches,
    cpuMsPerImage: Number(cpuMsPerImage.toFixed(1)),
    loadAverage: [loadBefore, load1()],
  };
  log(
    `indexer: ${label}: ${result.images} images in ${result.seconds} s = ${result.imagesPerSecond} images/s (inference ${result.inferenceMsPerImage} ms/image per worker, ${result.inferenceCalls} calls; CPU ${result.cpuMsPerImage} ms/image, all threads; load ${result.loadAverage.join(' → ')})`,
  );
  return { run: result, report };
}

/** Largest difference between two runs' float32 embeddings of the same photos. */
function maxDifference(a: IndexReport, b: IndexReport, files: string[]): number {
  const sa = IndexState.open(a.outDir, a.catalog).state;
  const sb = IndexState.open(b.outDir, b.catalog).state;
  let max = 0;
  for (const file of files) {
    const h = contentHash(readFileSync(file));
    const va = sa.get(h);
    const vb = sb.get(h);
    if (!va || !vb) continue;
    for (let k = 0; k < va.length; k++) max = Math.max(max, Math.abs(va[k]! - vb[k]!));
  }
  return max;
}

/** Decoding alone (sharp, one image after another, in this thread): ms per image. */
async function decodeAlone(files: string[]): Promise<number> {
  const started = performance.now();
  for (const file of files) await decodePixels(readFileSync(file));
  return (performance.now() - started) / files.length;
}

/** Inference alone in this thread (decoded photos, Embedder.embedBatch): ms per image at each batch size. */
async function batchSweep(files: string[], sizes: number[]): Promise<{ batchSize: number; msPerImage: number }[]> {
  const embedder = await loadNodeEmbedder();
  const images = await Promise.all(files.slice(0, 16).map(async (f) => pixelsToTensor(await decodePixels(readFileSync(f)))));
  try {
    const out: { batchSize: number; msPerImage: number }[] = [];
    for (const size of sizes) {
      const batches = Array.from({ length: Math.ceil(images.length / size) }, (_, i) => images.slice(i * size, (i + 1) * size));
      await embedder.embedBatch(batches[0]!); // this shape's first call
      const started = performance.now();
      for (let round = 0; round < 2; round++) for (const batch of batches) await embedder.embedBatch(batch);
      out.push({ batchSize: size, msPerImage: Number(((performance.now() - started) / (2 * images.length)).toFixed(1)) });
    }
    return out;
  } finally {
    tf.dispose(images);
    embedder.dispose();
  }
}

export async function measureIndexer(options: IndexerBenchOptions): Promise<IndexerSection> {
  const { log } = options;
  const workers = options.workers ?? availableParallelism();
  mkdirSync(options.work, { recursive: true });
  const csv = join(options.work, 'photos.csv');
  const files = photoCsv(options.datasets, options.photos, csv);
  log(
    `indexer: ${files.length} photos from hm-catalog, ${workers} workers, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const single = await run('single thread (main thread, one image per call)', csv, join(options.work, 'single'), 0, 1, log);
  const pool = await run(`pool of ${workers} workers`, csv, join(options.work, 'pool'), workers, DEFAULT_BATCH_SIZE, log);
  const one = workers > 1 ? await run('pool of 1 worker', csv, join(options.work, 'pool-1'), 1, DEFAULT_BATCH_SIZE, log) : undefined;
  const decodeMs = await decodeAlone(files);
  log(`indexer: decoding alone ${decodeMs.toFixed(1)} ms/image`);
  const sweep = await batchSweep(files, [1, 2, 4, 8]);
  log(`indexer: inference alone, ms/image by batch size: ${sweep.map((s) => `${s.batchSize}: ${s.msPerImage}`).join(', ')}`);
  return {
    date: new Date().toISOString(),
    photos: { source: 'hm-catalog (../shared/datasets; 320 px longest side)', count: files.length },
    cores: availableParallelism(),
    workers,
    runs: [single.run, pool.run, ...(one ? [one.run] : [])],
    speedup: Number((pool.run.imagesPerSecond / single.run.imagesPerSecond).toFixed(2)),
    maxVectorDifference: maxDifference(single.report, pool.report, files),
    decodeAloneMsPerImage: Number(decodeMs.toFixed(1)),
    batchSweep: sweep,
    target: 30,
  };
}
