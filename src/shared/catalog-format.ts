/**
 * The catalog format (docs/catalog-format.md): `catalog.json`, its int8
 * embedding shards and its item files. Types and validation only; realm-neutral
 * (page, worker and Node tools), no tfjs.
 */
import type { ArtifactFile, ModelManifest } from './manifest.ts';
import { LookalikeError } from './errors.ts';
import { isSha256 } from './sha256.ts';

export const CATALOG_FORMAT_VERSION = 1;
export const CATALOG_FILE = 'catalog.json';

/** One binary embedding shard: `count` consecutive items, in catalog order. */
export interface ShardFile extends ArtifactFile {
  count: number;
}

/** One JSON file of item metadata: `count` consecutive items, in catalog order. */
export interface ItemsFile extends ArtifactFile {
  count: number;
}

export interface CatalogItem {
  /** Unique in the catalog. */
  id: string;
  title: string;
  category?: string;
  price?: number;
  /** The product page. */
  url?: string;
  /** Path relative to the catalog folder, e.g. `thumbs/3f2a….jpg`. */
  thumbnail?: string;
  /** Which input the item came from (e.g. `ikea/products.csv`). */
  source?: string;
  /** Everything else the input had: colour, product type, … */
  attributes?: Record<string, string>;
}

/** A scene photo (a room) and the catalog items that appear in it. */
export interface CatalogScene {
  id: string;
  title: string;
  /** Path relative to the catalog folder. */
  image: string;
  thumbnail?: string;
  itemIds: string[];
}

export interface CatalogJson {
  formatVersion: 1;
  name: string;
  /** The model ensemble the embeddings were computed with (manifest.json's ensembleId). */
  ensembleId: string;
  /** sha256 of every model file that shaped the embeddings, sorted. */
  modelSha256: string[];
  dimension: number;
  /** int8 codes with one float32 scale per vector (symmetric: scale = max|x| / 127). */
  dtype: 'int8';
  count: number;
  shards: ShardFile[];
  items: ItemsFile[];
  /** Price currency (ISO 4217), when items have prices. */
  currency?: string;
  createdAt?: string;
  scenes?: CatalogScene[];
  /** Category → categories that go with it ("what goes with my sofa"). */
  complements?: Record<string, string[]>;
  /** Taste clusters of the shop's anonymous shoppers (`npm run clusters`), matched to the shopper on the device. */
  clusters?: ArtifactFile;
}

export class CatalogError extends LookalikeError {
  override name = 'CatalogError';
}

/** What the running app has loaded: a catalog must match it. */
export interface AppModels {
  ensembleId: string;
  dimension: number;
  /** When given, must equal the catalog's list (catches an optional member loaded on one side only). */
  modelSha256?: readonly string[];
}

