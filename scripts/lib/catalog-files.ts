/**
 * Node side of the catalog format: writes a catalog folder (shards, item files,
 * catalog.json) from items + float32 embeddings, and reads one back (sha256-checked)
 * for the eval and bench tools.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  CATALOG_FILE,
  CATALOG_FORMAT_VERSION,
  FLAT_CATALOG_FORMAT_VERSION,
  MAX_PARTITIONS,
  CatalogError,
  DEFAULT_SHARD_BYTES,
  parseCatalogJson,
  vectorsPerShard,
  type AppModels,
  type CatalogItem,
  type CatalogJson,
  type CatalogPartition,
  type CatalogPartitions,
  type CatalogScene,
  type ItemsFile,
  type ShardFile,
} from '../../src/shared/catalog-format.ts';
import { encodeShard, quantize } from '../../src/shared/catalog-shards.ts';
import { verifyBytes } from '../../src/shared/sha256.ts';
import { loadCatalog, type LoadedCatalog } from '../../workers/search/catalog-loader.ts';
import { AUTO_PARTITION_ITEMS, meanDirection, type PartitionPlanOptions, planPartitions } from './catalog-partitions.ts';

export const DEFAULT_ITEMS_PER_FILE = 10_000;
const SHARD_NAME = /^embeddings-\d{3,}\.bin$/;
const ITEMS_NAME = /^items-\d{3,}\.json$/;
/** A partitioned catalog's folder of partition folders (`partitions/0000/…`) and its centroid file. */
export const PARTITIONS_DIR = 'partitions';
export const CENTROIDS_FILE = 'centroids.bin';
const PARTITION_DIR_NAME = /^\d{4,}$/;

export interface CatalogContent {
  name: string;
  ensembleId: string;
  modelSha256: string[];
  dimension: number;
  items: CatalogItem[];
  /** One unit-length vector per item, same order. */
  vectors: Float32Array[];
  scenes?: CatalogScene[];
  complements?: Record<string, string[]>;
  currency?: string;
}

export interface WriteOptions {
  maxShardBytes?: number;
  itemsPerFile?: number;
  /**
   * Write a partitioned catalog (format 2): `true` always, `false` never (format 1), `'auto'` (the default)
   * when it has more than AUTO_PARTITION_ITEMS items.
   */
  partitioned?: boolean | 'auto';
  /** Items per partition aimed at (default DEFAULT_PARTITION_SIZE); a larger category is split by k-means. */
  partitionSize?: number;
  /** Progress of the k-means step (large catalogs). */
  onPartitionProgress?: PartitionPlanOptions['onProgress'];
}

