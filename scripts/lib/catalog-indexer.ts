/**
 * Builds a catalog folder from product photos: reads the inputs (CSV files or
 * image folders), embeds every image with the app's own models (tfjs wasm in
 * Node), writes JPEG thumbnails, int8 shards, item files and catalog.json.
 * Resumable: embeddings are kept by content hash in `.index-state.ndjson`;
 * `.index-run.json` lists the items indexed, in input order, with their content
 * hashes (what catalog-merge.ts reads). A large catalog is written partitioned
 * (catalog-partitions.ts); `slice` indexes one slice of the inputs.
 * Bad images are reported by name and skipped. By default the models run in a
 * pool of worker threads (one per core), images decoded here meanwhile; several
 * images are in flight at once, and the catalog's order is the inputs' order
 * (within each partition, in a partitioned catalog).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import sharp from 'sharp';
import type { CatalogItem, CatalogJson, CatalogScene } from '../../src/shared/catalog-format.ts';
import { parseCsvTable } from '../../src/shared/csv.ts';
import { LookalikeError } from '../../src/shared/errors.ts';
import { writeCatalog, type WriteOptions } from './catalog-files.ts';
import { EmbedPoolError } from './embed-pool.ts';
import { type EmbedTimings, type ImageEmbedder, nodeImageEmbedder, poolImageEmbedder } from './image-embedder.ts';
import { IndexState, STATE_FILE, type StateInfo } from './index-state.ts';
import { parseSlice, RUN_FILE, type SliceSpec, sliceRange, writeRunFile } from './index-run.ts';

export { type EmbedTimings, type ImageEmbedder, nodeImageEmbedder, poolImageEmbedder };
export { parseSlice, RUN_FILE, type SliceSpec };

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.avif', '.tif', '.tiff']);

export interface IndexInput {
  /** A CSV file (column `path`, optional id/title/category/price/url, others kept as attributes) or a folder of images. */
  path: string;
  /** Recorded as each item's `source` (default: `<parent folder>/<file name>`). */
  source?: string;
}

export interface IndexOptions {
  inputs: (string | IndexInput)[];
  out: string;
  /** Catalog name (default: the output folder's name). */
  name?: string;
  /** Longest side of the JPEG thumbnails (default 256). */
  thumbSize?: number;
  /** CSV of scene photos: `room` (image path, relative to the CSV) and `item_id`; optional `title`. */
  scenes?: string;
  /** Longest side of the scene images written (default 1024). */
  sceneSize?: number;
  complements?: Record<string, string[]>;
  currency?: string;
  /** Models to use (tests pass a stand-in); default: the app's models, in `workers` worker threads. */
  embedder?: ImageEmbedder;
  /** Worker threads running the models (default: os.availableParallelism()); 0 runs them in this thread. */
  workers?: number;
  /** Images per inference call in a worker (default: embed-pool.ts DEFAULT_BATCH_SIZE). */
  batchSize?: number;
  write?: WriteOptions;
  /**
   * Index only slice `index` (0-based) of `count`: the input items (after de-duplication, in input order) cut
   * in `count` near-equal contiguous ranges. The output is a catalog of its own; merge the slices' folders
   * with catalog-merge.ts (`npm run index:merge`).
   */
  slice?: SliceSpec;
  signal?: AbortSignal;
}

export interface IndexProgress {
  phase: 'scan' | 'embed' | 'scenes' | 'partition' | 'write';
  done: number;
  total: number;
  /** Images embedded in this run (not reused). */
  embedded: number;
  reused: number;
  failed: number;
  /** Embedding rate in this run, images per second. */
  rate?: number;
  etaSeconds?: number;
  current?: string;
}

export interface Problem {
  /** The image or CSV row, as named in the input. */
  name: string;
  reason: string;
}

export interface IndexReport {
  outDir: string;
  catalog: CatalogJson;
  indexed: number;
  embedded: number;
  reused: number;
  /** Images that could not be read or embedded. */
  failed: Problem[];
  /** CSV rows not used (no path, duplicate id). */
  skipped: Problem[];
  scenes: number;
  /** Scene → item links dropped because the item is not in the catalog. */
  droppedSceneItems: number;
  state: StateInfo;
  /** The slice indexed (slice runs only): its range of the `inputItems` de-duplicated input items. */
  slice?: SliceSpec & { start: number; end: number; inputItems: number };
  seconds: number;
  /** Seconds from the first image embedded to the last (0 when nothing was embedded). */
  embedSeconds: number;
  /** Where the embedding time went, when the embedder tells. */
  timings?: EmbedTimings;
}

