/**
 * The catalog format (docs/catalog-format.md): `catalog.json`, its int8
 * embedding shards and its item files. Types and validation only; realm-neutral
 * (page, worker and Node tools), no tfjs.
 */
import type { ArtifactFile, ModelManifest } from './manifest.ts';
import { LookalikeError, quoted, shownValue } from './errors.ts';
import { isSha256 } from './sha256.ts';
import { catalogPathProblem, MAX_PRODUCT_LINK_LENGTH } from './catalog-urls.ts';

/** The newest format version this code reads and writes (a partitioned catalog); version 1 (one flat list) is still read and written. */
export const CATALOG_FORMAT_VERSION = 2;
/** The format of a catalog without partitions: what apps before partitions read. */
export const FLAT_CATALOG_FORMAT_VERSION = 1;
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

/**
 * One partition of a large catalog: `count` consecutive items (in catalog
 * order, after the previous partition's) whose shard and item files hold
 * nothing else, so the app can download and search it alone.
 */
export interface CatalogPartition {
  /** Unique in the catalog, e.g. `sofa/03`. */
  id: string;
  /** Every item in the partition has this category (absent: mixed or uncategorised). */
  category?: string;
  count: number;
}

/** A partitioned catalog's index: partition p's centroid is row p of the centroid shard. */
export interface CatalogPartitions {
  /** An int8 shard (same layout as the embedding shards) with one unit centroid per partition. */
  centroids: ShardFile;
  list: CatalogPartition[];
  /** How many items a search reads, nearest partitions first (default: the app's, 64,000). */
  probeItems?: number;
  /** How many of them the quick first answer reads before the rest arrive (default: the app's, 8,000). */
  firstItems?: number;
}

/** Where one partition's items and files are (derived from catalog.json by partitionLayout). */
export interface PartitionLayout extends CatalogPartition {
  /** Catalog index of its first item. */
  start: number;
  shards: ShardFile[];
  items: ItemsFile[];
}