/** The sorted sha256 list of the files that shape the embedding: the loaded backbones' and the projection's. */
export function embeddingModelSha256(manifest: ModelManifest, loadedMemberIds: readonly string[]): string[] {
  const shas = new Set<string>();
  for (const model of manifest.models) if (loadedMemberIds.includes(model.id)) for (const f of model.files) shas.add(f.sha256);
  for (const f of manifest.projection?.files ?? []) shas.add(f.sha256);
  return [...shas].sort();
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/** A relative path inside the catalog folder: no `..`, no leading `/`, no scheme. */
export function isSafeRelativePath(p: unknown): p is string {
  return typeof p === 'string' && p.length > 0 && !p.startsWith('/') && !p.includes('\\') && !/^[a-z][a-z0-9+.-]*:/i.test(p) && !p.split('/').includes('..');
}

function checkFileList(value: unknown, key: string, file: string): (ArtifactFile & { count: number })[] {
  if (!Array.isArray(value)) throw new CatalogError(`${file}: "${key}" must be a list of files`);
  return value.map((entry, index) => {
    if (!isObject(entry)) throw new CatalogError(`${file}: ${key}[${index}] is not an object`);
    if (!isSafeRelativePath(entry.path)) throw new CatalogError(`${file}: ${key}[${index}] has an invalid path`);
    if (!Number.isInteger(entry.bytes) || (entry.bytes as number) <= 0) throw new CatalogError(`${file}: ${entry.path} has no valid byte size`);
    if (!isSha256(entry.sha256)) throw new CatalogError(`${file}: ${entry.path} has no valid sha256`);
    if (!isCount(entry.count)) throw new CatalogError(`${file}: ${entry.path} has no valid item count`);
    return { path: entry.path, bytes: entry.bytes as number, sha256: entry.sha256, count: entry.count };
  });
}

function checkScenes(value: unknown, file: string): CatalogScene[] {
  if (!Array.isArray(value)) throw new CatalogError(`${file}: "scenes" must be a list`);
  const ids = new Set<string>();
  return value.map((scene, index) => {
    const where = `${file}: scenes[${index}]`;
    if (!isObject(scene)) throw new CatalogError(`${where} is not an object`);
    if (typeof scene.id !== 'string' || !scene.id) throw new CatalogError(`${where} has no id`);
    if (ids.has(scene.id)) throw new CatalogError(`${where}: duplicate scene id "${scene.id}"`);
    ids.add(scene.id);
    if (typeof scene.title !== 'string') throw new CatalogError(`${where} ("${scene.id}") has no title`);
    if (!isSafeRelativePath(scene.image)) throw new CatalogError(`${where} ("${scene.id}") has an invalid image path`);
    if (scene.thumbnail !== undefined && !isSafeRelativePath(scene.thumbnail)) throw new CatalogError(`${where} ("${scene.id}") has an invalid thumbnail path`);
    if (!Array.isArray(scene.itemIds) || !scene.itemIds.every((x) => typeof x === 'string')) {
      throw new CatalogError(`${where} ("${scene.id}"): itemIds must be a list of item ids`);
    }
    const out: CatalogScene = { id: scene.id, title: scene.title, image: scene.image, itemIds: scene.itemIds as string[] };
    if (scene.thumbnail !== undefined) out.thumbnail = scene.thumbnail;
    return out;
  });
}

function checkComplements(value: unknown, file: string): Record<string, string[]> {
  if (!isObject(value)) throw new CatalogError(`${file}: "complements" must be an object of category → list of categories`);
  for (const [category, list] of Object.entries(value)) {
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
      throw new CatalogError(`${file}: complements["${category}"] must be a list of category names`);
    }
  }
  return value as Record<string, string[]>;
}

/**
 * Validates a parsed catalog.json; throws CatalogError naming the file and the
 * first problem. Does not check the models (see checkCompatible).
 */