export class IndexError extends LookalikeError {
  override name = 'IndexError';
  constructor(
    message: string,
    readonly failed: Problem[] = [],
    readonly skipped: Problem[] = [],
  ) {
    super(message);
  }
}

interface Entry {
  /** Absolute path of the image. */
  file: string;
  /** How the input names it (for messages). */
  name: string;
  item: CatalogItem;
  hash?: string;
}

// ---------------------------------------------------------------- inputs

const RESERVED = new Set(['path', 'id', 'item_id', 'title', 'name', 'category', 'price', 'url', 'product_url']);

function defaultSource(path: string, isDir: boolean): string {
  const abs = resolve(path);
  return isDir ? basename(abs) : `${basename(dirname(abs))}/${basename(abs)}`;
}

function parsePrice(value: string): number | undefined {
  const cleaned = value
    .replace(/[^\d.,-]/g, '')
    .replace(/,(?=\d{3}\b)/g, '')
    .replace(',', '.');
  const n = Number.parseFloat(cleaned);
  return cleaned && Number.isFinite(n) ? n : undefined;
}

export function entriesFromCsv(csvPath: string, source: string): { entries: Entry[]; skipped: Problem[] } {
  const table = parseCsvTable(readFileSync(csvPath, 'utf8'), csvPath);
  const col = (name: string) => table.header.indexOf(name);
  if (col('path') < 0) throw new IndexError(`${csvPath} has no "path" column (columns: ${table.header.join(', ')})`);
  const root = dirname(resolve(csvPath));
  const entries: Entry[] = [];
  const skipped: Problem[] = [];
  table.rows.forEach((row, r) => {
    const get = (name: string) => (col(name) >= 0 ? row[col(name)]!.trim() : '');
    const rel = get('path');
    const where = `${csvPath}:${table.lines[r]}`;
    if (!rel) {
      skipped.push({ name: where, reason: 'empty path' });
      return;
    }
    const file = isAbsolute(rel) ? rel : resolve(root, rel);
    const item: CatalogItem = {
      id: get('id') || get('item_id') || rel,
      title: get('title') || get('name') || basename(rel, extname(rel)),
      source,
    };
    const category = get('category');
    if (category) item.category = category;
    const url = get('url') || get('product_url');
    if (url) item.url = url;
    const attributes: Record<string, string> = {};
    const price = get('price');
    if (price) {
      const n = parsePrice(price);
      if (n === undefined) attributes.price = price;
      else item.price = n;
    }
    table.header.forEach((h, k) => {
      const v = row[k]!.trim();
      if (!v) return;
      if (!RESERVED.has(h)) attributes[h] = v;
      // Both an id and an item_id (or a title and a name): keep the one not used.
      else if ((h === 'item_id' && get('id')) || (h === 'name' && get('title')) || (h === 'product_url' && get('url'))) attributes[h] = v;
    });
    if (Object.keys(attributes).length) item.attributes = attributes;
    entries.push({ file, name: rel, item });
  });
  return { entries, skipped };
}

/** Images under `dir`, sorted; skips hidden entries, `skip` and any catalog output folder (one with catalog.json or an index state). */
function walk(dir: string, skip: string, out: string[]): void {
  if (dir === skip || existsSync(join(dir, STATE_FILE)) || existsSync(join(dir, 'catalog.json'))) return;
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (path === skip) continue;
    const st = statSync(path);
    if (st.isDirectory()) walk(path, skip, out);
    else if (st.isFile() && IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) out.push(path);
  }
}

export function entriesFromFolder(dir: string, source: string, outDir: string): Entry[] {
  const files: string[] = [];
  walk(resolve(dir), resolve(outDir), files);
  return files.map((file) => {
    const id = relative(resolve(dir), file).split(sep).join('/');
    return { file, name: id, item: { id, title: basename(file, extname(file)), source } };
  });
}

// ---------------------------------------------------------------- images

export const contentHash = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** Thumbnails and scene images are named by the first 16 hex digits of the content sha256. */
const shortHash = (hash: string) => hash.slice(0, 16);

async function writeJpeg(bytes: Buffer, path: string, maxSide: number): Promise<void> {
  if (existsSync(path)) return;
  const tmp = `${path}.tmp`;
  try {
    await sharp(bytes, { failOn: 'error' })
      .rotate()
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 82 })
      .toFile(tmp);
  } catch (error) {
    throw new Error(`not a readable image (${message(error)})`);
  }
  renameSync(tmp, path);
}

