/**
 * The in-page half of scripts/bench/bench-ann.ts (see its methods note): bundled by esbuild into
 * one module, served with the bench's data files and driven through `window.annBench` by Playwright.
 *
 * - `build`: hnswlib-wasm as its README shows it: loadHnswlib() (which mounts IDBFS at /hnswlib-index),
 *   new HierarchicalNSW(space, d, ''), initIndex(n, M, efConstruction, seed), addPoints in batches,
 *   writeIndex(file) (saves into the Emscripten FS and syncs it to IndexedDB). The saved file is then
 *   read back out of IndexedDB and uploaded to the bench server: the static asset a shop would ship.
 * - `loadAndQuery`: a fresh profile downloads that asset, stores it where IDBFS keeps files (the
 *   library has no other way in: its FS is not exported), syncs IDBFS (syncFileSystem('read')),
 *   readIndex(file, n), then setEfSearch / searchKnn for each efSearch.
 * - `exactScan`: our int8 exact scan (workers/search/exact-search.ts) on the same vectors' shards.
 */
import { type HnswlibModule, loadHnswlib, syncFileSystem } from 'hnswlib-wasm';
import { decodeShard, type Shard } from '../../../src/shared/catalog-shards.ts';
import { exactSearch } from '../../../workers/search/exact-search.ts';

/** Where IDBFS keeps the library's files (wrapper.cpp's EmscriptenFileSystemManager::virtualDirectory). */
const MOUNT = '/hnswlib-index';
/** Emscripten IDBFS's object store and schema version (DB_STORE_NAME, DB_VERSION in the library's glue). */
const IDB_STORE = 'FILE_DATA';
const IDB_VERSION = 21;
/** A regular file, rw-rw-rw- (what IDBFS stores as `mode`). */
const FILE_MODE = 0o100666;

export interface DataMeta {
  n: number;
  d: number;
  k: number;
  queries: number;
  shards: { path: string; count: number }[];
}

export interface MemoryFigures {
  /** The library's wasm linear memory (Module.HEAP8.buffer). */
  wasmHeapBytes: number;
  /** performance.memory.usedJSHeapSize (V8 heap; typed-array backing stores are outside it). */
  jsHeapUsedBytes: number;
}

export interface BuildResult {
  complete: boolean;
  added: number;
  fetchMs: number;
  buildMs: number;
  writeMs: number;
  indexBytes: number;
  uploadMs: number;
  memory: MemoryFigures;
  error?: string;
}

export interface EfResult {
  efSearch: number;
  recallAt10: number;
  times: number[];
}

export interface LoadQueryResult {
  downloadMs: number;
  indexBytes: number;
  idbPutMs: number;
  syncMs: number;
  readIndexMs: number;
  /** Download → IndexedDB → IDBFS sync → readIndex: until the first query can run. */
  loadMs: number;
  memory: MemoryFigures;
  firstQueryMs: number;
  efs: EfResult[];
}

export interface ExactResult {
  downloadMs: number;
  shardBytes: number;
  decodeMs: number;
  memory: MemoryFigures;
  queries: number;
  recallAt10: number;
  times: number[];
}

const log = (text: string) => console.log(`[ann-page] ${text}`);

async function fetchBuffer(url: string): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

async function meta(dir: string): Promise<DataMeta> {
  return JSON.parse(new TextDecoder().decode(await fetchBuffer(`${dir}/meta.json`))) as DataMeta;
}

function memory(lib?: HnswlibModule): MemoryFigures {
  const heap = (lib as unknown as { HEAP8?: Int8Array } | undefined)?.HEAP8;
  const perf = performance as Performance & { memory?: { usedJSHeapSize: number } };
  return { wasmHeapBytes: heap?.buffer.byteLength ?? 0, jsHeapUsedBytes: perf.memory?.usedJSHeapSize ?? 0 };
}

