/**
 * Node side of the catalog format: writes a catalog folder (shards, item files,
 * catalog.json) from items + float32 embeddings, and reads one back (sha256-checked)
 * for the eval and bench tools.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CATALOG_FILE,
  FLAT_CATALOG_FORMAT_VERSION,
  CatalogError,
  DEFAULT_SHARD_BYTES,
  parseCatalogJson,
  vectorsPerShard,
  type AppModels,
  type CatalogItem,
  type CatalogJson,
  type CatalogScene,
  type ItemsFile,
  type ShardFile,
} from '../../src/shared/catalog-format.ts';
import { encodeShard, quantize } from '../../src/shared/catalog-shards.ts';
import { verifyBytes } from '../../src/shared/sha256.ts';
import { loadCatalog, type LoadedCatalog } from '../../workers/search/catalog-loader.ts';

export const DEFAULT_ITEMS_PER_FILE = 10_000;
const SHARD_NAME = /^embeddings-\d{3,}\.bin$/;
const ITEMS_NAME = /^items-\d{3,}\.json$/;

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
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Writes `name` in `dir` atomically (temp file + rename). */
function writeAtomic(dir: string, name: string, data: Uint8Array | string): void {
  const tmp = join(dir, `.${name}.tmp`);
  writeFileSync(tmp, data);
  renameSync(tmp, join(dir, name));
}

/** Writes the catalog's files into `outDir` (catalog.json last) and removes shard/item files of an earlier build. */
export function writeCatalog(outDir: string, content: CatalogContent, options: WriteOptions = {}): CatalogJson {
  const { dimension, items, vectors } = content;
  if (items.length !== vectors.length) throw new RangeError(`${items.length} items but ${vectors.length} vectors`);
  mkdirSync(outDir, { recursive: true });
  const perShard = vectorsPerShard(dimension, options.maxShardBytes ?? DEFAULT_SHARD_BYTES);
  const shards: ShardFile[] = [];
  for (let start = 0, n = 0; start < items.length; start += perShard, n++) {
    const count = Math.min(perShard, items.length - start);
    const flat = new Float32Array(count * dimension);
    for (let i = 0; i < count; i++) {
      const v = vectors[start + i]!;
      if (v.length !== dimension) throw new RangeError(`item ${items[start + i]!.id}: vector of ${v.length} values, the catalog's dimension is ${dimension}`);
      flat.set(v, i * dimension);
    }
    const bytes = encodeShard(quantize(flat, count, dimension));
    const path = `embeddings-${String(n).padStart(3, '0')}.bin`;
    writeAtomic(outDir, path, bytes);
    shards.push({ path, bytes: bytes.byteLength, sha256: sha256(bytes), count });
  }
  const perFile = options.itemsPerFile ?? DEFAULT_ITEMS_PER_FILE;
  const itemFiles: ItemsFile[] = [];
  for (let start = 0, n = 0; start < items.length; start += perFile, n++) {
    const chunk = items.slice(start, start + perFile);
    const bytes = Buffer.from(JSON.stringify(chunk));
    const path = `items-${String(n).padStart(3, '0')}.json`;
    writeAtomic(outDir, path, bytes);
    itemFiles.push({ path, bytes: bytes.byteLength, sha256: sha256(bytes), count: chunk.length });
  }
  const catalog: CatalogJson = {
    formatVersion: FLAT_CATALOG_FORMAT_VERSION,
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
  parseCatalogJson(JSON.parse(JSON.stringify(catalog)), join(outDir, CATALOG_FILE));
  writeAtomic(outDir, CATALOG_FILE, `${JSON.stringify(catalog, null, 1)}\n`);
  const keep = new Set([...shards, ...itemFiles].map((f) => f.path));
  for (const name of readdirSync(outDir)) {
    if ((SHARD_NAME.test(name) || ITEMS_NAME.test(name)) && !keep.has(name)) rmSync(join(outDir, name));
  }
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
