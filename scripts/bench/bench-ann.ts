/**
 * Exact scan vs an established approximate-search library, in real Chromium (issue #25): hnswlib-wasm
 * (nmslib's hnswlib compiled by Emscripten) used as its authors intend, beside our int8 exact scan
 * (workers/search/exact-search.ts), on the same vectors, in the same page.
 *
 *   npx tsx scripts/bench/bench-ann.ts [--n 100000,1000000] [--dist uniform,real] [--real-catalog <dir>]
 *     [--m 16] [--ef-construction 200] [--ef-search 16,32,64,128,256,512] [--queries 200] [--max-build-s 1200]
 *     [--out bench/ann.json] [--work .cache/ann-bench] [--reuse] [--append]
 *     [--builder wasm|native] [--threads 2] [--python python3]
 *
 * Methods.
 * - Vectors (Node, deterministic): d = 256 unit vectors from scripts/lib/synthetic-vectors.ts: `uniform`
 *   (uniformVectors, seed 1) and `real` (realDistributionVectors around the real catalog's dequantised
 *   embeddings, seed 11). Queries: `--queries` more from the same process with other seeds (2 and 12),
 *   never catalog members. Ground truth: exact top-10 by float32 dot product (= cosine), in Node (float64 sums).
 * - hnswlib-wasm 0.8.2 (its README's flow): build in the page (the package is built for
 *   ENVIRONMENT=web only): loadHnswlib(), new HierarchicalNSW('ip', 256, ''), initIndex(N, M = 16,
 *   efConstruction = 200, seed 100) (hnswlib's defaults), addPoints in batches of 10,000, writeIndex
 *   (Emscripten FS + IDBFS sync). The file it wrote is read back out of IndexedDB and saved as the static
 *   asset a shop would ship. 'ip' on unit vectors ranks exactly as 'cosine' (which would only normalise again).
 * - `--builder native` (for 1M, where the in-page build would take hours: ~100 items/s at 100k on this
 *   machine): the same hnswlib C++ through its Python binding (scripts/bench/ann-build-hnswlib.py, pip
 *   hnswlib==0.8.0, `--threads`, native SIMD), same M / efConstruction / seed, then rewritten into the
 *   wasm32 file layout (nativeToWasm32: 4-byte size_t and labels), which hnswlib-wasm's readIndex needs.
 *   Checked at 3,000 items: the native-built index loads and gives the wasm-built one's recall.
 *   The build time is then the native one, labelled so; load and query are hnswlib-wasm in Chromium as above.
 * - Found on the way (Chromium 156, this machine): IndexedDB refuses one value of incompressible bytes
 *   between 256 and 512 MiB ("DataError: Failed to write blobs (InvalidBlob)"; zero-filled buffers of
 *   1.5 GiB pass, they compress). IDBFS keeps a file as one value, so hnswlib-wasm can neither save
 *   (writeIndex) nor load (readIndex) an index over that size in Chromium: at d = 256, M = 16
 *   (~1,169 bytes an item) that is somewhere between ~230k and ~460k items. The 1M index fails there.
 * - Load + query, in a fresh Chromium profile: download the asset, put it where IDBFS keeps files (the
 *   library exposes no other way in), syncFileSystem('read'), readIndex(file, N): "load" is all of that,
 *   the time until the first query can run. Then for each efSearch: warm-up queries, then every query timed
 *   alone with performance.now() (the page is cross-origin isolated: fine-grained timers); recall@10 against
 *   the float32 truth.
 * - Exact scan, same page, after the HNSW queries: the int8 shards (quantize, encodeShard; split as the
 *   catalog writer splits them) downloaded, decoded and scanned with exactSearch (top-10), timed the same way.
 * - Memory: the library's wasm linear memory (Module.HEAP8.buffer) and V8's used JS heap
 *   (performance.memory; typed-array backing stores, e.g. the MEMFS copy of the index file, are outside
 *   it), plus CDP Runtime.getHeapUsage. For the exact scan, the shard bytes it holds.
 * - Chromium: /usr/bin/chromium (headless) through playwright-core, one persistent profile per phase
 *   (a disk-backed IndexedDB quota), flags as in scripts/lib/browser-app.ts without the WebGPU ones. The
 *   machine is shared (2 cores, other jobs): run it under `nice`; medians are robust, p95s less so.
 *
 * hnswlib-wasm is a devDependency for this bench only: the app does not ship it (docs/performance.md, "Exact,
 * partitioned or an ANN library"). The 1M native build needs `pip install hnswlib==0.8.0 numpy` (`--python`).
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, normalize, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { build as esbuild } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { vectorsPerShard } from '../../src/shared/catalog-format.ts';
import { dequantize, encodeShard, quantize } from '../../src/shared/catalog-shards.ts';
import { readCatalogDir } from '../lib/catalog-files.ts';
import { realDistributionVectors, uniformVectors, type VectorDistribution } from '../lib/synthetic-vectors.ts';
import type { AnnBenchApi, BuildResult, DataMeta, ExactResult, LoadQueryResult } from './ann-page/ann-page.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const D = 256;
const K = 10;
const SEEDS: Record<VectorDistribution, { base: number; queries: number }> = { uniform: { base: 1, queries: 2 }, real: { base: 11, queries: 12 } };
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const INDEX_FILE = 'index.hnsw';
const MiB = 2 ** 20;

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dist: { type: 'string', default: 'uniform,real' },
    'real-catalog': { type: 'string', default: resolve(ROOT, '.cache/catalogs/real') },
    m: { type: 'string', default: '16' },
    'ef-construction': { type: 'string', default: '200' },
    'ef-search': { type: 'string', default: '16,32,64,128,256,512' },
    queries: { type: 'string', default: '200' },
    'exact-queries': { type: 'string', default: '200' },
    'max-build-s': { type: 'string', default: '1200' },
    out: { type: 'string', default: 'bench/ann.json' },
    work: { type: 'string', default: '.cache/ann-bench' },
    reuse: { type: 'boolean', default: false },
    append: { type: 'boolean', default: false },
    builder: { type: 'string', default: 'wasm' },
    python: { type: 'string', default: process.env.ANN_PYTHON ?? 'python3' },
    threads: { type: 'string', default: '2' },
  },
});
const list = (s: string) => s.split(',').map((x) => Number(x.trim()));
const sizes = list(values.n);
const dists = values.dist.split(',').map((s) => s.trim()) as VectorDistribution[];
const M = Number(values.m);
const EF_CONSTRUCTION = Number(values['ef-construction']);
const EF_SEARCH = list(values['ef-search']);
const QUERIES = Number(values.queries);
const EXACT_QUERIES = Number(values['exact-queries']);
const MAX_BUILD_MS = Number(values['max-build-s']) * 1000;
const WORK = resolve(ROOT, values.work);
const BUILDER = values.builder === 'native' ? 'native' : 'wasm';
/** The shipped asset's name in the data folder (the name inside the library's FS stays INDEX_FILE). */
const INDEX_ASSET = `index-${BUILDER}.hnsw`;
const log = (text: string) => console.log(`[bench-ann ${new Date().toISOString().slice(11, 19)}] ${text}`);