export interface CatalogJson {
  /** 2 when the catalog has partitions, 1 when not. */
  formatVersion: 1 | 2;
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
  /** Format 2: the catalog cut into partitions the app can fetch one by one. */
  partitions?: CatalogPartitions;
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

// ---------------------------------------------------------------- limits
// What a catalog may hold, generous for any real shop; anything beyond is refused before it costs memory or time.

/** Longest item or scene id. */
export const MAX_ID_LENGTH = 1000;
/** Longest title, name, category, source or attribute value. */
export const MAX_TEXT_LENGTH = 2000;
/** Most attributes one item may carry (names at most 200 characters). */
export const MAX_ATTRIBUTES = 100;
export const MAX_ATTRIBUTE_NAME_LENGTH = 200;
/** Most files in catalog.json's `shards` or `items` list. */
export const MAX_FILES = 10_000;
/** Largest file a catalog may list (shards are 8 MiB; an item file this size holds far more than a shard's items). */
export const MAX_CATALOG_FILE_BYTES = 256 * 1024 * 1024;
/** Largest embedding dimension a catalog may have. */
export const MAX_DIMENSION = 16_384;
/** Most scenes, and most items one scene may name. */
export const MAX_SCENES = 100_000;
export const MAX_SCENE_ITEMS = 10_000;
/** Most categories in `complements`, and most categories one may list. */
export const MAX_COMPLEMENT_CATEGORIES = 10_000;
export const MAX_COMPLEMENTS_PER_CATEGORY = 1000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/**
 * What is wrong with a string field, in words that follow its name ("must be a
 * string", "is too long (…)"), or undefined when it is a string of at most
 * `max` characters (and not empty, when `nonEmpty`).
 */
function textProblem(v: unknown, max: number, nonEmpty: boolean): string | undefined {
  if (typeof v !== 'string') return nonEmpty ? 'must be a non-empty string' : 'must be a string';
  if (nonEmpty && v.length === 0) return 'is empty';
  if (v.length > max) return `is too long (${v.length.toLocaleString('en')} characters; at most ${max.toLocaleString('en')})`;
  return undefined;
}

/** A relative path inside the catalog's folder that stays there once the URL parser has read it (see catalog-urls.ts). */
export function isSafeRelativePath(p: unknown): p is string {
  return catalogPathProblem(p) === undefined;
}

/** Throws naming the path and what is wrong with it, unless it is a safe relative path. */
function checkPath(p: unknown, where: string): string {
  const problem = catalogPathProblem(p);
  if (problem) throw new CatalogError(`${where}${typeof p === 'string' ? ` (${quoted(p)})` : ''} ${problem}`);
  return p as string;
}

function checkFileList(value: unknown, key: string, file: string): (ArtifactFile & { count: number })[] {
  if (!Array.isArray(value)) throw new CatalogError(`${file}: "${key}" must be a list of files`);
  if (value.length > MAX_FILES)
    throw new CatalogError(`${file}: "${key}" lists ${value.length.toLocaleString('en')} files; at most ${MAX_FILES.toLocaleString('en')}`);
  return value.map((entry, index) => {
    if (!isObject(entry)) throw new CatalogError(`${file}: ${key}[${index}] is not an object`);
    const path = checkPath(entry.path, `${file}: the path of ${key}[${index}]`);
    if (!Number.isInteger(entry.bytes) || (entry.bytes as number) <= 0) throw new CatalogError(`${file}: ${entry.path} has no valid byte size`);
    if ((entry.bytes as number) > MAX_CATALOG_FILE_BYTES) {
      throw new CatalogError(
        `${file}: ${entry.path} is listed as ${(entry.bytes as number).toLocaleString('en')} bytes; a catalog file may have at most ${MAX_CATALOG_FILE_BYTES.toLocaleString('en')}`,
      );
    }
    if (!isSha256(entry.sha256)) throw new CatalogError(`${file}: ${entry.path} has no valid sha256`);
    if (!isCount(entry.count)) throw new CatalogError(`${file}: ${entry.path} has no valid item count`);
    return { path, bytes: entry.bytes as number, sha256: entry.sha256, count: entry.count };
  });
}

function checkScenes(value: unknown, file: string): CatalogScene[] {
  if (!Array.isArray(value)) throw new CatalogError(`${file}: "scenes" must be a list`);
  if (value.length > MAX_SCENES)
    throw new CatalogError(`${file}: "scenes" lists ${value.length.toLocaleString('en')} scenes; at most ${MAX_SCENES.toLocaleString('en')}`);
  const ids = new Set<string>();
  return value.map((scene, index) => {
    const where = `${file}: scenes[${index}]`;
    if (!isObject(scene)) throw new CatalogError(`${where} is not an object`);
    const idProblem = textProblem(scene.id, MAX_ID_LENGTH, true);
    if (idProblem) throw new CatalogError(scene.id === undefined ? `${where} has no id` : `${where}: the id ${idProblem}`);
    const id = scene.id as string;
    if (ids.has(id)) throw new CatalogError(`${where}: duplicate scene id ${quoted(id)}`);
    ids.add(id);
    const titleProblem = textProblem(scene.title, MAX_TEXT_LENGTH, false);
    if (titleProblem)
      throw new CatalogError(scene.title === undefined ? `${where} (${quoted(id)}) has no title` : `${where} (${quoted(id)}): the title ${titleProblem}`);
    checkPath(scene.image, `${where} (${quoted(id)}): the image path`);
    if (scene.thumbnail !== undefined) checkPath(scene.thumbnail, `${where} (${quoted(id)}): the thumbnail path`);
    if (!Array.isArray(scene.itemIds)) throw new CatalogError(`${where} (${quoted(id)}): itemIds must be a list of item ids`);
    if (scene.itemIds.length > MAX_SCENE_ITEMS)
      throw new CatalogError(
        `${where} (${quoted(id)}) names ${scene.itemIds.length.toLocaleString('en')} items; at most ${MAX_SCENE_ITEMS.toLocaleString('en')}`,
      );
    scene.itemIds.forEach((x: unknown, i: number) => {
      const problem = textProblem(x, MAX_ID_LENGTH, true);
      if (problem) throw new CatalogError(`${where} (${quoted(id)}): itemIds[${i}] ${problem}`);
    });
    const out: CatalogScene = { id, title: scene.title as string, image: scene.image as string, itemIds: [...(scene.itemIds as string[])] };
    if (scene.thumbnail !== undefined) out.thumbnail = scene.thumbnail as string;
    return out;
  });
}

/** Category → categories that go with it, as a null-prototype object (a category named "constructor" or "__proto__" is data like any other). */
function checkComplements(value: unknown, file: string): Record<string, string[]> {
  if (!isObject(value)) throw new CatalogError(`${file}: "complements" must be an object of category → list of categories`);
  const entries = Object.entries(value);
  if (entries.length > MAX_COMPLEMENT_CATEGORIES)
    throw new CatalogError(
      `${file}: "complements" has ${entries.length.toLocaleString('en')} categories; at most ${MAX_COMPLEMENT_CATEGORIES.toLocaleString('en')}`,
    );
  const out = Object.create(null) as Record<string, string[]>;
  for (const [category, list] of entries) {
    const where = `${file}: complements[${quoted(category)}]`;
    if (category.length > MAX_TEXT_LENGTH)
      throw new CatalogError(
        `${file}: a category in "complements" is too long (${category.length.toLocaleString('en')} characters; at most ${MAX_TEXT_LENGTH.toLocaleString('en')})`,
      );
    if (!Array.isArray(list)) throw new CatalogError(`${where} must be a list of category names`);
    if (list.length > MAX_COMPLEMENTS_PER_CATEGORY)
      throw new CatalogError(`${where} lists ${list.length.toLocaleString('en')} categories; at most ${MAX_COMPLEMENTS_PER_CATEGORY.toLocaleString('en')}`);
    list.forEach((x: unknown, i: number) => {
      const problem = textProblem(x, MAX_TEXT_LENGTH, false);
      if (problem) throw new CatalogError(`${where}[${i}] ${problem === 'must be a string' ? 'must be a category name' : problem}`);
    });
    out[category] = [...(list as string[])];
  }
  return out;
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
  if (v !== CATALOG_FORMAT_VERSION && v !== FLAT_CATALOG_FORMAT_VERSION)
    throw new CatalogError(`${file} has format version ${shownValue(v)}; this app reads versions ${FLAT_CATALOG_FORMAT_VERSION} and ${CATALOG_FORMAT_VERSION}`);
  if (typeof json.name !== 'string' || !json.name.trim()) throw new CatalogError(`${file} has no name`);
  if (json.name.length > MAX_TEXT_LENGTH) throw new CatalogError(`${file}: the name ${textProblem(json.name, MAX_TEXT_LENGTH, true)}`);
  if (typeof json.ensembleId !== 'string' || !json.ensembleId) throw new CatalogError(`${file} has no ensembleId (which models built it is unknown)`);
  if (json.ensembleId.length > MAX_ID_LENGTH) throw new CatalogError(`${file}: the ensembleId ${textProblem(json.ensembleId, MAX_ID_LENGTH, true)}`);
  if (!Array.isArray(json.modelSha256) || json.modelSha256.length > MAX_FILES || !json.modelSha256.every(isSha256))
    throw new CatalogError(`${file}: "modelSha256" must be a list of sha256 digests`);
  if (!Number.isInteger(json.dimension) || (json.dimension as number) <= 0) throw new CatalogError(`${file} has no valid dimension`);
  if ((json.dimension as number) > MAX_DIMENSION)
    throw new CatalogError(`${file} has ${json.dimension}-dimensional embeddings; at most ${MAX_DIMENSION} are read`);
  if (json.dtype !== 'int8') throw new CatalogError(`${file} has dtype ${shownValue(json.dtype)}; this app reads "int8"`);
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
    if (shard.bytes !== expected)
      throw new CatalogError(`${file}: ${shard.path} is listed as ${shard.bytes} bytes; ${shard.count} vectors of ${dimension} take ${expected}`);
  }
  let partitions: CatalogPartitions | undefined;
  if (v === CATALOG_FORMAT_VERSION) partitions = checkPartitions(json.partitions, { count, dimension, shards, items }, file);
  else if (json.partitions !== undefined)
    throw new CatalogError(`${file} lists partitions but has format version 1; a partitioned catalog has format version ${CATALOG_FORMAT_VERSION}`);
  const paths = new Set<string>();
  for (const f of [...shards, ...items, ...(partitions ? [partitions.centroids] : [])]) {
    if (paths.has(f.path)) throw new CatalogError(`${file}: ${f.path} is listed twice`);
    paths.add(f.path);
  }
  const out: CatalogJson = {
    formatVersion: v,
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
    const problem = textProblem(json.currency, 16, false);
    if (problem) throw new CatalogError(`${file}: "currency" ${problem}`);
    out.currency = json.currency as string;
  }
  if (json.createdAt !== undefined) {
    const problem = textProblem(json.createdAt, 64, false);
    if (problem) throw new CatalogError(`${file}: "createdAt" ${problem}`);
    out.createdAt = json.createdAt as string;
  }
  if (json.scenes !== undefined) out.scenes = checkScenes(json.scenes, file);
  if (json.complements !== undefined) out.complements = checkComplements(json.complements, file);
  if (json.clusters !== undefined) {
    const c = json.clusters as Partial<ArtifactFile> | null;
    if (!isObject(c) || !isCount(c.bytes) || !isSha256(c.sha256))
      throw new CatalogError(`${file}: "clusters" must name a file inside the catalog with its bytes and sha256`);
    checkPath(c.path, `${file}: "clusters" must name a file inside the catalog; its path`);
    if (c.bytes > MAX_CATALOG_FILE_BYTES)
      throw new CatalogError(
        `${file}: "clusters" is listed as ${c.bytes.toLocaleString('en')} bytes; a catalog file may have at most ${MAX_CATALOG_FILE_BYTES.toLocaleString('en')}`,
      );
    out.clusters = { path: c.path as string, bytes: c.bytes, sha256: c.sha256 };
  }
  if (partitions) out.partitions = partitions;
  return out;
}

