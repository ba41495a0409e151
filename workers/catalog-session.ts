/**
 * The catalog the worker searches: downloaded (catalog.json + verified
 * shards, byte progress) and refused when built with other models. A failed
 * load leaves the previous catalog in use.
 */
import {
  CATALOG_FILE,
  CatalogError,
  MAX_CATALOG_FILE_BYTES,
  catalogJsonWording,
  checkCompatible,
  embeddingModelSha256,
  parseCatalogJson,
  partitionLayout,
  type AppModels,
  type CatalogItem,
  type CatalogJson,
} from '../src/shared/catalog-format.ts';
import { decodeShard } from '../src/shared/catalog-shards.ts';
import type { ModelManifest } from '../src/shared/manifest.ts';
import type { CatalogInfo, ItemView, SceneSummary, SceneView } from '../src/shared/worker-api/catalog.ts';
import { catalogFileUrl, productLinkUrl } from '../src/shared/catalog-urls.ts';
import { fetchVerified, versionedUrl, type ByteProgress } from './artifact-fetch.ts';
import { keepForOffline } from './offline-store.ts';
import { catalogFiles, loadCatalog, type LoadedCatalog } from './search/catalog-loader.ts';
import { PartitionedCatalog } from './search/partitioned-catalog.ts';
import { SearchIndex } from './search/search-index.ts';
import { findScene, reasonText, seenIn } from './scenes.ts';

export interface OpenCatalog {
  info: CatalogInfo;
  /**
   * The catalog's description, items and shards. A partitioned catalog's `items` holds only the items of partitions
   * on the device (a sparse list: look items up by the indices its searches return) and no shards.
   */
  catalog: LoadedCatalog;
  /** How it is searched: whole (SearchIndex), or partition by partition (PartitionedCatalog: large catalogs). */
  index: SearchIndex | PartitionedCatalog;
  /** Absolute URL of a file inside the catalog folder; undefined for a path that would lead elsewhere (see resolveCatalogUrl). */
  resolve(path: string | undefined): string | undefined;
  itemIndex: Map<string, number>;
  /** The catalog's taste-cluster file (parsed JSON), when it ships one. */
  readClusters(): Promise<unknown>;
}

/** catalog.json's text, read up to MAX_CATALOG_FILE_BYTES: a longer answer is refused, not read to its end. */
export async function readCatalogText(response: Response, url: string): Promise<string> {
  const tooLarge = () =>
    new CatalogError(`The catalog at ${url} is larger than any catalog.json can be (more than ${MAX_CATALOG_FILE_BYTES.toLocaleString('en')} bytes)`);
  if (Number(response.headers.get('content-length')) > MAX_CATALOG_FILE_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const reader = response.body?.getReader();
  if (!reader) return response.text();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    loaded += value.byteLength;
    if (loaded > MAX_CATALOG_FILE_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const decoder = new TextDecoder();
  return chunks.map((c) => decoder.decode(c, { stream: true })).join('') + decoder.decode();
}

/** Catalog files downloaded and verified ahead of `openCatalog` (while the models warm up); each is taken once. */
const prefetched = new Map<string, Promise<ArrayBuffer>>();
const prefetchKey = (base: string, file: { path: string; sha256: string }) => `${base}\u0000${file.path}\u0000${file.sha256}`;

/**
 * Starts downloading the files a catalog lists, so that opening it once the models are ready finds them here. Reads
 * catalog.json as `openCatalog` does; anything wrong is left for `openCatalog` to report, so this never throws.
 */
export async function prefetchCatalog(url: string): Promise<void> {
  try {
    const response = await fetch(url);
    if (!response.ok) return;
    const json: unknown = JSON.parse(await readCatalogText(response, url));
    const base = new URL('.', new URL(url, self.location.href)).href;
    for (const file of catalogFiles(parseCatalogJson(json, url.split('/').pop()?.split('?')[0] || CATALOG_FILE))) {
      const key = prefetchKey(base, file);
      if (prefetched.has(key)) continue;
      const download = fetchVerified(base, file);
      download.catch(() => prefetched.delete(key)); // openCatalog downloads it again, and reports what goes wrong
      prefetched.set(key, download);
    }
  } catch {
    // openCatalog reads catalog.json again and says what is wrong with it.
  }
}

/** A prefetched file (taken: the map lets go of it), or undefined. */
function takePrefetched(base: string, file: { path: string; sha256: string }): Promise<ArrayBuffer> | undefined {
  const key = prefetchKey(base, file);
  const download = prefetched.get(key);
  prefetched.delete(key);
  return download;
}

export async function openCatalog(
  url: string,
  manifest: ModelManifest,
  memberIds: string[],
  dimension: number,
  onProgress: (p: ByteProgress & { overall: { loaded: number; total: number } }) => void,
): Promise<OpenCatalog> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch {
    throw new CatalogError(
      navigator.onLine ? `The catalog at ${url} could not be reached` : `You are offline and the catalog ${url} is not stored on this device yet`,
    );
  }
  if (!response.ok) throw new CatalogError(`The catalog at ${url} could not be downloaded (HTTP ${response.status})`);
  const text = await readCatalogText(response, url);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CatalogError(`${url} is not valid JSON: it is not a Lookalike catalog`);
  }
  const base = new URL('.', new URL(url, self.location.href)).href;
  const fileName = url.split('/').pop()?.split('?')[0] || CATALOG_FILE;
  const app: AppModels = { ensembleId: manifest.ensembleId, dimension, modelSha256: embeddingModelSha256(manifest, memberIds) };
  const meta = parseCatalogJson(json, fileName);
  if (meta.partitions) {
    const open = await openPartitioned(url, base, meta, app, fileName, onProgress);
    await keepForOffline(new URL(url, self.location.href).href, text, response.headers.get('content-type'), { replace: true });
    return open;
  }
  const total = catalogFiles(meta).reduce((n, f) => n + f.bytes, 0);
  const perFile = new Map<string, number>();
  const report = (p: ByteProgress) => {
    perFile.set(p.file, p.loaded);
    onProgress({ ...p, overall: { loaded: [...perFile.values()].reduce((a, b) => a + b, 0), total } });
  };
  let catalog: LoadedCatalog;
  try {
    catalog = await loadCatalog(
      json,
      (file) => {
        const early = takePrefetched(base, file);
        if (!early) return fetchVerified(base, file, report);
        return early.then(
          async (bytes) => {
            // Prefetched before the app said whether to keep downloads for offline use: stored now, as fetchVerified would.
            await keepForOffline(versionedUrl(base, file), bytes, null, { replace: false });
            report({ file: file.path, loaded: bytes.byteLength, total: file.bytes });
            return bytes;
          },
          () => fetchVerified(base, file, report),
        );
      },
      app,
      fileName,
    );
  } finally {
    // What this catalog's prefetch downloaded and the loader did not take (a refused catalog): let it go.
    for (const key of [...prefetched.keys()]) if (key.startsWith(`${base}\u0000`)) prefetched.delete(key);
  }
  // Stored only once it loaded: a refused catalog.json is not kept for offline use.
  await keepForOffline(new URL(url, self.location.href).href, text, response.headers.get('content-type'), { replace: true });
  const index = new SearchIndex(catalog);
  index.prepare();
  return {
    info: {
      url,
      name: catalog.meta.name,
      count: catalog.meta.count,
      dimension: catalog.meta.dimension,
      bytes: total,
      categories: countCategories(catalog.items),
      scenes: catalog.meta.scenes?.length ?? 0,
      sceneCategories: sceneCategories(catalog),
      searchPath: index.path,
    },
    catalog,
    index,
    resolve: (path) => (path ? catalogFileUrl(path, base) : undefined),
    itemIndex: new Map(catalog.items.map((item, i) => [item.id, i])),
    readClusters: clusterReader(base, catalog.meta),
  };
}