// ------------------------------------------------------------------ data (Node)

let realSeeds: { vectors: Float32Array; count: number } | undefined;
async function seeds(): Promise<{ vectors: Float32Array; count: number }> {
  if (realSeeds) return realSeeds;
  const catalog = await readCatalogDir(values['real-catalog']);
  const count = catalog.shards.reduce((s, sh) => s + sh.count, 0);
  const vectors = new Float32Array(count * D);
  let row = 0;
  for (const shard of catalog.shards) {
    if (shard.dimension !== D) throw new Error(`${values['real-catalog']}: vectors of ${shard.dimension}, this bench uses ${D}`);
    for (let i = 0; i < shard.count; i++, row++) dequantize(shard, i, vectors.subarray(row * D, (row + 1) * D));
  }
  log(`real seeds: ${count} embeddings from ${values['real-catalog']}`);
  realSeeds = { vectors, count };
  return realSeeds;
}

async function vectors(dist: VectorDistribution, count: number, seed: number): Promise<Float32Array> {
  if (dist === 'uniform') return uniformVectors(count, D, seed);
  const s = await seeds();
  return realDistributionVectors(s.vectors, s.count, D, count, seed);
}

/** Exact top-K indices of each query by dot product (float64 sums over float32 values). */
function groundTruth(base: Float32Array, n: number, queries: Float32Array, nq: number): Int32Array {
  const truth = new Int32Array(nq * K);
  const started = Date.now();
  for (let q = 0; q < nq; q++) {
    const qv = Float64Array.from(queries.subarray(q * D, (q + 1) * D));
    const best = new Float64Array(K).fill(-Infinity);
    const idx = new Int32Array(K).fill(-1);
    for (let i = 0; i < n; i++) {
      const o = i * D;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < D; j += 4) {
        s0 += qv[j]! * base[o + j]!;
        s1 += qv[j + 1]! * base[o + j + 1]!;
        s2 += qv[j + 2]! * base[o + j + 2]!;
        s3 += qv[j + 3]! * base[o + j + 3]!;
      }
      const s = s0 + s1 + s2 + s3;
      if (s <= best[K - 1]!) continue;
      let p = K - 1;
      while (p > 0 && best[p - 1]! < s) {
        best[p] = best[p - 1]!;
        idx[p] = idx[p - 1]!;
        p--;
      }
      best[p] = s;
      idx[p] = i;
    }
    truth.set(idx, q * K);
    if (q % 50 === 49) log(`ground truth: ${q + 1}/${nq} queries (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  return truth;
}

interface DataInfo extends DataMeta {
  dist: VectorDistribution;
  seeds: { base: number; queries: number };
  baseBytes: number;
}

async function prepare(dist: VectorDistribution, n: number): Promise<{ dir: string; info: DataInfo }> {
  const dir = join(WORK, `${dist}-${n}`);
  const metaFile = join(dir, 'meta.json');
  const want = { n, d: D, k: K, queries: QUERIES, dist, seeds: SEEDS[dist] };
  if (existsSync(metaFile)) {
    const info = JSON.parse(readFileSync(metaFile, 'utf8')) as DataInfo;
    if (JSON.stringify({ n: info.n, d: info.d, k: info.k, queries: info.queries, dist: info.dist, seeds: info.seeds }) === JSON.stringify(want)) {
      log(`${dist} ${n}: data from ${dir}`);
      return { dir, info };
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`${dist} ${n}: generating ${n} + ${QUERIES} vectors`);
  const base = await vectors(dist, n, SEEDS[dist].base);
  const queries = await vectors(dist, QUERIES, SEEDS[dist].queries);
  writeFileSync(join(dir, 'base.f32'), new Uint8Array(base.buffer, base.byteOffset, base.byteLength));
  writeFileSync(join(dir, 'queries.f32'), new Uint8Array(queries.buffer, queries.byteOffset, queries.byteLength));
  const per = vectorsPerShard(D);
  const shards: DataMeta['shards'] = [];
  for (let start = 0, s = 0; start < n; start += per, s++) {
    const count = Math.min(per, n - start);
    const path = `embeddings-${String(s).padStart(3, '0')}.bin`;
    writeFileSync(join(dir, path), encodeShard(quantize(base.subarray(start * D, (start + count) * D), count, D)));
    shards.push({ path, count });
  }
  log(`${dist} ${n}: ground truth (exact float32 top-${K})`);
  const truth = groundTruth(base, n, queries, QUERIES);
  writeFileSync(join(dir, 'truth.i32'), new Uint8Array(truth.buffer));
  const info: DataInfo = { ...want, shards, baseBytes: base.byteLength };
  writeFileSync(metaFile, JSON.stringify(info));
  return { dir, info };
}

// ------------------------------------------------------------------ offline native build (--builder native)

/**
 * hnswlib's saveIndex writes size_t fields and labels (labeltype = size_t) at the machine's width:
 * 8 bytes natively, 4 in wasm32, so hnswlib-wasm cannot read a native file as it is. This rewrites
 * one into the wasm32 layout: the 13-field header with 4-byte size_t (96 → 56 bytes), each element's
 * level-0 record with its 8-byte label cut to 4 (size_data_per_element − 4), the link lists as they are.
 */
export function nativeToWasm32(src: string, dst: string): { bytes: number } {
  const fin = openSync(src, 'r');
  const fout = openSync(dst, 'w');
  try {
    const head = Buffer.alloc(96);
    readSync(fin, head, 0, 96, 0);
    const u64 = (o: number) => Number(head.readBigUInt64LE(o));
    const [offsetLevel0, maxElements, count, sizeData, labelOffset, offsetData] = [0, 8, 16, 24, 32, 40].map(u64) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const maxLevel = head.readInt32LE(48);
    const enterPoint = head.readUInt32LE(52);
    const [maxM, maxM0, m] = [56, 64, 72].map(u64) as [number, number, number];
    const mult = head.readDoubleLE(80);
    const efConstruction = u64(88);
    if (offsetLevel0 !== 0 || labelOffset + 8 !== sizeData) throw new Error(`${src}: not an hnswlib index in the expected layout`);
    const out = Buffer.alloc(56);
    const newSize = sizeData - 4;
    [offsetLevel0, maxElements, count, newSize, labelOffset, offsetData].forEach((v, i) => out.writeUInt32LE(v, i * 4));
    out.writeInt32LE(maxLevel, 24);
    out.writeUInt32LE(enterPoint, 28);
    [maxM, maxM0, m].forEach((v, i) => out.writeUInt32LE(v, 32 + i * 4));
    out.writeDoubleLE(mult, 44);
    out.writeUInt32LE(efConstruction, 52);
    writeSync(fout, out);
    let written = 56;
    const per = 8192;
    const inBuf = Buffer.alloc(per * sizeData);
    const outBuf = Buffer.alloc(per * newSize);
    let pos = 96;
    for (let start = 0; start < count; start += per) {
      const rows = Math.min(per, count - start);
      readSync(fin, inBuf, 0, rows * sizeData, pos);
      pos += rows * sizeData;
      for (let r = 0; r < rows; r++) {
        inBuf.copy(outBuf, r * newSize, r * sizeData, r * sizeData + labelOffset + 4);
        if (inBuf.readUInt32LE(r * sizeData + labelOffset + 4) !== 0) throw new Error(`${src}: a label over 2^32`);
      }
      written += writeSync(fout, outBuf, 0, rows * newSize);
    }
    const rest = Buffer.alloc(1 << 24);
    for (;;) {
      const got = readSync(fin, rest, 0, rest.length, pos);
      if (got === 0) break;
      pos += got;
      written += writeSync(fout, rest, 0, got);
    }
    return { bytes: written };
  } finally {
    closeSync(fin);
    closeSync(fout);
  }
}

interface NativeBuild {
  builder: 'native';
  complete: boolean;
  added: number;
  buildMs: number;
  threads: number;
  hnswlib: string;
  nativeBytes: number;
  indexBytes: number;
  convertMs: number;
  error?: string;
}

function nativeBuild(dir: string, n: number): NativeBuild {
  const nativePath = join(dir, 'index.native.hnsw');
  const script = resolve(import.meta.dirname, 'ann-build-hnswlib.py');
  const args = [script, join(dir, 'base.f32'), nativePath, n, D, M, EF_CONSTRUCTION, 100, values.threads].map(String);
  log(`native build: nice ${values.python} ${args.join(' ')}`);
  const res = spawnSync('nice', [values.python, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  const lines = (res.stdout ?? '').trim().split('\n');
  for (const line of lines.slice(0, -1)) log(line);
  if (res.status !== 0) throw new Error(`native build failed (${res.status}): ${lines.at(-1)}`);
  const out = JSON.parse(lines.at(-1)!) as { buildMs: number; indexBytes: number; threads: number; hnswlib: string };
  const t = Date.now();
  const { bytes } = nativeToWasm32(nativePath, join(dir, INDEX_ASSET));
  const convertMs = Date.now() - t;
  rmSync(nativePath);
  return {
    builder: 'native',
    complete: true,
    added: n,
    buildMs: out.buildMs,
    threads: out.threads,
    hnswlib: out.hnswlib,
    nativeBytes: out.indexBytes,
    indexBytes: bytes,
    convertMs,
  };
}

// ------------------------------------------------------------------ page bundle and server

async function bundlePage(outDir: string): Promise<void> {
  await esbuild({
    entryPoints: [resolve(import.meta.dirname, 'ann-page/ann-page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(outDir, 'ann-page.js'),
    logLevel: 'warning',
  });
  writeFileSync(
    join(outDir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>ann-bench</title><link rel="icon" href="data:,"><script type="module" src="ann-page.js"></script>\n',
  );
}

/** Static files: /page/ (the bundle) and /data/ (the work folder); PUT /data/… stores an upload. Cross-origin isolated. */
function serve(pageDir: string): Promise<{ server: Server; origin: string }> {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      const [, top, ...rest] = url.pathname.split('/');
      const root = top === 'page' ? pageDir : top === 'data' ? WORK : undefined;
      const path = root ? normalize(join(root, ...rest.map(decodeURIComponent))) : '';
      if (!root || !path.startsWith(root)) {
        res.writeHead(404).end();
        return;
      }
      const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' };
      if (req.method === 'PUT') {
        const offset = Number(url.searchParams.get('offset') ?? 0);
        await pipeline(req, createWriteStream(path, offset > 0 ? { flags: 'r+', start: offset } : {}));
        res.writeHead(204, headers).end();
        return;
      }
      if (!existsSync(path) || !statSync(path).isFile()) {
        res.writeHead(404, headers).end();
        return;
      }
      const type = path.endsWith('.js')
        ? 'text/javascript'
        : path.endsWith('.html')
          ? 'text/html'
          : path.endsWith('.json')
            ? 'application/json'
            : 'application/octet-stream';
      res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': statSync(path).size });
      await pipeline(createReadStream(path), res);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    }
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (!address || typeof address === 'string') throw new Error('no port');
      ok({ server, origin: `http://127.0.0.1:${address.port}` });
    }),
  );
}

