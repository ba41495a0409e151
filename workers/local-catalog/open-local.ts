/**
 * A stored local catalog, opened as the same OpenCatalog a downloaded one
 * becomes (workers/catalog-session.ts): catalog.json-like meta, items whose
 * thumbnails are object URLs of the stored JPEGs, int8 shards and a
 * SearchIndex, so search, items() and listItems() work unchanged. The object
 * URLs are revoked when the index is disposed (which the worker does whenever
 * it drops a catalog) or on close().
 */
import {
  FLAT_CATALOG_FORMAT_VERSION,
  checkCompatible,
  shardByteLength,
  vectorsPerShard,
  type AppModels,
  type CatalogItem,
  type CatalogJson,
  type CompatibilityWording,
} from '../../src/shared/catalog-format.ts';
import { allocateShard, decodeShard, type Shard } from '../../src/shared/catalog-shards.ts';
import { countCategories, type OpenCatalog } from '../catalog-session.ts';
import { SearchIndex, type SearchableCatalog, type SearchIndexOptions } from '../search/search-index.ts';
import { LocalCatalogError, LocalCatalogModelsError, LocalCatalogNotFoundError } from './errors.ts';
import type { LocalCatalogRecord, LocalCatalogStore, LocalItemRecord, LocalVectorRecord } from './store.ts';

/** How thumbnails become URLs (tests inject a stub; the worker uses URL.createObjectURL). */
export interface ObjectUrls {
  create(blob: Blob): string;
  revoke(url: string): void;
}

export const browserObjectUrls: ObjectUrls = {
  create: (blob) => URL.createObjectURL(blob),
  revoke: (url) => URL.revokeObjectURL(url),
};

/** `info.url` of a local catalog (it has no catalog.json URL). */
export const localCatalogUrl = (id: string): string => `local:${id}`;

export interface LocalOpenCatalog extends OpenCatalog {
  localId: string;
  /** Disposes the index and revokes the thumbnails' object URLs. */
  close(): void;
}

export interface OpenLocalOptions {
  app: AppModels;
  urls?: ObjectUrls;
  search?: SearchIndexOptions;
}

/**
 * How checkCompatible speaks of a stored local catalog: re-indexing is choosing
 * its photos again under its name. It throws LocalCatalogModelsError (a CatalogError).
 */
export function localCatalogWording(record: LocalCatalogRecord): CompatibilityWording {
  const fix = `index its photos again with the current models (choose them again under the name "${record.name}": the old vectors are replaced)`;
  return {
    subject: `The local catalog "${record.name}"`,
    made: 'indexed',
    fix: { ensemble: fix, dimension: fix, modelFiles: fix },
    error: (message) => new LocalCatalogModelsError(record.id, message),
  };
}

/** The stored per-photo vectors as catalog shards (the shard file layout, checked by decodeShard). */
export function buildShards(vectors: readonly LocalVectorRecord[], dimension: number, perShard = vectorsPerShard(dimension)): Shard[] {
  const shards: Shard[] = [];
  for (let start = 0; start < vectors.length; start += perShard) {
    const part = vectors.slice(start, start + perShard);
    const count = part.length;
    const { bytes, shard } = allocateShard(count, dimension);
    part.forEach((v, i) => {
      if (v.codes.length !== dimension)
        throw new LocalCatalogError(`photo ${start + i} has a ${v.codes.length}-dimensional vector where ${dimension} were expected`);
      shard.scales[i] = v.scale;
      shard.codes.set(v.codes, i * dimension);
    });
    shards.push(decodeShard(bytes, { count, dimension }, `local shard ${shards.length}`));
  }
  return shards;
}

/** A SearchIndex that also releases the catalog's object URLs when disposed. */
class LocalSearchIndex extends SearchIndex {
  private released = false;
  constructor(
    catalog: SearchableCatalog,
    options: SearchIndexOptions,
    private readonly release: () => void,
  ) {
    super(catalog, options);
  }

  override dispose(): void {
    super.dispose();
    if (!this.released) {
      this.released = true;
      this.release();
    }
  }
}

function toCatalogItem(item: LocalItemRecord, thumbnail: string): CatalogItem {
  return {
    id: item.id,
    title: item.title,
    thumbnail,
    ...(item.category ? { category: item.category } : {}),
    ...(item.source ? { source: item.source } : {}),
    ...(item.attributes ? { attributes: item.attributes } : {}),
  };
}

function toMeta(record: LocalCatalogRecord): CatalogJson {
  return {
    formatVersion: FLAT_CATALOG_FORMAT_VERSION,
    name: record.name,
    ensembleId: record.ensembleId,
    modelSha256: [...record.modelSha256],
    dimension: record.dimension,
    dtype: 'int8',
    count: record.count,
    // Nothing to download: the vectors and items come from IndexedDB.
    shards: [],
    items: [],
    createdAt: new Date(record.createdAt).toISOString(),
  };
}

/**
 * Opens local catalog `id` for searching. Throws LocalCatalogNotFoundError,
 * LocalCatalogModelsError (other models: re-index), or LocalCatalogError (empty or damaged).
 */
export async function openLocalCatalog(store: LocalCatalogStore, id: string, options: OpenLocalOptions): Promise<LocalOpenCatalog> {
  const record = await store.getCatalog(id);
  if (!record) throw new LocalCatalogNotFoundError(id);
  checkCompatible(record, options.app, localCatalogWording(record));
  const stored = await store.readCatalog(id);
  if (!stored) throw new LocalCatalogNotFoundError(id);
  checkCompatible(stored.record, options.app, localCatalogWording(stored.record)); // re-indexed in between?
  if (stored.record.count === 0) throw new LocalCatalogError(`The local catalog "${stored.record.name}" has no photos yet: index some photos first.`);
  const { dimension } = stored.record;
  const shards = buildShards(stored.vectors, dimension);

  const urls = options.urls ?? browserObjectUrls;
  const created: string[] = [];
  const release = () => {
    for (const url of created.splice(0)) urls.revoke(url);
  };
  let index: LocalSearchIndex;
  let items: CatalogItem[];
  try {
    items = stored.items.map((item) => {
      const url = urls.create(item.thumbnail);
      created.push(url);
      return toCatalogItem(item, url);
    });
    index = new LocalSearchIndex({ items, shards }, options.search ?? {}, release);
    index.prepare();
  } catch (e) {
    release();
    throw e;
  }
  const bytes = stored.items.reduce((n, item) => n + item.thumbnail.size, 0) + shards.reduce((n, s) => n + shardByteLength(s.count, s.dimension), 0);
  return {
    localId: id,
    info: {
      url: localCatalogUrl(id),
      name: stored.record.name,
      count: stored.record.count,
      dimension,
      bytes,
      categories: countCategories(items),
      scenes: 0,
      sceneCategories: [],
      searchPath: index.path,
    },
    catalog: { meta: toMeta(stored.record), items, shards },
    index,
    // Thumbnails are object URLs already (absolute); nothing else lives in a folder.
    resolve: (path) => path || undefined,
    // A catalog of the shopper's own photos has no shop-wide taste clusters.
    readClusters: async () => undefined,
    itemIndex: new Map(items.map((item, i) => [item.id, i])),
    close: () => index.dispose(),
  };
}