/** Reads the catalog's taste-cluster file once per opened catalog (the page asks again whenever it rebuilds the taste context); a failed read is tried again. */
function clusterReader(base: string, meta: CatalogJson): () => Promise<unknown> {
  let clusters: Promise<unknown> | undefined;
  return () =>
    (clusters ??= (async () => {
      const file = meta.clusters;
      return file ? (JSON.parse(new TextDecoder().decode(await fetchVerified(base, file))) as unknown) : undefined;
    })().catch((error: unknown) => {
      clusters = undefined;
      throw error;
    }));
}

/** Shard bytes a partitioned catalog keeps on the device between searches (beyond it, least recently used partitions go). */
export const PARTITION_MEMORY_BYTES = 64 * 1024 * 1024;

/**
 * A partitioned catalog (format 2): downloads catalog.json's centroid file only; each search downloads the partitions
 * it needs (see workers/search/partitioned-catalog.ts).
 */
async function openPartitioned(
  url: string,
  base: string,
  meta: CatalogJson,
  app: AppModels,
  fileName: string,
  onProgress: (p: ByteProgress & { overall: { loaded: number; total: number } }) => void,
): Promise<OpenCatalog> {
  checkCompatible(meta, app, catalogJsonWording(meta, fileName));
  const layout = partitionLayout(meta)!;
  const centroidFile = meta.partitions!.centroids;
  const total = centroidFile.bytes;
  const report = (p: ByteProgress) => onProgress({ ...p, overall: { loaded: p.loaded, total } });
  const early = takePrefetched(base, centroidFile);
  const centroidBytes = early
    ? await early.then(
        async (bytes) => {
          // Prefetched before the app said whether to keep downloads for offline use: stored now, as fetchVerified would.
          await keepForOffline(versionedUrl(base, centroidFile), bytes, null, { replace: false });
          return bytes;
        },
        () => fetchVerified(base, centroidFile, report),
      )
    : await fetchVerified(base, centroidFile, report);
  const centroids = decodeShard(centroidBytes, { count: centroidFile.count, dimension: meta.dimension }, centroidFile.path);
  const index = new PartitionedCatalog(meta, layout, centroids, (file) => fetchVerified(base, file), { maxResidentBytes: PARTITION_MEMORY_BYTES });
  const categories = index.categories();
  return {
    info: {
      url,
      name: meta.name,
      count: meta.count,
      dimension: meta.dimension,
      bytes: total,
      categories,
      scenes: meta.scenes?.length ?? 0,
      // Which products the scenes show is known only once their partitions are on the device: offer "Seen in" for all.
      sceneCategories: meta.scenes?.length ? Object.keys(categories).sort() : [],
      searchPath: index.path,
      partitions: layout.length,
    },
    catalog: { meta, items: index.items as CatalogItem[], shards: [] },
    index,
    resolve: (path) => (path ? catalogFileUrl(path, base) : undefined),
    itemIndex: index.itemIndex,
    readClusters: clusterReader(base, meta),
  };
}