/** A fresh persistent profile (disk-backed IndexedDB), one page on the bench page; closed and deleted by `close`. */
async function openPage(origin: string): Promise<{ page: Page; context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'bench-ann-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.text().startsWith('[ann-page]') || m.type() === 'error') log(m.text());
  });
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  await page.goto(`${origin}/page/index.html`);
  await page.waitForFunction(() => document.title === 'ann-bench ready', undefined, { timeout: 60_000 });
  return {
    page,
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ run

const stats = (times: number[]) => {
  const s = [...times].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { medianMs: s.length % 2 ? s[s.length >> 1]! : (s[(s.length >> 1) - 1]! + s[s.length >> 1]!) / 2, p95Ms: at(0.95) };
};
const r3 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);

interface Run {
  n: number;
  dist: VectorDistribution;
  build: (BuildResult & { builder?: 'wasm' }) | NativeBuild | { reused: true; indexBytes: number };
  load?: Omit<LoadQueryResult, 'efs'> & { heapUsage?: unknown };
  hnsw: { efSearch: number; recallAt10: number | null; medianMs: number | null; p95Ms: number | null }[];
  exact?: Omit<ExactResult, 'times'> & { medianMs: number | null; p95Ms: number | null };
  error?: string;
}

async function runOne(origin: string, dist: VectorDistribution, n: number): Promise<Run> {
  const { dir } = await prepare(dist, n);
  const rel = `${dist}-${n}`;
  const indexPath = join(dir, INDEX_ASSET);
  const run: Run = { n, dist, build: { reused: true, indexBytes: 0 }, hnsw: [] };
  const buildRecord = `${indexPath}.build.json`;
  if (values.reuse && existsSync(indexPath)) {
    // The build's own figures, when the run that built it left them beside it.
    run.build = existsSync(buildRecord)
      ? (JSON.parse(readFileSync(buildRecord, 'utf8')) as Run['build'])
      : { reused: true, indexBytes: statSync(indexPath).size };
    log(`${rel}: reusing ${indexPath}`);
  } else if (BUILDER === 'native') {
    rmSync(indexPath, { force: true });
    rmSync(buildRecord, { force: true });
    try {
      run.build = nativeBuild(dir, n);
      writeFileSync(buildRecord, JSON.stringify(run.build));
      log(`${rel}: built natively in ${(run.build.buildMs / 1000).toFixed(1)} s, ${(run.build.indexBytes / MiB).toFixed(1)} MiB in the wasm32 layout`);
    } catch (error) {
      run.error = `native build: ${error instanceof Error ? error.message : String(error)}`;
      log(run.error);
      return run;
    }
  } else {
    rmSync(indexPath, { force: true });
    rmSync(buildRecord, { force: true });
    log(`${rel}: building the HNSW index in Chromium (M ${M}, efConstruction ${EF_CONSTRUCTION})`);
    const b = await openPage(origin);
    try {
      run.build = await b.page.evaluate((o) => (globalThis as unknown as { annBench: AnnBenchApi }).annBench.build(o), {
        dir: `/data/${rel}`,
        file: INDEX_FILE,
        space: 'ip' as const,
        m: M,
        efConstruction: EF_CONSTRUCTION,
        seed: 100,
        batch: 10_000,
        maxBuildMs: MAX_BUILD_MS,
        upload: `/data/${rel}/${INDEX_ASSET}`,
      });
    } catch (error) {
      run.error = `build: ${error instanceof Error ? error.message : String(error)}`;
      log(run.error);
    } finally {
      await b.close();
    }
    const built = run.build as BuildResult;
    run.build = { builder: 'wasm', ...built };
    if (built.complete) writeFileSync(buildRecord, JSON.stringify(run.build));
    if (run.error || !built.complete) return run;
    log(`${rel}: built in ${(built.buildMs / 1000).toFixed(1)} s, ${(built.indexBytes / MiB).toFixed(1)} MiB`);
  }
  log(`${rel}: load + query in a fresh profile`);
  const p = await openPage(origin);
  try {
    const loaded = await p.page.evaluate((o) => (globalThis as unknown as { annBench: AnnBenchApi }).annBench.loadAndQuery(o), {
      dir: `/data/${rel}`,
      index: `/data/${rel}/${INDEX_ASSET}`,
      file: INDEX_FILE,
      space: 'ip' as const,
      efs: EF_SEARCH,
      warmup: 20,
    });
    const cdp = await p.context.newCDPSession(p.page);
    const heapUsage = await cdp.send('Runtime.getHeapUsage').catch(() => undefined);
    const { efs, ...load } = loaded;
    run.load = { ...load, heapUsage };
    run.hnsw = efs.map((e) => {
      const s = stats(e.times);
      return { efSearch: e.efSearch, recallAt10: r3(e.recallAt10), medianMs: r3(s.medianMs), p95Ms: r3(s.p95Ms) };
    });
  } catch (error) {
    run.error = `load/query: ${error instanceof Error ? error.message : String(error)}`;
    log(run.error);
  }
  // The exact scan runs even where the library could not load its index (same page either way).
  try {
    log(`${rel}: exact int8 scan, same page`);
    const exact = await p.page.evaluate((o) => (globalThis as unknown as { annBench: AnnBenchApi }).annBench.exactScan(o), {
      dir: `/data/${rel}`,
      maxQueries: EXACT_QUERIES,
      warmup: 5,
    });
    const { times, ...rest } = exact;
    const s = stats(times);
    run.exact = { ...rest, recallAt10: r3(rest.recallAt10) ?? NaN, medianMs: r3(s.medianMs), p95Ms: r3(s.p95Ms) };
  } catch (error) {
    run.error = `${run.error ? `${run.error}; ` : ''}exact: ${error instanceof Error ? error.message : String(error)}`;
    log(run.error);
  } finally {
    await p.close();
  }
  return run;
}