function openIdbfs(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(MOUNT, IDB_VERSION);
    req.onupgradeneeded = () => {
      const store = req.result.createObjectStore(IDB_STORE);
      store.createIndex('timestamp', 'timestamp', { unique: false });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function idbRequest<T>(db: IDBDatabase, mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(IDB_STORE, mode);
    const req = run(tx.objectStore(IDB_STORE));
    let result: T;
    req.onsuccess = () => {
      result = req.result;
    };
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error ?? req.error);
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/** Polls the library's own flag (its waitForFileSystemSynced gives up after 4 s, too soon for a large index). */
async function waitSynced(lib: HnswlibModule, timeoutMs: number): Promise<void> {
  const started = performance.now();
  while (!lib.EmscriptenFileSystemManager.isSynced()) {
    if (performance.now() - started > timeoutMs) throw new Error(`IDBFS not synced within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function recall(found: ArrayLike<number>, truth: Int32Array, q: number, k: number): number {
  const want = new Set(truth.subarray(q * k, (q + 1) * k));
  let hit = 0;
  for (let i = 0; i < Math.min(k, found.length); i++) if (want.has(found[i]!)) hit++;
  return hit / k;
}

async function build(opts: {
  dir: string;
  file: string;
  space: 'ip' | 'cosine';
  m: number;
  efConstruction: number;
  seed: number;
  batch: number;
  maxBuildMs: number;
  upload: string;
}): Promise<BuildResult> {
  const { n, d } = await meta(opts.dir);
  const lib = await loadHnswlib();
  await waitSynced(lib, 60_000);
  let t = performance.now();
  const vectors = new Float32Array(await fetchBuffer(`${opts.dir}/base.f32`));
  const fetchMs = performance.now() - t;
  const index = new lib.HierarchicalNSW(opts.space, d, '');
  index.initIndex(n, opts.m, opts.efConstruction, opts.seed);
  t = performance.now();
  let added = 0;
  let error: string | undefined;
  let lastLog = t;
  try {
    while (added < n) {
      const end = Math.min(n, added + opts.batch);
      const items: Float32Array[] = [];
      const labels: number[] = [];
      for (let i = added; i < end; i++) {
        items.push(vectors.subarray(i * d, (i + 1) * d));
        labels.push(i);
      }
      index.addPoints(items, labels, false);
      added = end;
      const now = performance.now();
      if (now - lastLog > 10_000 || added === n) {
        lastLog = now;
        const rate = added / ((now - t) / 1000);
        log(`build: ${added}/${n} added, ${rate.toFixed(0)}/s, wasm heap ${(memory(lib).wasmHeapBytes / 2 ** 20).toFixed(0)} MiB`);
      }
      if (now - t > opts.maxBuildMs && added < n) {
        log(`build: stopped at ${added}/${n}: over the ${opts.maxBuildMs / 1000} s cap`);
        break;
      }
      await new Promise((r) => setTimeout(r, 0));
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    log(`build: failed at ${added}/${n}: ${error}`);
  }
  const buildMs = performance.now() - t;
  const mem = memory(lib);
  const result: BuildResult = { complete: added === n && !error, added, fetchMs, buildMs, writeMs: NaN, indexBytes: 0, uploadMs: NaN, memory: mem };
  if (error) result.error = error;
  if (!result.complete) return result;
  t = performance.now();
  // writeIndex saves into the Emscripten FS and starts the IDBFS sync itself (wrapper.cpp).
  await index.writeIndex(opts.file);
  await waitSynced(lib, 600_000);
  result.writeMs = performance.now() - t;
  log(`build: written in ${(result.writeMs / 1000).toFixed(1)} s`);
  t = performance.now();
  const db = await openIdbfs();
  const entry = await idbRequest<{ contents: Uint8Array<ArrayBuffer> }>(db, 'readonly', (s) => s.get(`${MOUNT}/${opts.file}`));
  db.close();
  if (!entry?.contents) throw new Error(`${MOUNT}/${opts.file} is not in IndexedDB after writeIndex`);
  result.indexBytes = entry.contents.byteLength;
  // In pieces: the DevTools protocol reports each request body to Playwright, and one of 100+ MB overflows a string.
  const piece = 4 * 2 ** 20;
  for (let offset = 0; offset < entry.contents.byteLength; offset += piece) {
    const body = entry.contents.subarray(offset, offset + piece);
    const res = await fetch(`${opts.upload}?offset=${offset}`, { method: 'PUT', body });
    if (!res.ok) throw new Error(`upload: HTTP ${res.status}`);
  }
  result.uploadMs = performance.now() - t;
  return result;
}

async function loadAndQuery(opts: {
  dir: string;
  index: string;
  file: string;
  space: 'ip' | 'cosine';
  efs: number[];
  warmup: number;
}): Promise<LoadQueryResult> {
  const { n, d, k, queries } = await meta(opts.dir);
  const qv = new Float32Array(await fetchBuffer(`${opts.dir}/queries.f32`));
  const truth = new Int32Array(await fetchBuffer(`${opts.dir}/truth.i32`));
  const lib = await loadHnswlib();
  await waitSynced(lib, 60_000);
  const t0 = performance.now();
  const bytes = new Uint8Array(await fetchBuffer(opts.index));
  const t1 = performance.now();
  const db = await openIdbfs();
  await idbRequest(db, 'readwrite', (s) => s.put({ timestamp: new Date(), mode: FILE_MODE, contents: bytes }, `${MOUNT}/${opts.file}`));
  db.close();
  const t2 = performance.now();
  await syncFileSystem('read');
  const t3 = performance.now();
  if (!lib.EmscriptenFileSystemManager.checkFileExists(opts.file)) throw new Error(`${opts.file} not in the Emscripten FS after the IDBFS sync`);
  const index = new lib.HierarchicalNSW(opts.space, d, '');
  await index.readIndex(opts.file, n);
  const t4 = performance.now();
  if (index.getCurrentCount() !== n) throw new Error(`readIndex: ${index.getCurrentCount()} items, expected ${n}`);
  log(
    `load: ${(bytes.byteLength / 2 ** 20).toFixed(0)} MiB, download ${(t1 - t0).toFixed(0)} ms, IndexedDB ${(t2 - t1).toFixed(0)} ms, sync ${(t3 - t2).toFixed(0)} ms, readIndex ${(t4 - t3).toFixed(0)} ms`,
  );
  const result: LoadQueryResult = {
    downloadMs: t1 - t0,
    indexBytes: bytes.byteLength,
    idbPutMs: t2 - t1,
    syncMs: t3 - t2,
    readIndexMs: t4 - t3,
    loadMs: t4 - t0,
    memory: memory(lib),
    firstQueryMs: NaN,
    efs: [],
  };
  const query = (q: number) => qv.subarray(q * d, (q + 1) * d);
  index.setEfSearch(opts.efs[0]!);
  let t = performance.now();
  index.searchKnn(query(0), k, undefined);
  result.firstQueryMs = performance.now() - t;
  for (const ef of opts.efs) {
    index.setEfSearch(ef);
    for (let q = 0; q < Math.min(opts.warmup, queries); q++) index.searchKnn(query(q), k, undefined);
    const times: number[] = [];
    let sum = 0;
    for (let q = 0; q < queries; q++) {
      t = performance.now();
      const r = index.searchKnn(query(q), k, undefined);
      times.push(performance.now() - t);
      sum += recall(r.neighbors, truth, q, k);
    }
    result.efs.push({ efSearch: ef, recallAt10: sum / queries, times });
    log(`query: efSearch ${ef}: recall@10 ${(sum / queries).toFixed(3)}`);
    await new Promise((r) => setTimeout(r, 0));
  }
  return result;
}

async function exactScan(opts: { dir: string; maxQueries: number; warmup: number }): Promise<ExactResult> {
  const { d, k, queries, shards: files } = await meta(opts.dir);
  const qv = new Float32Array(await fetchBuffer(`${opts.dir}/queries.f32`));
  const truth = new Int32Array(await fetchBuffer(`${opts.dir}/truth.i32`));
  let t = performance.now();
  const buffers = await Promise.all(files.map((f) => fetchBuffer(`${opts.dir}/${f.path}`)));
  const downloadMs = performance.now() - t;
  t = performance.now();
  const shards: Shard[] = buffers.map((b, i) => decodeShard(b, { count: files[i]!.count, dimension: d }, files[i]!.path));
  const decodeMs = performance.now() - t;
  const count = Math.min(queries, opts.maxQueries);
  const query = (q: number) => qv.subarray(q * d, (q + 1) * d);
  for (let q = 0; q < Math.min(opts.warmup, count); q++) exactSearch(shards, query(q), k);
  const times: number[] = [];
  let sum = 0;
  for (let q = 0; q < count; q++) {
    t = performance.now();
    const r = exactSearch(shards, query(q), k);
    times.push(performance.now() - t);
    sum += recall(
      r.map((s) => s.index),
      truth,
      q,
      k,
    );
    if (q % 50 === 49) await new Promise((r) => setTimeout(r, 0));
  }
  log(`exact: ${count} queries, recall@10 ${(sum / count).toFixed(3)}`);
  return {
    downloadMs,
    shardBytes: buffers.reduce((s, b) => s + b.byteLength, 0),
    decodeMs,
    memory: memory(),
    queries: count,
    recallAt10: sum / count,
    times,
  };
}

const api = { build, loadAndQuery, exactScan, crossOriginIsolated: () => globalThis.crossOriginIsolated };
export type AnnBenchApi = typeof api;
(globalThis as unknown as { annBench: AnnBenchApi }).annBench = api;
document.title = 'ann-bench ready';