/** Whether `writeCatalog` partitions a catalog of `count` items with these options. */
export function willPartition(count: number, options: WriteOptions = {}): boolean {
  const mode = options.partitioned ?? 'auto';
  return mode === 'auto' ? count > AUTO_PARTITION_ITEMS : mode;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Writes `path` (relative to `dir`, folders created) atomically (temp file + rename). */
function writeAtomic(dir: string, path: string, data: Uint8Array | string): void {
  const target = join(dir, path);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.tmp`);
  writeFileSync(tmp, data);
  renameSync(tmp, target);
}

/**
 * The item with its fields in one order (the CatalogItem interface's), whatever order they were set in: an
 * item read back from a catalog (catalog-merge.ts) is written byte for byte as the indexer first wrote it.
 */
function canonicalItem(item: CatalogItem): CatalogItem {
  const out: CatalogItem = { id: item.id, title: item.title };
  if (item.category !== undefined) out.category = item.category;
  if (item.price !== undefined) out.price = item.price;
  if (item.url !== undefined) out.url = item.url;
  if (item.thumbnail !== undefined) out.thumbnail = item.thumbnail;
  if (item.source !== undefined) out.source = item.source;
  if (item.attributes !== undefined) out.attributes = item.attributes;
  return out;
}

/** Writes the shards and item files of the items at `indices` (in that order) under `prefix` (`''` or `partitions/0000/`). */
function writeRun(
  outDir: string,
  prefix: string,
  content: CatalogContent,
  indices: readonly number[],
  perShard: number,
  perFile: number,
): { shards: ShardFile[]; items: ItemsFile[] } {
  const { dimension, items, vectors } = content;
  const shards: ShardFile[] = [];
  for (let start = 0, n = 0; start < indices.length; start += perShard, n++) {
    const count = Math.min(perShard, indices.length - start);
    const flat = new Float32Array(count * dimension);
    for (let i = 0; i < count; i++) {
      const k = indices[start + i]!;
      const v = vectors[k]!;
      if (v.length !== dimension) throw new RangeError(`item ${items[k]!.id}: vector of ${v.length} values, the catalog's dimension is ${dimension}`);
      flat.set(v, i * dimension);
    }
    const bytes = encodeShard(quantize(flat, count, dimension));
    const path = `${prefix}embeddings-${String(n).padStart(3, '0')}.bin`;
    writeAtomic(outDir, path, bytes);
    shards.push({ path, bytes: bytes.byteLength, sha256: sha256(bytes), count });
  }
  const itemFiles: ItemsFile[] = [];
  for (let start = 0, n = 0; start < indices.length; start += perFile, n++) {
    const chunk = indices.slice(start, start + perFile).map((k) => canonicalItem(items[k]!));
    const bytes = Buffer.from(JSON.stringify(chunk));
    const path = `${prefix}items-${String(n).padStart(3, '0')}.json`;
    writeAtomic(outDir, path, bytes);
    itemFiles.push({ path, bytes: bytes.byteLength, sha256: sha256(bytes), count: chunk.length });
  }
  return { shards, items: itemFiles };
}

/** Removes the shard, item and centroid files (and emptied partition folders) of an earlier build that `keep` does not name. */
function removeStale(outDir: string, keep: Set<string>): void {
  for (const name of readdirSync(outDir)) {
    if ((SHARD_NAME.test(name) || ITEMS_NAME.test(name) || name === CENTROIDS_FILE) && !keep.has(name)) rmSync(join(outDir, name));
  }
  const root = join(outDir, PARTITIONS_DIR);
  if (!existsSync(root) || !statSync(root).isDirectory()) return;
  for (const part of readdirSync(root)) {
    const folder = join(root, part);
    if (!PARTITION_DIR_NAME.test(part) || !statSync(folder).isDirectory()) continue;
    for (const name of readdirSync(folder)) {
      const path = `${PARTITIONS_DIR}/${part}/${name}`;
      if ((SHARD_NAME.test(name) || ITEMS_NAME.test(name)) && !keep.has(path)) rmSync(join(folder, name));
    }
    if (readdirSync(folder).length === 0) rmdirSync(folder);
  }
  if (readdirSync(root).length === 0) rmdirSync(root);
}

/**
 * Writes the catalog's files into `outDir` (catalog.json last) and removes shard/item files of an earlier build.
 * Flat (format 1): `embeddings-NNN.bin`, `items-NNN.json`. Partitioned (format 2, see WriteOptions.partitioned):
 * `partitions/PPPP/embeddings-NNN.bin`, `partitions/PPPP/items-NNN.json` per partition and `centroids.bin`;
 * the items in partition order (see catalog-partitions.ts).
 */
