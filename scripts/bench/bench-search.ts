/**
 * Search speed on random unit vectors in int8 shards (the catalog format):
 * ms per query on the typed-array path and on the tfjs path (wasm or cpu
 * backend in Node; WebGPU/WebGL only in the browser), and the scan rate in
 * GB/s next to a plain memory scan (summing the same int8 bytes) measured in
 * the same run. Writes bench/search.json.
 *
 *   npx tsx scripts/bench/bench-search.ts [--n 10000,100000] [--dims 256,<embedder>] [--queries 20] [--backend wasm|cpu] [--out bench/search.json]
 *     [--partitioned-n 100000,1000000|none] [--real-catalog .cache/catalogs/real] [--part-queries 200] [--val-queries 100]
 *     [--partition-size 1000] [--sweep-sizes 500,1000,2000] [--budgets 16000,32000,…] [--browser-n 1000000|none] [--partitioned-dist uniform,real]
 *
 * `none` (or fewer sizes) keeps the last run's figures for that part.
 *
 * The partitioned part (scripts/lib/bench-partitioned.ts, #25): exact scan vs
 * PartitionedSearch at 100k and 1M items, uniform and real-distribution
 * vectors: ms/query, recall@10 vs exact, bytes before first results, memory.
 * 1M items take several minutes (k-means, ground truth); it prints progress.
 *
 * The browser part (scripts/lib/bench-million.ts): a 1M-item partitioned catalog opened and searched in the built
 * app (dist/) in Chromium on wasm: bytes before the first results, first and repeated search times, memory.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { shardByteLength, vectorsPerShard } from '../../src/shared/catalog-format.ts';
import { decodeShard, encodeShard, quantize, type Shard } from '../../src/shared/catalog-shards.ts';
import { backbones } from '../../src/shared/manifest.ts';
import { exactSearch } from '../../workers/search/exact-search.ts';
import { GpuSearch } from '../../workers/search/gpu-search.ts';
import { readManifest } from '../lib/manifest-writer.ts';
import type { SearchRow, SearchSection } from '../lib/bench-report.ts';
import { buildMillionCatalog, measureMillion, millionPhotos, type MillionResult } from '../lib/bench-million.ts';
import { benchPartitioned, REAL_CATALOG_COMMAND, type PartitionedSection } from '../lib/bench-partitioned.ts';
import type { VectorDistribution } from '../lib/synthetic-vectors.ts';

type Row = SearchRow;

/** The embedding dimension the shipped models give, from the manifest (no model loading). */
function embedderDimension(): number {
  const m = readManifest();
  return (
    m.projection?.outputDim ??
    backbones(m)
      .filter((b) => !b.optional)
      .reduce((n, b) => n + b.featureDim, 0)
  );
}

/** xorshift32 uniform in [-1, 1): cheap, enough for timing. */
function randomUnit(count: number, dim: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const x = (s >>> 0) / 2147483648 - 1;
      out[i * dim + j] = x;
      norm += x * x;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) out[i * dim + j]! *= inv;
  }
  return out;
}

/** Shards as the app gets them: quantised, encoded to bytes, decoded (zero-copy views). */
function buildShards(n: number, dim: number): Shard[] {
  const per = vectorsPerShard(dim);
  const shards: Shard[] = [];
  for (let start = 0, k = 0; start < n; start += per, k++) {
    const count = Math.min(per, n - start);
    const bytes = encodeShard(quantize(randomUnit(count, dim, 1000 + k), count, dim));
    shards.push(decodeShard(bytes.buffer as ArrayBuffer, { count, dimension: dim }));
  }
  return shards;
}

/** The plain memory scan: sum every int8 byte, 4 accumulators (what a loop touching the same bytes costs). */
function sumBytes(codes: Int8Array): number {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let i = 0;
  const n = codes.length;
  for (; i + 3 < n; i += 4) {
    a = (a + codes[i]!) | 0;
    b = (b + codes[i + 1]!) | 0;
    c = (c + codes[i + 2]!) | 0;
    d = (d + codes[i + 3]!) | 0;
  }
  for (; i < n; i++) a = (a + codes[i]!) | 0;
  return a + b + c + d;
}

/** Same bytes read 4 at a time (Int32): the best a JS loop reads memory. */
function sumWords(codes: Int8Array): number {
  const words = new Int32Array(codes.buffer, codes.byteOffset, codes.byteLength >> 2);
  let a = 0;
  for (let i = 0; i < words.length; i++) a = (a + words[i]!) | 0;
  return a;
}

/**
 * Median ms of each function over `reps` rounds, after `warm` unmeasured ones.
 * The functions take turns within each round, so a machine shared with other
 * work slows them alike and their ratio stays meaningful.
 */