function table(runs: Run[]): string {
  const rows: string[][] = [
    ['N', 'dist', 'method', 'efSearch', 'recall@10', 'ms median', 'ms p95', 'build s', 'download MB', 'load s', 'wasm heap MB', 'JS heap MB'],
  ];
  const mb = (b: number | undefined) => (b === undefined || !Number.isFinite(b) ? '' : (b / 1e6).toFixed(1));
  for (const r of runs) {
    const build =
      'buildMs' in r.build
        ? (r.build.buildMs / 1000).toFixed(1) +
          ('threads' in r.build ? ` native×${r.build.threads}` : '') +
          (r.build.complete ? '' : ` (stopped at ${r.build.added})`)
        : 'reused';
    const indexBytes = r.load?.indexBytes ?? r.build.indexBytes;
    for (const h of r.hnsw) {
      rows.push([
        String(r.n),
        r.dist,
        'hnswlib-wasm',
        String(h.efSearch),
        String(h.recallAt10),
        String(h.medianMs),
        String(h.p95Ms),
        build,
        mb(indexBytes),
        r.load ? (r.load.loadMs / 1000).toFixed(2) : '',
        mb(r.load?.memory.wasmHeapBytes),
        mb(r.load?.memory.jsHeapUsedBytes),
      ]);
    }
    if (!r.hnsw.length) rows.push([String(r.n), r.dist, 'hnswlib-wasm', '', '', '', '', build, mb(indexBytes), '', '', r.error ?? '']);
    if (r.exact)
      rows.push([
        String(r.n),
        r.dist,
        'exact int8 scan',
        '',
        String(r.exact.recallAt10),
        String(r.exact.medianMs),
        String(r.exact.p95Ms),
        '',
        mb(r.exact.shardBytes),
        ((r.exact.downloadMs + r.exact.decodeMs) / 1000).toFixed(2),
        '',
        `${mb(r.exact.shardBytes)} (shards)`,
      ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  return rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const pageDir = join(WORK, 'page');
  mkdirSync(pageDir, { recursive: true });
  await bundlePage(pageDir);
  const { server, origin } = await serve(pageDir);
  const runs: Run[] = [];
  const out = resolve(ROOT, values.out);
  // --append: keep the runs already in --out for other (N, distribution, builder) than this run's.
  const kept: Run[] =
    values.append && existsSync(out)
      ? ((JSON.parse(readFileSync(out, 'utf8')) as { runs: Run[] }).runs ?? []).filter(
          (r) => !(sizes.includes(r.n) && dists.includes(r.dist) && ('builder' in r.build ? r.build.builder : 'wasm') === BUILDER),
        )
      : [];
  const chromiumVersion = await (async () => {
    const b = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    const v = b.version();
    await b.close();
    return v;
  })();
  const write = () => {
    mkdirSync(dirname(out), { recursive: true });
    const report = {
      what: 'hnswlib-wasm vs the int8 exact scan in Chromium (scripts/bench/bench-ann.ts; methods in its header)',
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30) },
      chromium: chromiumVersion,
      chromiumFlags: CHROMIUM_ARGS,
      library: 'hnswlib-wasm 0.8.2',
      params: {
        d: D,
        k: K,
        space: 'ip (unit vectors)',
        m: M,
        efConstruction: EF_CONSTRUCTION,
        randomSeed: 100,
        efSearch: EF_SEARCH,
        queries: QUERIES,
        batch: 10_000,
      },
      runs: [...kept, ...runs],
    };
    writeFileSync(out, `${JSON.stringify(report, null, 1)}\n`);
  };
  try {
    for (const n of sizes)
      for (const dist of dists) {
        const run = await runOne(origin, dist, n);
        runs.push(run);
        write();
        console.log(`\n${table([run])}\n`);
      }
  } finally {
    server.close();
  }
  console.log(`\n${table([...kept, ...runs])}\n`);
  log(`wrote ${out}`);
}

await main();