/** The default embedder: a pool of `workers` threads, or this thread when `workers` is 0. */
export function defaultEmbedder(workers = availableParallelism(), batchSize?: number): Promise<ImageEmbedder> {
  if (!Number.isInteger(workers) || workers < 0) throw new IndexError(`the number of workers must be 0 or more, got ${workers}`);
  return workers === 0 ? nodeImageEmbedder() : poolImageEmbedder({ workers, ...(batchSize ? { batchSize } : {}) });
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

// ---------------------------------------------------------------- indexing

export async function indexCatalog(options: IndexOptions, onProgress: (p: IndexProgress) => void = () => {}): Promise<IndexReport> {
  const started = performance.now();
  const outDir = resolve(options.out);
  const thumbSize = options.thumbSize ?? 256;
  if (!Number.isInteger(thumbSize) || thumbSize < 16 || thumbSize > 1024) throw new IndexError(`thumbnail size must be 16–1024 px, got ${thumbSize}`);
  if (options.inputs.length === 0) throw new IndexError('nothing to index: give at least one CSV file or image folder');

  // 1. Inputs → entries.
  const entries: Entry[] = [];
  const skipped: Problem[] = [];
  for (const input of options.inputs) {
    const { path, source } = typeof input === 'string' ? { path: input, source: undefined } : input;
    if (!existsSync(path)) throw new IndexError(`${path} does not exist`);
    const isDir = statSync(path).isDirectory();
    const src = source ?? defaultSource(path, isDir);
    if (isDir) entries.push(...entriesFromFolder(path, src, outDir));
    else {
      const csv = entriesFromCsv(path, src);
      entries.push(...csv.entries);
      skipped.push(...csv.skipped);
    }
  }
  const ids = new Set<string>();
  const unique = entries.filter((e) => {
    if (ids.has(e.item.id)) {
      skipped.push({ name: e.name, reason: `duplicate id "${e.item.id}" (${e.item.source}); the first one is kept` });
      return false;
    }
    ids.add(e.item.id);
    return true;
  });
  if (unique.length === 0)
    throw new IndexError(`no images found in ${options.inputs.map((i) => (typeof i === 'string' ? i : i.path)).join(', ')}`, [], skipped);
  const inputItems = unique.length;
  /** The de-duplicated input ids, digested: slices of one job share it (catalog-merge.ts checks). */
  const inputDigest = createHash('sha256')
    .update(unique.map((e) => e.item.id).join('\n'))
    .digest('hex');
  let sliceInfo: IndexReport['slice'];
  if (options.slice) {
    const { index, count } = options.slice;
    if (!Number.isInteger(index) || !Number.isInteger(count) || index < 0 || index >= count)
      throw new IndexError(`slice ${index}/${count}: a slice is i/n with i from 0 to n - 1`);
    const { start, end } = sliceRange(options.slice, inputItems);
    sliceInfo = { ...options.slice, start, end, inputItems };
    if (start === end) throw new IndexError(`slice ${options.slice.index}/${options.slice.count} is empty: the inputs have ${inputItems} items`, [], skipped);
    unique.splice(end);
    unique.splice(0, start);
  }

  mkdirSync(join(outDir, 'thumbs'), { recursive: true });
  const embedder = options.embedder ?? (await defaultEmbedder(options.workers, options.batchSize));
  try {
    const { state, info } = IndexState.open(outDir, embedder);
    const failed: Problem[] = [];

    // 2. Hash every image (cheap) so reused ones are known up front and the ETA is honest.
    for (let i = 0; i < unique.length; i++) {
      options.signal?.throwIfAborted();
      const e = unique[i]!;
      try {
        e.hash = contentHash(readFileSync(e.file));
      } catch (error) {
        failed.push({ name: e.name, reason: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : message(error) });
      }
      if (i % 200 === 0 || i === unique.length - 1)
        onProgress({ phase: 'scan', done: i + 1, total: unique.length, embedded: 0, reused: 0, failed: failed.length });
    }
    const readable = unique.filter((e) => e.hash !== undefined);
    const toEmbed = new Set(readable.filter((e) => !state.has(e.hash!)).map((e) => e.hash!));

    // 3. Embed what is new; thumbnails for everything (skipped when already there). Several images are in
    // flight at once (embedder.concurrency); results land in input order, whatever order they finish in.
    const counts = { embedded: 0, reused: 0 };
    let firstEmbed: number | undefined;
    let lastEmbed: number | undefined;
    /** One job per distinct image (two ids may share a photo): its embedding and its thumbnail. */
    const jobs = new Map<string, Promise<Float32Array>>();
    const embedOne = async (e: Entry & { hash: string }, thumbPath: string): Promise<Float32Array> => {
      const bytes = readFileSync(e.file);
      const saved = state.get(e.hash);
      if (saved) {
        await writeJpeg(bytes, thumbPath, thumbSize);
        counts.reused++;
        return saved;
      }
      firstEmbed ??= performance.now();
      const [v] = await Promise.all([embedder.embed(bytes, e.name), writeJpeg(bytes, thumbPath, thumbSize)]);
      if (v.length !== embedder.dimension || !v.every(Number.isFinite)) throw new Error(`${e.name}: the models gave an invalid embedding`);
      state.add(e.hash, v);
      counts.embedded++;
      lastEmbed = performance.now();
      return v;
    };
    const outcomes: ({ item: CatalogItem; vector: Float32Array } | Problem)[] = new Array(readable.length);
    /** Each indexed item's image content sha256 (the state's key), for the run file. */
    const hashOf = new Map<CatalogItem, string>();
    let next = 0;
    let done = 0;
    let failedNow = 0;
    let fatal: unknown;
    const lane = async (): Promise<void> => {
      while (next < readable.length && fatal === undefined) {
        const i = next++;
        const e = readable[i]! as Entry & { hash: string };
        const thumb = `thumbs/${shortHash(e.hash)}.jpg`;
        const thumbPath = join(outDir, thumb);
        try {
          options.signal?.throwIfAborted();
          let vector = state.get(e.hash);
          if (vector && existsSync(thumbPath) && !jobs.has(e.hash)) counts.reused++;
          else {
            let job = jobs.get(e.hash);
            if (!job) jobs.set(e.hash, (job = embedOne(e, thumbPath)));
            else counts.reused++; // the same photo under another id
            vector = await job;
          }
          const item = { ...e.item, thumbnail: thumb };
          hashOf.set(item, e.hash);
          outcomes[i] = { item, vector };
        } catch (error) {
          if (error instanceof EmbedPoolError || options.signal?.aborted) {
            fatal ??= error;
            return;
          }
          const reason = message(error);
          failedNow++;
          outcomes[i] = { name: e.name, reason: reason.startsWith(e.name) ? reason.slice(e.name.length).replace(/^:\s*/, '') : reason };
        }
        toEmbed.delete(e.hash);
        done++;
        const rate =
          firstEmbed !== undefined && lastEmbed !== undefined && lastEmbed > firstEmbed ? counts.embedded / ((lastEmbed - firstEmbed) / 1000) : undefined;
        onProgress({
          phase: 'embed',
          done,
          total: readable.length,
          embedded: counts.embedded,
          reused: counts.reused,
          failed: failed.length + failedNow,
          ...(rate ? { rate, etaSeconds: toEmbed.size / rate } : {}),
          current: e.name,
        });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(embedder.concurrency ?? 1, readable.length)) }, lane));
    if (fatal !== undefined) {
      if (fatal instanceof EmbedPoolError)
        throw new IndexError(`${fatal.message}; the ${state.size} embeddings done so far are kept in ${STATE_FILE}: run the same command again to continue`);
      throw fatal;
    }
    const indexed: { item: CatalogItem; vector: Float32Array }[] = [];
    for (const outcome of outcomes) {
      if ('reason' in outcome) failed.push(outcome);
      else indexed.push(outcome);
    }
    const { embedded, reused } = counts;
    if (indexed.length === 0) throw new IndexError(`nothing could be indexed: all ${unique.length} images failed`, failed, skipped);

    // 4. Scenes.
    let scenes: CatalogScene[] = [];
    let droppedSceneItems = 0;
    if (options.scenes) {
      const result = await indexScenes(
        options.scenes,
        outDir,
        new Set(indexed.map((x) => x.item.id)),
        thumbSize,
        options.sceneSize ?? 1024,
        failed,
        (done, total) => onProgress({ phase: 'scenes', done, total, embedded, reused, failed: failed.length }),
      );
      scenes = result.scenes;
      droppedSceneItems = result.dropped;
    }

    // 5. Write.
    onProgress({ phase: 'write', done: 0, total: 1, embedded, reused, failed: failed.length });
    const write: WriteOptions = {
      onPartitionProgress: (p) => onProgress({ phase: 'partition', done: p.done, total: p.total, embedded, reused, failed: failed.length, current: p.group }),
      ...options.write,
    };
    const catalog = writeCatalog(
      outDir,
      {
        name: options.name ?? basename(outDir),
        ensembleId: embedder.ensembleId,
        modelSha256: embedder.modelSha256,
        dimension: embedder.dimension,
        items: indexed.map((x) => x.item),
        vectors: indexed.map((x) => x.vector),
        ...(scenes.length ? { scenes } : {}),
        ...(options.complements ? { complements: options.complements } : {}),
        ...(options.currency ? { currency: options.currency } : {}),
      },
      write,
    );
    writeRunFile(outDir, {
      ...(sliceInfo ? { slice: { index: sliceInfo.index, count: sliceInfo.count } } : {}),
      inputItems,
      inputDigest,
      items: indexed.map((x) => [x.item.id, hashOf.get(x.item)!]),
    });
    onProgress({ phase: 'write', done: 1, total: 1, embedded, reused, failed: failed.length });
    return {
      outDir,
      catalog,
      indexed: indexed.length,
      embedded,
      reused,
      failed,
      skipped,
      scenes: scenes.length,
      droppedSceneItems,
      state: info,
      ...(sliceInfo ? { slice: sliceInfo } : {}),
      seconds: (performance.now() - started) / 1000,
      embedSeconds: firstEmbed !== undefined && lastEmbed !== undefined ? (lastEmbed - firstEmbed) / 1000 : 0,
      ...(embedder.timings ? { timings: embedder.timings() } : {}),
    };
  } finally {
    if (!options.embedder) await embedder.dispose?.();
  }
}