export function parseCatalogJson(json: unknown, file = CATALOG_FILE): CatalogJson {
  if (!isObject(json)) throw new CatalogError(`${file} is not a JSON object`);
  const v = json.formatVersion;
  if (typeof v === 'number' && Number.isInteger(v) && v > CATALOG_FORMAT_VERSION) {
    throw new CatalogError(`${file} has format version ${v}, newer than this app reads (${CATALOG_FORMAT_VERSION}): update the app to open this catalog`);
  }
  if (v !== CATALOG_FORMAT_VERSION) throw new CatalogError(`${file} has format version ${JSON.stringify(v)}; this app reads version ${CATALOG_FORMAT_VERSION}`);
  if (typeof json.name !== 'string' || !json.name.trim()) throw new CatalogError(`${file} has no name`);
  if (typeof json.ensembleId !== 'string' || !json.ensembleId) throw new CatalogError(`${file} has no ensembleId (which models built it is unknown)`);
  if (!Array.isArray(json.modelSha256) || !json.modelSha256.every(isSha256)) throw new CatalogError(`${file}: "modelSha256" must be a list of sha256 digests`);
  if (!Number.isInteger(json.dimension) || (json.dimension as number) <= 0) throw new CatalogError(`${file} has no valid dimension`);
  if (json.dtype !== 'int8') throw new CatalogError(`${file} has dtype ${JSON.stringify(json.dtype)}; this app reads "int8"`);
  if (!isCount(json.count)) throw new CatalogError(`${file} has no valid item count`);
  const shards = checkFileList(json.shards, 'shards', file);
  const items = checkFileList(json.items, 'items', file);
  const count = json.count as number;
  const dimension = json.dimension as number;
  const shardTotal = shards.reduce((n, s) => n + s.count, 0);
  if (shardTotal !== count) throw new CatalogError(`${file}: the shards hold ${shardTotal} vectors but the catalog has ${count} items`);
  const itemTotal = items.reduce((n, s) => n + s.count, 0);
  if (itemTotal !== count) throw new CatalogError(`${file}: the item files hold ${itemTotal} items but the catalog has ${count}`);
  for (const shard of shards) {
    const expected = shardByteLength(shard.count, dimension);
    if (shard.bytes !== expected) throw new CatalogError(`${file}: ${shard.path} is listed as ${shard.bytes} bytes; ${shard.count} vectors of ${dimension} take ${expected}`);
  }
  const paths = new Set<string>();
  for (const f of [...shards, ...items]) {
    if (paths.has(f.path)) throw new CatalogError(`${file}: ${f.path} is listed twice`);
    paths.add(f.path);
  }
  const out: CatalogJson = {
    formatVersion: CATALOG_FORMAT_VERSION,
    name: json.name,
    ensembleId: json.ensembleId,
    modelSha256: json.modelSha256 as string[],
    dimension,
    dtype: 'int8',
    count,
    shards,
    items,
  };
  if (json.currency !== undefined) {
    if (typeof json.currency !== 'string') throw new CatalogError(`${file}: "currency" must be a string`);
    out.currency = json.currency;
  }
  if (json.createdAt !== undefined) {
    if (typeof json.createdAt !== 'string') throw new CatalogError(`${file}: "createdAt" must be a string`);
    out.createdAt = json.createdAt;
  }
  if (json.scenes !== undefined) out.scenes = checkScenes(json.scenes, file);
  if (json.complements !== undefined) out.complements = checkComplements(json.complements, file);
  if (json.clusters !== undefined) {
    const c = json.clusters as Partial<ArtifactFile> | null;
    if (!isObject(c) || !isSafeRelativePath(c.path) || !isCount(c.bytes) || !isSha256(c.sha256)) throw new CatalogError(`${file}: "clusters" must name a file inside the catalog with its bytes and sha256`);
    out.clusters = { path: c.path, bytes: c.bytes, sha256: c.sha256 };
  }
  return out;
}

/** What a catalog's vectors were computed with: catalog.json's fields, or a local catalog's stored record. */
export interface EmbeddedWith {
  name: string;
  ensembleId: string;
  dimension: number;
  modelSha256: readonly string[];
}

/** How checkCompatible speaks of a catalog and of re-indexing it. */
export interface CompatibilityWording {
  /** Starts each message: `catalog.json ("Sofas")`, `The local catalog "Wardrobe"`. */
  subject: string;
  /** How its vectors came about: a shop's catalog was "built", photos on this device were "indexed". */
  made: 'built' | 'indexed';
  /** What to do, ending the message, for each kind of mismatch. */
  fix: { ensemble: string; dimension: string; modelFiles: string };
  /** The error thrown; a CatalogError when left out. */
  error?: (message: string) => CatalogError;
}

/** The wording for a shop's catalog.json (re-indexed with scripts/catalog/index-catalog.ts). */
export function catalogJsonWording(catalog: EmbeddedWith, file = CATALOG_FILE): CompatibilityWording {
  return {
    subject: `${file} ("${catalog.name}")`,
    made: 'built',
    fix: {
      ensemble: 're-index the catalog with the current models (npx tsx scripts/catalog/index-catalog.ts)',
      dimension: 're-index the catalog',
      modelFiles: 're-index the catalog',
    },
  };
}

/**
 * Throws (a CatalogError unless the wording says otherwise) when the catalog's
 * vectors were computed with other models than the app's, naming both and
 * saying how to re-index. One check for shop catalogs and local catalogs alike.
 */
