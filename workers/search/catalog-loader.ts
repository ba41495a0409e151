/**
 * Loads a catalog from its files, given a reader (the worker's fetchVerified,
 * or the Node tools' file reader; the reader checks size and sha256): validates
 * catalog.json, refuses other models' catalogs, reads the item files and
 * decodes the shards. Realm-neutral.
 */
import {
  CATALOG_FILE,
  CatalogError,
  catalogJsonWording,
  checkCompatible,
  checkItems,
  parseCatalogJson,
  parseItemsJson,
  type AppModels,
  type CatalogItem,
  type CatalogJson,
  type ItemsFile,
} from '../../src/shared/catalog-format.ts';
import { decodeShard, type Shard } from '../../src/shared/catalog-shards.ts';
import { errorMessage } from '../../src/shared/errors.ts';
import type { ArtifactFile } from '../../src/shared/manifest.ts';

export interface LoadedCatalog {
  meta: CatalogJson;
  /** Catalog order: item i has vector i. */
  items: CatalogItem[];
  shards: Shard[];
}

/** Reads one file listed in catalog.json, verified against its size and sha256. */
export type CatalogFileReader = (file: ArtifactFile) => Promise<ArrayBuffer>;

/**
 * The files opening the catalog downloads (for download progress: sum their bytes): every item file and shard, or
 * for a partitioned catalog only its centroid file (searches download partitions as they need them).
 */
export function catalogFiles(meta: CatalogJson): ArtifactFile[] {
  const files = meta.partitions ? [meta.partitions.centroids] : [...meta.items, ...meta.shards];
  return files.map(({ path, bytes, sha256 }) => ({ path, bytes, sha256 }));
}

/** One item file's items, validated (parseItemsJson); throws CatalogError naming the file. */
export function decodeItemsFile(bytes: ArrayBuffer, file: ItemsFile): CatalogItem[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new CatalogError(`${file.path} is not valid JSON (${errorMessage(error)})`);
  }
  return parseItemsJson(parsed, file.path, file.count);
}

/**
 * `json` is catalog.json parsed; `file` names it in error messages (its URL or path).
 * Throws CatalogError for a malformed, newer or mismatched catalog before reading anything else.
 */
export async function loadCatalog(json: unknown, read: CatalogFileReader, app: AppModels, file = CATALOG_FILE): Promise<LoadedCatalog> {
  const meta = parseCatalogJson(json, file);
  checkCompatible(meta, app, catalogJsonWording(meta, file));
  const itemLists = await Promise.all(meta.items.map(async (f) => decodeItemsFile(await read(f), f)));
  const items = itemLists.flat();
  checkItems(meta, items, file);
  const shards = await Promise.all(meta.shards.map(async (f) => decodeShard(await read(f), { count: f.count, dimension: meta.dimension }, f.path)));
  return { meta, items, shards };
}