/** Most partitions a catalog may have. */
export const MAX_PARTITIONS = 10_000;

/**
 * Validates format 2's `partitions`: a centroid shard with one row per partition, and partitions whose counts walk
 * the shard and item lists so that no file holds items of two partitions (checked here; partitionLayout relies on it).
 */
function checkPartitions(
  value: unknown,
  catalog: { count: number; dimension: number; shards: readonly ShardFile[]; items: readonly ItemsFile[] },
  file: string,
): CatalogPartitions {
  if (!isObject(value)) throw new CatalogError(`${file} has format version ${CATALOG_FORMAT_VERSION} but no "partitions" object`);
  if (!Array.isArray(value.list) || value.list.length === 0) throw new CatalogError(`${file}: "partitions.list" must be a non-empty list`);
  if (value.list.length > MAX_PARTITIONS)
    throw new CatalogError(
      `${file}: "partitions.list" has ${value.list.length.toLocaleString('en')} partitions; at most ${MAX_PARTITIONS.toLocaleString('en')}`,
    );
  const [centroids] = checkFileList([value.centroids], 'partitions.centroids', file);
  if (centroids!.count !== value.list.length)
    throw new CatalogError(`${file}: the centroid file holds ${centroids!.count} centroids but there are ${value.list.length} partitions`);
  const expected = shardByteLength(centroids!.count, catalog.dimension);
  if (centroids!.bytes !== expected)
    throw new CatalogError(
      `${file}: ${centroids!.path} is listed as ${centroids!.bytes} bytes; ${centroids!.count} centroids of ${catalog.dimension} take ${expected}`,
    );
  const ids = new Set<string>();
  const list = value.list.map((entry: unknown, index: number): CatalogPartition => {
    const where = `${file}: partitions.list[${index}]`;
    if (!isObject(entry)) throw new CatalogError(`${where} is not an object`);
    const idProblem = textProblem(entry.id, MAX_ID_LENGTH, true);
    if (idProblem) throw new CatalogError(entry.id === undefined ? `${where} has no id` : `${where}: the id ${idProblem}`);
    const id = entry.id as string;
    if (ids.has(id)) throw new CatalogError(`${where}: duplicate partition id ${quoted(id)}`);
    ids.add(id);
    if (!Number.isInteger(entry.count) || (entry.count as number) < 1) throw new CatalogError(`${where} (${quoted(id)}) has no valid item count`);
    const out: CatalogPartition = { id, count: entry.count as number };
    if (entry.category !== undefined) {
      const problem = textProblem(entry.category, MAX_TEXT_LENGTH, false);
      if (problem) throw new CatalogError(`${where} (${quoted(id)}): "category" ${problem}`);
      out.category = entry.category as string;
    }
    return out;
  });
  const total = list.reduce((n, p) => n + p.count, 0);
  if (total !== catalog.count) throw new CatalogError(`${file}: the partitions hold ${total} items but the catalog has ${catalog.count}`);
  const partitions: CatalogPartitions = { centroids: centroids!, list };
  for (const key of ['probeItems', 'firstItems'] as const) {
    if (value[key] === undefined) continue;
    if (!Number.isInteger(value[key]) || (value[key] as number) < 1)
      throw new CatalogError(`${file}: "partitions.${key}" must be a whole number of items, at least 1`);
    partitions[key] = value[key] as number;
  }
  layoutOf(partitions, catalog.shards, catalog.items, file);
  return partitions;
}