export function writeCatalog(outDir: string, content: CatalogContent, options: WriteOptions = {}): CatalogJson {
  const { dimension, items, vectors } = content;
  if (items.length !== vectors.length) throw new RangeError(`${items.length} items but ${vectors.length} vectors`);
  mkdirSync(outDir, { recursive: true });
  const perShard = vectorsPerShard(dimension, options.maxShardBytes ?? DEFAULT_SHARD_BYTES);
  const perFile = options.itemsPerFile ?? DEFAULT_ITEMS_PER_FILE;
  const shards: ShardFile[] = [];
  const itemFiles: ItemsFile[] = [];
  let partitions: CatalogPartitions | undefined;
  if (!willPartition(items.length, options)) {
    const run = writeRun(outDir, '', content, Array.from(items.keys()), perShard, perFile);
    shards.push(...run.shards);
    itemFiles.push(...run.items);
  } else {
    const plan = planPartitions(items, vectors, dimension, {
      ...(options.partitionSize !== undefined ? { partitionSize: options.partitionSize } : {}),
      ...(options.onPartitionProgress ? { onProgress: options.onPartitionProgress } : {}),
    });
    if (plan.length > MAX_PARTITIONS) {
      const categories = new Set(plan.map((p) => p.category)).size;
      throw new CatalogError(
        `the catalog would have ${plan.length.toLocaleString('en')} partitions (${categories.toLocaleString('en')} categories); a catalog may have at most ` +
          `${MAX_PARTITIONS.toLocaleString('en')}: ${categories > MAX_PARTITIONS / 2 ? 'merge small categories in the input, or ' : 'choose a larger partition size (--partition-size), or '}` +
          'write it flat (--partition-size 0); the embeddings are kept, so running again only writes the catalog',
      );
    }
    const centroids = new Float32Array(plan.length * dimension);
    const list: CatalogPartition[] = plan.map((p, n) => {
      const run = writeRun(outDir, `${PARTITIONS_DIR}/${String(n).padStart(4, '0')}/`, content, p.indices, perShard, perFile);
      shards.push(...run.shards);
      itemFiles.push(...run.items);
      centroids.set(meanDirection(vectors, p.indices, dimension), n * dimension);
      return { id: p.id, ...(p.category !== undefined ? { category: p.category } : {}), count: p.indices.length };
    });
    const bytes = encodeShard(quantize(centroids, plan.length, dimension));
    writeAtomic(outDir, CENTROIDS_FILE, bytes);
    partitions = { centroids: { path: CENTROIDS_FILE, bytes: bytes.byteLength, sha256: sha256(bytes), count: plan.length }, list };
  }
  const catalog: CatalogJson = {
    formatVersion: partitions ? CATALOG_FORMAT_VERSION : FLAT_CATALOG_FORMAT_VERSION,
    name: content.name,
    ensembleId: content.ensembleId,
    modelSha256: [...content.modelSha256].sort(),
    dimension,
    dtype: 'int8',
    count: items.length,
    shards,
    items: itemFiles,
    createdAt: new Date().toISOString(),
  };
  if (content.currency) catalog.currency = content.currency;
  if (content.scenes?.length) catalog.scenes = content.scenes;
  if (content.complements) catalog.complements = content.complements;
  if (partitions) catalog.partitions = partitions;
  parseCatalogJson(JSON.parse(JSON.stringify(catalog)), join(outDir, CATALOG_FILE));
  writeAtomic(outDir, CATALOG_FILE, `${JSON.stringify(catalog, null, 1)}\n`);
  removeStale(outDir, new Set([...shards, ...itemFiles, ...(partitions ? [partitions.centroids] : [])].map((f) => f.path)));
  return catalog;
}

/** Reads and validates `dir/catalog.json` and its files (sizes and sha256 checked). `app` defaults to the catalog's own models. */
export async function readCatalogDir(dir: string, app?: AppModels): Promise<LoadedCatalog> {
  const file = join(dir, CATALOG_FILE);
  if (!existsSync(file)) throw new CatalogError(`${file} does not exist (index a catalog there first: npx tsx scripts/catalog/index-catalog.ts)`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CatalogError(`${file} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const meta = parseCatalogJson(json, file);
  return loadCatalog(
    json,
    async (f) => {
      const path = join(dir, f.path);
      if (!existsSync(path)) throw new CatalogError(`${path} is missing (listed in ${file})`);
      const buf = readFileSync(path);
      const bytes = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
      await verifyBytes({ ...f, path }, bytes);
      return bytes;
    },
    app ?? { ensembleId: meta.ensembleId, dimension: meta.dimension },
    file,
  );
}
