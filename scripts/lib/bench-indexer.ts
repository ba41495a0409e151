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

const cpuMs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};

/**
 * Decoding alone (sharp, one image after another, nothing else running in this process): wall and CPU ms per image.
 * CPU time is what the work costs; wall time also holds whatever else the shared cores ran meanwhile.
 */
async function decodeAlone(files: string[]): Promise<{ ms: number; cpuMs: number }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (const file of files) await decodePixels(readFileSync(file));
  return { ms: (performance.now() - started) / files.length, cpuMs: cpuMs(cpu) / files.length };
}

/** Inference alone in this thread (decoded photos, Embedder.embedBatch): wall and CPU ms per image at each batch size. */
async function batchSweep(files: string[], sizes: number[]): Promise<IndexerSection['batchSweep']> {
  const embedder = await loadNodeEmbedder();
  const images = await Promise.all(files.slice(0, 16).map(async (f) => pixelsToTensor(await decodePixels(readFileSync(f)))));
  try {
    const out: IndexerSection['batchSweep'] = [];
    for (const size of sizes) {
      const batches = Array.from({ length: Math.ceil(images.length / size) }, (_, i) => images.slice(i * size, (i + 1) * size));
      await embedder.embedBatch(batches[0]!); // this shape's first call
      const started = performance.now();
      const cpu = process.cpuUsage();
      for (let round = 0; round < 2; round++) for (const batch of batches) await embedder.embedBatch(batch);
      const n = 2 * images.length;
      out.push({ batchSize: size, msPerImage: Number(((performance.now() - started) / n).toFixed(1)), cpuMsPerImage: Number((cpuMs(cpu) / n).toFixed(1)) });
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
  // Single, pool, pool, single: a load that drifts steadily during the runs weighs on both alike.
  const plan = [0, workers, workers, 0];
  const done: { run: IndexerRun; report: IndexReport }[] = [];
  for (const [k, w] of plan.entries()) {
    const label = w === 0 ? 'single thread (main thread, one image per call)' : `pool of ${w} workers`;
    done.push(await run(`${label}, run ${k + 1}`, csv, join(options.work, `run-${k + 1}`), w, DEFAULT_BATCH_SIZE, log));
  }
  const single = done.filter((d) => d.run.workers === 0);
  const pool = done.filter((d) => d.run.workers > 0);
  const mean = (xs: { run: IndexerRun }[], f: (r: IndexerRun) => number) => xs.reduce((n, x) => n + f(x.run), 0) / xs.length;
  const maxVectorDifference = maxDifference(single[0]!.report, pool[0]!.report, files);
  for (const d of done) rmSync(d.report.outDir, { recursive: true, force: true }); // thumbnails of the dataset's photos: scratch only
  const decode = await decodeAlone(files);
  log(`indexer: decoding alone ${decode.ms.toFixed(1)} ms/image (CPU ${decode.cpuMs.toFixed(1)} ms)`);
  const sweep = await batchSweep(files, [1, 2, 4, 8]);
  log(`indexer: inference alone, ms/image (CPU ms) by batch size: ${sweep.map((s) => `${s.batchSize}: ${s.msPerImage} (${s.cpuMsPerImage})`).join(', ')}`);
  return {
    date: new Date().toISOString(),
    photos: { source: 'hm-catalog (../shared/datasets; 320 px longest side)', count: files.length },
    cores: availableParallelism(),
    workers,
    runs: done.map((d) => d.run),
    singleImagesPerSecond: Number(mean(single, (r) => r.imagesPerSecond).toFixed(1)),
    poolImagesPerSecond: Number(mean(pool, (r) => r.imagesPerSecond).toFixed(1)),
    poolCpuMsPerImage: Number(mean(pool, (r) => r.cpuMsPerImage ?? Number.NaN).toFixed(1)),
    speedup: Number((mean(pool, (r) => r.imagesPerSecond) / mean(single, (r) => r.imagesPerSecond)).toFixed(2)),
    maxVectorDifference,
    decodeAloneMsPerImage: Number(decode.ms.toFixed(1)),
    decodeAloneCpuMsPerImage: Number(decode.cpuMs.toFixed(1)),
    batchSweep: sweep,
    target: 30,
  };
}
