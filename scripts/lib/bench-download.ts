/**
 * What the app costs to download, from the build in dist/ and the shipped
 * manifest: the page's JS, the worker bundle and the chunks it loads, the tfjs
 * wasm binaries, the Service Worker precache (what a first visit really fetches),
 * each model file, and a 10,000-item catalog at the shipped dimension.
 * Sizes raw and gzip (level 6, what servers typically use).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEFAULT_SHARD_BYTES, shardByteLength, vectorsPerShard, type CatalogJson } from '../../src/shared/catalog-format.ts';
import { backbones, parseManifest, type ModelManifest } from '../../src/shared/manifest.ts';
import { encodeShard, quantize } from '../../src/shared/catalog-shards.ts';

export interface SizedFile {
  file: string;
  bytes: number;
  gzip: number;
  /** When it is fetched. */
  note?: string;
}

export interface CatalogEstimate {
  items: number;
  dimension: number;
  shards: { count: number; bytes: number }[];
  shardBytes: number;
  /** gzip of int8 codes measured on `gzipSample` and scaled. */
  shardGzipBytes: number;
  itemsJsonBytes: number;
  itemsJsonGzipBytes: number;
  catalogJsonBytes: number;
  /** Everything opening the catalog downloads (catalog.json, shards, item files). */
  totalBytes: number;
  totalGzipBytes: number;
  /** Thumbnails are fetched only for results shown (24 per query), never up front. */
  thumbnailBytesEach: number;
  /** Where the per-item figures came from. */
  sample: string;
}

export interface DownloadReport {
  page: SizedFile[];
  worker: SizedFile[];
  wasm: SizedFile[];
  models: SizedFile[];
  /** Service Worker precache: every file a first visit fetches besides models and catalogs. */
  precache: { files: number; bytes: number; gzip: number };
  /** What the first search waits for (page, worker and the chunks it loads on that backend, models): the critical path. */
  firstSearch: Record<'webgpu' | 'wasm', { bytes: number; gzip: number }>;
  /** All a first visit fetches: the precache (the Service Worker fetches it in the background) plus the models. */
  firstVisit: { bytes: number; gzip: number };
  catalog10k: CatalogEstimate;
}

function sized(path: string, name: string, note?: string): SizedFile {
  const data = readFileSync(path);
  return {
    file: name,
    bytes: data.length,
    gzip: gzipSync(data, { level: 6 }).length,
    ...(note ? { note } : {}),
  };
}

