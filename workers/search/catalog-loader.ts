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

/**
 * `json` is catalog.json parsed; `file` names it in error messages (its URL or path).
 * Throws CatalogError for a malformed, newer or mismatched catalog before reading anything else.
 */
export async function loadCatalog(json: unknown, read: CatalogFileReader, app: AppModels, file = CATALOG_FILE): Promise<LoadedCatalog> {
  const meta = parseCatalogJson(json, file);
  checkCompatible(meta, app, catalogJsonWording(meta, file));
  const decoder = new TextDecoder();
  const itemLists = await Promise.all(
    meta.items.map(async (f) => {
      const bytes = await read(f);
      let parsed: unknown;
      try {
        parsed = JSON.parse(decoder.decode(bytes));
      } catch (error) {
        throw new CatalogError(`${f.path} is not valid JSON (${errorMessage(error)})`);
      }
      return parseItemsJson(parsed, f.path, f.count);
    }),
  );
  const items = itemLists.flat();
  checkItems(meta, items, file);
  const shards = await Promise.all(meta.shards.map(async (f) => decodeShard(await read(f), { count: f.count, dimension: meta.dimension }, f.path)));
  return { meta, items, shards };
}