/**
 * A scene's title when the CSV gives none, from its file name as shops name photos: "ikea-a-bed-that-folds-away__1364-s4.jpg"
 * → "A bed that folds away" (words from the slug, a leading brand word "ikea" dropped, the first letter capitalised).
 */
export function sceneTitleFromFile(file: string): string {
  const words = basename(file, extname(file))
    .replace(/__.*$/, '')
    .replace(/[-_.]+/g, ' ')
    .trim()
    .replace(/^ikea\s+/i, '');
  return words ? words[0]!.toUpperCase() + words.slice(1) : basename(file);
}

async function indexScenes(
  csvPath: string,
  outDir: string,
  itemIds: Set<string>,
  thumbSize: number,
  sceneSize: number,
  failed: Problem[],
  onProgress: (done: number, total: number) => void,
): Promise<{ scenes: CatalogScene[]; dropped: number }> {
  if (!existsSync(csvPath)) throw new IndexError(`${csvPath} (scenes) does not exist`);
  const table = parseCsvTable(readFileSync(csvPath, 'utf8'), csvPath);
  const roomCol = ['room', 'path', 'image'].map((c) => table.header.indexOf(c)).find((k) => k >= 0);
  const itemCol = ['item_id', 'id'].map((c) => table.header.indexOf(c)).find((k) => k >= 0);
  if (roomCol === undefined || itemCol === undefined)
    throw new IndexError(`${csvPath} needs a "room" and an "item_id" column (columns: ${table.header.join(', ')})`);
  const titleCol = table.header.indexOf('title');
  const rooms = new Map<string, { title?: string; items: string[] }>();
  for (const row of table.rows) {
    const room = row[roomCol]!.trim();
    const item = row[itemCol]!.trim();
    if (!room || !item) continue;
    const entry = rooms.get(room) ?? { items: [] };
    if (titleCol >= 0 && row[titleCol]!.trim()) entry.title = row[titleCol]!.trim();
    if (!entry.items.includes(item)) entry.items.push(item);
    rooms.set(room, entry);
  }
  mkdirSync(join(outDir, 'scenes'), { recursive: true });
  const root = dirname(resolve(csvPath));
  const scenes: CatalogScene[] = [];
  let dropped = 0;
  let done = 0;
  for (const [room, { title, items }] of rooms) {
    onProgress(done++, rooms.size);
    const known = items.filter((id) => itemIds.has(id));
    dropped += items.length - known.length;
    if (known.length === 0) continue;
    const file = isAbsolute(room) ? room : resolve(root, room);
    try {
      const bytes = readFileSync(file);
      const h = shortHash(contentHash(bytes));
      await writeJpeg(bytes, join(outDir, 'scenes', `${h}.jpg`), sceneSize);
      await writeJpeg(bytes, join(outDir, 'thumbs', `${h}.jpg`), thumbSize);
      scenes.push({
        id: room,
        title: title ?? sceneTitleFromFile(room),
        image: `scenes/${h}.jpg`,
        thumbnail: `thumbs/${h}.jpg`,
        itemIds: known,
      });
    } catch (error) {
      failed.push({ name: room, reason: `scene photo: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : message(error)}` });
    }
  }
  onProgress(rooms.size, rooms.size);
  return { scenes, dropped };
}

export { STATE_FILE };