/** Each partition's first item and its files: the shard and item lists walked by the partitions' counts. */
function layoutOf(partitions: CatalogPartitions, shards: readonly ShardFile[], items: readonly ItemsFile[], file: string): PartitionLayout[] {
  let shard = 0;
  let itemFile = 0;
  let start = 0;
  const take = <F extends { path: string; count: number }>(files: readonly F[], from: number, partition: CatalogPartition, kind: string) => {
    const taken: F[] = [];
    let held = 0;
    let i = from;
    while (held < partition.count) {
      const f = files[i++];
      if (!f) throw new CatalogError(`${file}: partition ${quoted(partition.id)} needs more ${kind} than catalog.json lists`);
      held += f.count;
      taken.push(f);
    }
    if (held !== partition.count)
      throw new CatalogError(
        `${file}: ${taken.at(-1)!.path} holds items of partition ${quoted(partition.id)} and of the next one; a file belongs to one partition`,
      );
    return { taken, next: i };
  };
  return partitions.list.map((p) => {
    const s = take(shards, shard, p, 'shards');
    const it = take(items, itemFile, p, 'item files');
    shard = s.next;
    itemFile = it.next;
    const layout: PartitionLayout = { ...p, start, shards: s.taken, items: it.taken };
    start += p.count;
    return layout;
  });
}