/** Relative chunk names a built ES module imports, statically or with import(). */
export function chunkImports(code: string): { static: string[]; dynamic: string[] } {
  const stat = new Set<string>();
  const dyn = new Set<string>();
  for (const m of code.matchAll(/(?:\bfrom|\bimport)\s*["'`]\.\/([\w.-]+\.js)["'`]/g)) stat.add(m[1]!);
  for (const m of code.matchAll(/\bimport\(\s*["'`]\.\/([\w.-]+\.js)["'`]\s*\)/g)) dyn.add(m[1]!);
  return { static: [...stat], dynamic: [...dyn].filter((d) => !stat.has(d)) };
}

/** What each lazily imported worker chunk holds, from its content. */
function describeChunk(code: string, name: string): string {
  if (/webgpu/i.test(code) && /GPUBufferUsage|requestAdapter|createComputePipeline/.test(code)) return 'WebGPU backend: loaded on webgpu only';
  if (/mobilenetv3/i.test(name)) return 'MobileNetV3-Small builder: loaded with that member';
  if (/vgg19/i.test(name)) return 'VGG19 builder: only when the optional member is installed';
  return 'lazy chunk';
}

export function measureDownload(root: string, modelsDir = resolve(root, 'model-artifacts/shipped')): DownloadReport {
  const dist = resolve(root, 'dist');
  const assets = join(dist, 'assets');
  if (!existsSync(join(dist, 'index.html'))) throw new Error('dist/ is missing: build the app first (npx vite build)');
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const pageFiles = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[\w.-]+\.(?:js|css))"/g)].map((m) => m[1]!);
  const page = [...new Set(pageFiles)].map((f) => sized(join(dist, f), f, f.endsWith('.css') ? 'stylesheet' : 'page script'));
  page.unshift(sized(join(dist, 'index.html'), 'index.html', 'document'));

  // The worker: named in the page script as new URL(`inference.worker-….js`, import.meta.url).
  const mainJs = page
    .filter((f) => f.file.endsWith('.js'))
    .map((f) => readFileSync(join(dist, f.file), 'utf8'))
    .join('\n');
  const workerName = mainJs.match(/inference\.worker-[\w-]+\.js/)?.[0];
  if (!workerName) throw new Error('could not find the worker bundle in the page script');
  const worker: SizedFile[] = [];
  const seen = new Set<string>();
  const visit = (name: string, note: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const code = readFileSync(join(assets, name), 'utf8');
    worker.push(sized(join(assets, name), `assets/${name}`, note));
    const { static: st, dynamic } = chunkImports(code);
    for (const s of st) visit(s, note === 'worker entry' ? 'static import of the worker' : note);
    for (const d of dynamic) visit(d, describeChunk(readFileSync(join(assets, d), 'utf8'), d));
  };
  visit(workerName, 'worker entry');

  const wasm = readdirSync(assets)
    .filter((f) => f.endsWith('.wasm'))
    .map((f) => {
      const kind = f.includes('threaded')
        ? 'threads+SIMD: loaded in a cross-origin isolated page on 4 cores or more (?threads=auto)'
        : f.includes('simd')
          ? 'SIMD: what the wasm backend loads otherwise (this 2-core machine)'
          : 'plain: for browsers without SIMD';
      return sized(join(assets, f), `assets/${f}`, kind);
    });

  // Service Worker precache list: precacheAndRoute([{url:"…",revision:…},…]).
  const swPath = join(dist, 'sw.js');
  const precacheUrls = existsSync(swPath) ? [...new Set([...readFileSync(swPath, 'utf8').matchAll(/\{url:"([^"]+)",revision:/g)].map((m) => m[1]!))] : [];
  const precache = { files: precacheUrls.length, bytes: 0, gzip: 0 };
  for (const url of precacheUrls) {
    const path = join(dist, url);
    if (!existsSync(path)) continue;
    const s = sized(path, url);
    precache.bytes += s.bytes;
    precache.gzip += s.gzip;
  }
  if (existsSync(swPath)) {
    for (const f of ['sw.js', ...readdirSync(dist).filter((n) => /^workbox-[\w-]+\.js$/.test(n))]) {
      const s = sized(join(dist, f), f);
      precache.bytes += s.bytes;
      precache.gzip += s.gzip;
      precache.files++;
    }
  }

  const manifest = parseManifest(JSON.parse(readFileSync(join(modelsDir, 'manifest.json'), 'utf8')));
  const models: SizedFile[] = [sized(join(modelsDir, 'manifest.json'), 'models/manifest.json', 'model list')];
  const usedBy = new Map<string, string[]>();
  for (const entry of manifest.models)
    for (const f of entry.files) usedBy.set(f.path, [...(usedBy.get(f.path) ?? []), `${entry.id} (${entry.role}${entry.optional ? ', optional' : ''})`]);
  for (const head of manifest.heads ?? []) for (const f of head.files) usedBy.set(f.path, [...(usedBy.get(f.path) ?? []), `head ${head.modelId}`]);
  for (const f of manifest.projection?.files ?? []) usedBy.set(f.path, [...(usedBy.get(f.path) ?? []), 'projection']);
  for (const [path, users] of usedBy) {
    const full = join(modelsDir, path);
    if (!existsSync(full)) continue;
    models.push(sized(full, `models/${path}`, users.join(', ')));
  }

  const sum = (files: SizedFile[]) => ({ bytes: files.reduce((n, f) => n + f.bytes, 0), gzip: files.reduce((n, f) => n + f.gzip, 0) });
  const wasmSimd = wasm.filter((w) => w.note?.startsWith('SIMD'));
  const workerCore = worker.filter((w) => w.note === 'worker entry' || w.note === 'static import of the worker' || w.note?.startsWith('MobileNetV3'));
  const webgpuChunk = worker.filter((w) => w.note?.startsWith('WebGPU'));
  const base = [...page, ...workerCore, ...models];
  const firstSearch = { webgpu: sum([...base, ...webgpuChunk]), wasm: sum([...base, ...wasmSimd]) };
  const modelSum = sum(models);
  const firstVisit = { bytes: precache.bytes + modelSum.bytes, gzip: precache.gzip + modelSum.gzip };

  return { page, worker, wasm, models, precache, firstSearch, firstVisit, catalog10k: estimateCatalog(root, manifest, 10_000) };
}

function embedderDimension(manifest: ModelManifest): number {
  return (
    manifest.projection?.outputDim ??
    backbones(manifest)
      .filter((b) => !b.optional)
      .reduce((n, b) => n + b.featureDim, 0)
  );
}

/** A real catalog on disk to take per-item JSON and thumbnail sizes from (largest first). */
function findSampleCatalog(root: string): string | undefined {
  const candidates = [
    resolve(root, '.cache/catalogs/hm'),
    resolve(root, '.cache/catalogs/ikea'),
    resolve(root, '.cache/demo-catalog'),
    resolve(root, '.cache/test-catalog'),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'catalog.json')));
}

/** Sizes of an N-item catalog at the shipped dimension, exact for the shards (catalog-format.ts), per-item JSON from a real catalog. */
export function estimateCatalog(root: string, manifest: ModelManifest, items: number): CatalogEstimate {
  const dimension = embedderDimension(manifest);
  const per = vectorsPerShard(dimension, DEFAULT_SHARD_BYTES);
  const shards: { count: number; bytes: number }[] = [];
  for (let start = 0; start < items; start += per) {
    const count = Math.min(per, items - start);
    shards.push({ count, bytes: shardByteLength(count, dimension) });
  }
  const shardBytes = shards.reduce((n, s) => n + s.bytes, 0);

  let sample = 'synthetic (no catalog on disk)';
  let shardGzipRatio: number;
  let itemBytes = 200;
  let itemGzipRatio = 0.2;
  let thumbnailBytesEach = 0;
  const dir = findSampleCatalog(root);
  if (dir) {
    const cat = JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8')) as CatalogJson;
    const shardFile = join(dir, cat.shards[0]!.path);
    const shardData = readFileSync(shardFile);
    shardGzipRatio = gzipSync(shardData, { level: 6 }).length / shardData.length;
    const itemsData = readFileSync(join(dir, cat.items[0]!.path));
    itemBytes = itemsData.length / cat.items[0]!.count;
    itemGzipRatio = gzipSync(itemsData, { level: 6 }).length / itemsData.length;
    const thumbs = join(dir, 'thumbs');
    if (existsSync(thumbs)) {
      const files = readdirSync(thumbs).slice(0, 500);
      thumbnailBytesEach = Math.round(files.reduce((n, f) => n + statSync(join(thumbs, f)).size, 0) / Math.max(1, files.length));
    }
    sample = `${basename(dir)} catalog on disk (${cat.count.toLocaleString('en')} items, d=${cat.dimension})`;
  } else {
    // Random unit vectors compress worse than real embeddings: an upper bound.
    const count = 500;
    const v = new Float32Array(count * dimension).map((_, i) => Math.sin(i * 12.9898) * 0.05);
    const bytes = encodeShard(quantize(v, count, dimension));
    shardGzipRatio = gzipSync(bytes, { level: 6 }).length / bytes.length;
  }
  const itemsJsonBytes = Math.round(itemBytes * items);
  const itemsJsonGzipBytes = Math.round(itemsJsonBytes * itemGzipRatio);
  const catalogJson: CatalogJson = {
    formatVersion: 1,
    name: 'A 10k catalog',
    ensembleId: manifest.ensembleId,
    modelSha256: backbones(manifest).flatMap((b) => b.files.map((f) => f.sha256)),
    dimension,
    dtype: 'int8',
    count: items,
    shards: shards.map((s, i) => ({ path: `embeddings-${String(i).padStart(3, '0')}.bin`, bytes: s.bytes, sha256: '0'.repeat(64), count: s.count })),
    items: [{ path: 'items-000.json', bytes: itemsJsonBytes, sha256: '0'.repeat(64), count: items }],
    createdAt: new Date(0).toISOString(),
  };
  const catalogJsonBytes = JSON.stringify(catalogJson).length;
  const shardGzipBytes = Math.round(shardBytes * shardGzipRatio);
  return {
    items,
    dimension,
    shards,
    shardBytes,
    shardGzipBytes,
    itemsJsonBytes,
    itemsJsonGzipBytes,
    catalogJsonBytes,
    totalBytes: shardBytes + itemsJsonBytes + catalogJsonBytes,
    totalGzipBytes: shardGzipBytes + itemsJsonGzipBytes + Math.round(catalogJsonBytes * 0.5),
    thumbnailBytesEach,
    sample,
  };
}