/** The categories of the items that appear in the catalog's scenes, sorted. */
function sceneCategories(catalog: LoadedCatalog): string[] {
  const inScenes = new Set((catalog.meta.scenes ?? []).flatMap((scene) => scene.itemIds));
  return [...new Set(catalog.items.flatMap((item) => (item.category && inScenes.has(item.id) ? [item.category] : [])))].sort();
}

/**
 * Items per category, as a null-prototype object: categories named
 * "constructor", "__proto__" or "toString" count like any other.
 */
export function countCategories(items: readonly { category?: string }[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) if (item.category) counts.set(item.category, (counts.get(item.category) ?? 0) + 1);
  return Object.assign(Object.create(null) as Record<string, number>, Object.fromEntries(counts));
}

export function itemView(open: OpenCatalog, item: CatalogItem): ItemView {
  // Links are read by the URL parser, and only http(s) ones are offered; a local catalog (local:…) has no folder for relative ones.
  const link = item.url ? productLinkUrl(item.url, open.info.url) : undefined;
  const thumbnail = item.thumbnail ? open.resolve(item.thumbnail) : undefined;
  return {
    id: item.id,
    title: item.title,
    ...(item.category ? { category: item.category } : {}),
    ...(item.price !== undefined ? { price: item.price } : {}),
    ...(link ? { url: link } : {}),
    ...(thumbnail ? { thumbnail } : {}),
    ...(item.attributes ? { attributes: item.attributes } : {}),
  };
}

/** Look-alikes less similar than this are not offered under "Seen in" (raw-feature cosines of unrelated products run 0.1–0.5). */
export const SEEN_IN_MIN_SIMILARITY = 0.5;

/** Scenes that show `itemId` or, when fewer than `limit` do, its closest look-alikes (see workers/scenes.ts). */
export function seenInScenes(open: OpenCatalog, itemId: string, limit: number, minSimilarity = SEEN_IN_MIN_SIMILARITY): SceneSummary[] {
  const matches = seenIn({
    scenes: open.catalog.meta.scenes ?? [],
    itemIndex: open.index.path === 'partitioned' ? onDevice(open, itemId) : open.itemIndex,
    vector: (i) => open.index.vector(i),
    category: (i) => open.catalog.items[i]?.category,
    itemId,
    limit,
    minSimilarity,
  });
  return matches.map(({ scene, reason }) => {
    const other = reason.kind === 'look-alike' ? open.catalog.items[open.itemIndex.get(reason.itemId)!]! : undefined;
    const thumbnail = open.resolve(scene.thumbnail);
    return {
      id: scene.id,
      title: scene.title,
      image: open.resolve(scene.image) ?? '',
      ...(thumbnail ? { thumbnail } : {}),
      itemCount: scene.itemIds.length,
      reason,
      why: reasonText(reason),
      ...(other && reason.kind === 'look-alike' ? { lookAlike: { id: other.id, title: other.title, similarity: reason.similarity } } : {}),
    };
  });
}

/**
 * A partitioned catalog's scene items (and `itemId`) whose vectors are on the device: "Seen in" compares the item
 * with those only, and never downloads partitions for it.
 */
function onDevice(open: OpenCatalog, itemId: string): Map<string, number> {
  const out = new Map<string, number>();
  const ids = new Set([itemId, ...(open.catalog.meta.scenes ?? []).flatMap((scene) => scene.itemIds)]);
  for (const id of ids) {
    const i = open.itemIndex.get(id);
    if (i === undefined) continue;
    try {
      open.index.vector(i);
      out.set(id, i);
    } catch {
      // its partition is not on the device
    }
  }
  return out;
}

/** The scene `sceneId` with its items, in the order the catalog lists them. */
export function sceneWithItems(open: OpenCatalog, sceneId: string): SceneView {
  const scene = findScene(open.catalog.meta.scenes ?? [], sceneId);
  const thumbnail = open.resolve(scene.thumbnail);
  return {
    id: scene.id,
    title: scene.title,
    image: open.resolve(scene.image) ?? '',
    ...(thumbnail ? { thumbnail } : {}),
    items: scene.itemIds.flatMap((id) => {
      const i = open.itemIndex.get(id);
      return i === undefined ? [] : [itemView(open, open.catalog.items[i]!)];
    }),
  };
}