export function checkCompatible(catalog: EmbeddedWith, app: AppModels, wording: CompatibilityWording = catalogJsonWording(catalog)): void {
  const { subject, made, fix } = wording;
  const fail = (message: string) => (wording.error ? wording.error(message) : new CatalogError(message));
  if (catalog.ensembleId !== app.ensembleId) {
    throw fail(`${subject} was ${made} with the models "${catalog.ensembleId}", but this app runs "${app.ensembleId}": ${fix.ensemble}`);
  }
  if (catalog.dimension !== app.dimension) {
    throw fail(`${subject} has ${catalog.dimension}-dimensional embeddings, but the models give ${app.dimension}: ${fix.dimension}`);
  }
  if (app.modelSha256) {
    const ours = [...app.modelSha256].sort();
    const theirs = [...catalog.modelSha256].sort();
    if (ours.length !== theirs.length || ours.some((s, i) => s !== theirs[i])) {
      throw fail(
        `${subject} was ${made} with model files ${theirs.map((s) => s.slice(0, 8)).join(', ')}, but this app loaded ${ours.map((s) => s.slice(0, 8)).join(', ')} ` +
          `(same ensemble "${app.ensembleId}", so an optional model is present on one side only): ${fix.modelFiles}`,
      );
    }
  }
}

/** Validates one parsed items file: a list of `expected` items. */
export function parseItemsJson(json: unknown, file: string, expected: number): CatalogItem[] {
  if (!Array.isArray(json)) throw new CatalogError(`${file} is not a JSON list of items`);
  if (json.length !== expected) throw new CatalogError(`${file} has ${json.length} items where catalog.json says ${expected}`);
  return json.map((item, index) => {
    const where = `${file}: item ${index}`;
    if (!isObject(item)) throw new CatalogError(`${where} is not an object`);
    if (typeof item.id !== 'string' || !item.id) throw new CatalogError(`${where} has no id`);
    if (typeof item.title !== 'string') throw new CatalogError(`${where} ("${item.id}") has no title`);
    for (const key of ['category', 'url', 'source'] as const) {
      if (item[key] !== undefined && typeof item[key] !== 'string') throw new CatalogError(`${where} ("${item.id}"): "${key}" must be a string`);
    }
    if (item.price !== undefined && (typeof item.price !== 'number' || !Number.isFinite(item.price))) {
      throw new CatalogError(`${where} ("${item.id}"): "price" must be a number`);
    }
    if (item.thumbnail !== undefined && !isSafeRelativePath(item.thumbnail)) throw new CatalogError(`${where} ("${item.id}") has an invalid thumbnail path`);
    if (item.attributes !== undefined) {
      if (!isObject(item.attributes) || !Object.values(item.attributes).every((x) => typeof x === 'string')) {
        throw new CatalogError(`${where} ("${item.id}"): "attributes" must map names to strings`);
      }
    }
    return item as unknown as CatalogItem;
  });
}

/** Checks the whole item list: ids unique, scenes naming only known items. */
export function checkItems(catalog: CatalogJson, items: readonly CatalogItem[], file = CATALOG_FILE): void {
  const ids = new Set<string>();
  for (const item of items) {
    if (ids.has(item.id)) throw new CatalogError(`${file}: item id "${item.id}" appears twice`);
    ids.add(item.id);
  }
  for (const scene of catalog.scenes ?? []) {
    const unknown = scene.itemIds.find((id) => !ids.has(id));
    if (unknown !== undefined) throw new CatalogError(`${file}: scene "${scene.id}" names item "${unknown}", which is not in the catalog`);
  }
}

// ---------------------------------------------------------------- shard layout

/** `LKS1`: the magic at the start of every shard file. */
export const SHARD_MAGIC = 0x31534b4c;
export const SHARD_HEADER_BYTES = 16;
/** Shards stay within 8 MiB each. */
export const DEFAULT_SHARD_BYTES = 8 * 1024 * 1024;

/** Bytes of a shard of `count` vectors of `dimension`: header, float32 scales, int8 codes. */
export function shardByteLength(count: number, dimension: number): number {
  return SHARD_HEADER_BYTES + 4 * count + count * dimension;
}

/** Most vectors one shard may hold so it stays within `maxBytes` (at least 1). */
export function vectorsPerShard(dimension: number, maxBytes = DEFAULT_SHARD_BYTES): number {
  return Math.max(1, Math.floor((maxBytes - SHARD_HEADER_BYTES) / (dimension + 4)));
}