async function timeInterleaved(fns: (() => unknown)[], reps: number, warm = 2): Promise<number[]> {
  const times = fns.map(() => [] as number[]);
  for (let r = 0; r < warm + reps; r++) {
    for (const [i, fn] of fns.entries()) {
      const t = performance.now();
      await fn();
      if (r >= warm) times[i]!.push(performance.now() - t);
    }
  }
  return times.map((ts) => ts.sort((a, b) => a - b)[ts.length >> 1]!);
}

/** bench/search.json. */
type SearchFile = Omit<SearchSection, 'command'> & { machine: { cpus: number; cpu: string; node: string } };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '10000,100000' },
      dims: { type: 'string' },
      queries: { type: 'string', default: '20' },
      backend: { type: 'string', default: 'wasm' },
      k: { type: 'string', default: '20' },
      out: { type: 'string', default: 'bench/search.json' },
      'partitioned-n': { type: 'string', default: '100000,1000000' },
      'real-catalog': { type: 'string', default: '.cache/catalogs/real' },
      'part-queries': { type: 'string', default: '200' },
      'val-queries': { type: 'string', default: '100' },
      'partition-size': { type: 'string', default: '1000' },
      'sweep-sizes': { type: 'string', default: '500,1000,2000' },
      budgets: { type: 'string', default: '8000,16000,24000,32000,48000,64000,96000' },
      'browser-n': { type: 'string', default: '1000000' },
      'partitioned-dist': { type: 'string', default: 'uniform,real' },
    },
  });
  // Parts not measured this run (`--n none`, `--partitioned-n none`, `--browser-n none`, or fewer sizes) keep their last figures.
  const previous: Partial<SearchFile> = existsSync(resolve(values.out)) ? (JSON.parse(readFileSync(resolve(values.out), 'utf8')) as SearchFile) : {};
  const ns = values.n === 'none' ? [] : values.n.split(',').map(Number);
  const current = embedderDimension();
  const dims = values.dims ? values.dims.split(',').map(Number) : [...new Set([256, current])];
  const reps = Number(values.queries);
  const k = Number(values.k);
  if (!(await tf.setBackend(values.backend))) throw new Error(`the tfjs ${values.backend} backend did not start`);
  await tf.ready();
  const backend = tf.getBackend();
  process.stderr.write(`tfjs backend: ${backend}; ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}; Node ${process.version}; ${reps} queries each, k=${k}\n`);

  const rows: Row[] = [];
  let sink = 0;
  for (const dim of dims) {
    for (const n of ns) {
      const shards = buildShards(n, dim);
      const codeBytes = n * dim;
      const scanBytes = codeBytes + 4 * n;
      const queries = randomUnit(reps + 2, dim, 7);
      let q = 0;
      const nextQuery = () => queries.subarray((q % (reps + 2)) * dim, ((q++ % (reps + 2)) + 1) * dim);
      const t0 = performance.now();
      const gpu = GpuSearch.create(shards);
      await gpu.search(nextQuery(), k);
      const uploadMs = performance.now() - t0;
      const [typedMs, scanMs, wordMs, tfjsMs] = (await timeInterleaved(
        [
          () => (sink += exactSearch(shards, nextQuery(), k).length),
          () => shards.forEach((s) => (sink += sumBytes(s.codes))),
          () => shards.forEach((s) => (sink += sumWords(s.codes))),
          async () => (sink += (await gpu.search(nextQuery(), k)).length),
        ],
        reps,
      )) as [number, number, number, number];
      gpu.dispose();
      const row: Row = {
        n,
        dimension: dim,
        shards: shards.length,
        shardMB: +(shards.reduce((a, s) => a + shardByteLength(s.count, dim), 0) / 1e6).toFixed(2),
        typedArrayMsPerQuery: +typedMs.toFixed(2),
        typedArrayGBps: +(scanBytes / typedMs / 1e6).toFixed(3),
        memoryScanGBps: +(codeBytes / scanMs / 1e6).toFixed(3),
        wordScanGBps: +(codeBytes / wordMs / 1e6).toFixed(3),
        typedArrayVsMemoryScan: +(scanBytes / typedMs / (codeBytes / scanMs)).toFixed(2),
        tfjsBackend: backend,
        tfjsUploadMs: +uploadMs.toFixed(0),
        tfjsMsPerQuery: +tfjsMs.toFixed(2),
        tfjsGBps: +((n * dim * 4) / tfjsMs / 1e6).toFixed(3),
      };
      rows.push(row);
      process.stderr.write(`  done N=${n} d=${dim}\n`);
    }
  }

  const header = [
    'N',
    'dim',
    'shards',
    'MB',
    'typed ms/q',
    'typed GB/s',
    'byte-scan GB/s',
    'typed/scan',
    'word-scan GB/s',
    `tfjs(${backend}) ms/q`,
    'tfjs GB/s',
    'upload ms',
  ];
  const table = rows.map((r) =>
    [
      r.n.toLocaleString('en'),
      r.dimension,
      r.shards,
      r.shardMB.toFixed(1),
      r.typedArrayMsPerQuery.toFixed(1),
      r.typedArrayGBps.toFixed(2),
      r.memoryScanGBps.toFixed(2),
      `${Math.round(r.typedArrayVsMemoryScan * 100)}%`,
      r.wordScanGBps.toFixed(2),
      r.tfjsMsPerQuery.toFixed(1),
      r.tfjsGBps.toFixed(2),
      r.tfjsUploadMs,
    ].map(String),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(line(header));
  for (const row of table) console.log(line(row));
  console.log(
    `typed = plain typed-array int8 scan (this file's exact-search); byte-scan = summing the same int8 bytes; word-scan = the same bytes read as int32; tfjs = matMul + topk on the ${backend} backend (GB/s over the float32 matrix). Medians of ${reps} queries.`,
  );

  let partitioned: PartitionedSection | undefined;
  const partitionedNs = values['partitioned-n'] === 'none' ? [] : values['partitioned-n'].split(',').filter(Boolean).map(Number);
  if (partitionedNs.length > 0) {
    partitioned = await benchPartitioned({
      ns: partitionedNs,
      dimension: current,
      realCatalog: resolve(values['real-catalog']),
      queries: Number(values['part-queries']),
      validationQueries: Number(values['val-queries']),
      partitionSize: Number(values['partition-size']),
      sweepSizes: values['sweep-sizes'] === 'none' ? [] : values['sweep-sizes'].split(',').filter(Boolean).map(Number),
      budgets: values.budgets.split(',').map(Number),
      distributions: values['partitioned-dist'].split(',').filter((x): x is VectorDistribution => x === 'uniform' || x === 'real'),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    if (partitioned) {
      const head = [
        'N',
        'dist',
        'parts',
        'build s',
        'exact ms',
        'part. warm ms (p95)',
        'recall@10',
        'probes',
        'scanned',
        'first-results MB (p95)',
        'memory MB exact→LRU',
      ];
      const body = partitioned.rows.map((r) =>
        [
          r.n.toLocaleString('en'),
          r.distribution,
          r.partitions,
          (r.buildMs / 1000).toFixed(0),
          r.exactMsMedian.toFixed(1),
          `${r.partitionedWarmMsMedian.toFixed(1)} (${r.partitionedWarmMsP95.toFixed(1)})`,
          r.recallAt10.toFixed(3),
          r.probesMedian,
          r.itemsScannedMedian.toLocaleString('en'),
          `${(r.coldBytesMedian / 1e6).toFixed(1)} (${(r.coldBytesP95 / 1e6).toFixed(1)})`,
          `${r.exactResidentMB.toFixed(0)}→${r.partitionedResidentPeakMB.toFixed(0)}`,
        ].map(String),
      );
      const w = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
      console.log(head.map((h, i) => h.padStart(w[i]!)).join('  '));
      for (const row of body) console.log(row.map((c, i) => c.padStart(w[i]!)).join('  '));
    }
  }

  let browser: MillionResult | undefined;
  const browserN = values['browser-n'] === 'none' ? 0 : Number(values['browser-n']);
  if (browserN > 0) {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const realCatalog = resolve(values['real-catalog']);
    if (!existsSync(resolve(realCatalog, 'catalog.json'))) {
      log(`browser: skipped (no real catalog at ${realCatalog}; build it with \`${REAL_CATALOG_COMMAND}\`)`);
    } else {
      const dir = resolve(`.cache/bench-million-${browserN}`);
      const buildSeconds = await buildMillionCatalog(dir, browserN, realCatalog, log);
      log(`browser: a ${browserN.toLocaleString('en')}-item catalog in the built app (dist/), wasm…`);
      browser = { date: new Date().toISOString(), ...(buildSeconds > 0 ? { buildSeconds } : {}), ...(await measureMillion(dir, millionPhotos(), log)) };
    }
  }

  if (ns.length === 0 && previous.rows) rows.push(...previous.rows);
  if (partitioned && previous.partitioned) {
    const measured = new Set(partitioned.rows.map((r) => `${r.n}/${r.distribution}`));
    partitioned.rows = [...partitioned.rows, ...previous.partitioned.rows.filter((r) => !measured.has(`${r.n}/${r.distribution}`))].sort(
      (a, b) => a.n - b.n || a.distribution.localeCompare(b.distribution),
    );
  }
  if (partitioned && !partitioned.sizeSweep && previous.partitioned?.sizeSweep) partitioned.sizeSweep = previous.partitioned.sizeSweep;
  partitioned ??= previous.partitioned;
  browser ??= previous.browser;
  const out = resolve(values.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', node: process.version },
        tfjsBackend: backend,
        embedderDimension: current,
        k,
        queries: reps,
        rows,
        ...(partitioned ? { partitioned } : {}),
        ...(browser ? { browser } : {}),
      } satisfies SearchFile,
      null,
      2,
    )}\n`,
  );
  process.stderr.write(`wrote ${out}${sink < 0 ? ' ' : ''}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