/** A partitioned catalog's partitions with their first item and files (undefined for a format-1 catalog). */
export function partitionLayout(catalog: CatalogJson): PartitionLayout[] | undefined {
  return catalog.partitions && layoutOf(catalog.partitions, catalog.shards, catalog.items, CATALOG_FILE);
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

/** Validates one parsed items file: a list of `expected` items, each within the limits above; returns fresh objects (nothing else the file had). */
export function parseItemsJson(json: unknown, file: string, expected: number): CatalogItem[] {
  if (!Array.isArray(json)) throw new CatalogError(`${file} is not a JSON list of items`);
  if (json.length !== expected) throw new CatalogError(`${file} has ${json.length} items where catalog.json says ${expected}`);
  return json.map((item: unknown, index) => {
    const where = `${file}: item ${index}`;
    if (!isObject(item)) throw new CatalogError(`${where} is not an object`);
    const idProblem = textProblem(item.id, MAX_ID_LENGTH, true);
    if (idProblem) throw new CatalogError(item.id === undefined || item.id === '' ? `${where} has no id` : `${where}: the id ${idProblem}`);
    const id = item.id as string;
    const name = `${where} (${quoted(id)})`;
    if (typeof item.title !== 'string') throw new CatalogError(`${name} has no title`);
    const out: CatalogItem = { id, title: item.title };
    for (const key of ['title', 'category', 'url', 'source'] as const) {
      if (item[key] === undefined) continue;
      const problem = textProblem(item[key], key === 'url' ? MAX_PRODUCT_LINK_LENGTH : MAX_TEXT_LENGTH, false);
      if (problem) throw new CatalogError(`${name}: "${key}" ${problem}`);
      out[key] = item[key] as string;
    }
    if (item.price !== undefined) {
      if (typeof item.price !== 'number' || !Number.isFinite(item.price)) throw new CatalogError(`${name}: "price" must be a number`);
      out.price = item.price;
    }
    if (item.thumbnail !== undefined) out.thumbnail = checkPath(item.thumbnail, `${name}: the thumbnail path`);
    if (item.attributes !== undefined) {
      if (!isObject(item.attributes)) throw new CatalogError(`${name}: "attributes" must map names to strings`);
      const entries = Object.entries(item.attributes);
      if (entries.length > MAX_ATTRIBUTES) throw new CatalogError(`${name} has ${entries.length} attributes; at most ${MAX_ATTRIBUTES}`);
      const attributes = Object.create(null) as Record<string, string>;
      for (const [key, value] of entries) {
        if (key.length > MAX_ATTRIBUTE_NAME_LENGTH)
          throw new CatalogError(
            `${name}: an attribute name is too long (${key.length.toLocaleString('en')} characters; at most ${MAX_ATTRIBUTE_NAME_LENGTH})`,
          );
        const problem = textProblem(value, MAX_TEXT_LENGTH, false);
        if (problem) throw new CatalogError(`${name}: "attributes" must map names to strings: ${quoted(key)} ${problem}`);
        attributes[key] = value as string;
      }
      out.attributes = attributes;
    }
    return out;
  });
}

/** Checks the whole item list: ids unique, scenes naming only known items. */
export function checkItems(catalog: CatalogJson, items: readonly CatalogItem[], file = CATALOG_FILE): void {
  const ids = new Set<string>();
  for (const item of items) {
    if (ids.has(item.id)) throw new CatalogError(`${file}: item id ${quoted(item.id)} appears twice`);
    ids.add(item.id);
  }
  for (const scene of catalog.scenes ?? []) {
    const unknown = scene.itemIds.find((id) => !ids.has(id));
    if (unknown !== undefined) throw new CatalogError(`${file}: scene ${quoted(scene.id)} names item ${quoted(unknown)}, which is not in the catalog`);
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
