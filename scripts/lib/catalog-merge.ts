/**
 * Merges indexer output folders (typically the slices of one job, `--slice i/n`)
 * into one catalog: items in input order (slices by their number), float32
 * embeddings from each folder's `.index-state.ndjson` (nothing is lost to
 * quantisation), thumbnails and scene images linked (or copied) across, one
 * catalog written, partitioned as configured. The merged folder gets its own
 * state and run file, so it can be merged again or re-indexed.
 *
 * Slices merged give the catalog one run over all the inputs gives (same
 * catalog.json but for createdAt, same file bytes), scenes aside: a scene whose
 * items fall in several slices lists them slice by slice.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CATALOG_FILE, type CatalogItem, type CatalogJson, type CatalogScene } from '../../src/shared/catalog-format.ts';
import { readCatalogDir, writeCatalog, type WriteOptions } from './catalog-files.ts';
import { IndexState, readIndexState, STATE_FILE } from './index-state.ts';
import { type IndexRun, readRunFile, writeRunFile } from './index-run.ts';

export class MergeError extends Error {
  override name = 'MergeError';
}

export interface MergeOptions {
  /** Indexer output folders: each has catalog.json, `.index-state.ndjson` and `.index-run.json`. */
  dirs: string[];
  out: string;
  /** Catalog name (default: the output folder's name). */
  name?: string;
  write?: WriteOptions;
}

export interface MergeProgress {
  phase: 'read' | 'files' | 'partition' | 'write';
  done: number;
  total: number;
  current?: string;
}

export interface MergeReport {
  outDir: string;
  catalog: CatalogJson;
  items: number;
  /** Thumbnail and scene files linked or copied into the output. */
  files: number;
  seconds: number;
}

interface Part {
  dir: string;
  run: IndexRun;
  catalog: CatalogJson;
  items: Map<string, CatalogItem>;
  embeddings: Map<string, Float32Array>;
}

const sameModels = (a: CatalogJson, b: CatalogJson) =>
  a.ensembleId === b.ensembleId && a.dimension === b.dimension && JSON.stringify([...a.modelSha256].sort()) === JSON.stringify([...b.modelSha256].sort());

const modelsOf = (c: CatalogJson) => `"${c.ensembleId}" (dimension ${c.dimension}, model files ${c.modelSha256.map((s) => s.slice(0, 8)).join(', ')})`;

/** Links `rel` from `from` into `to` (a copy across file systems); false when it was there already. */
function bringFile(from: string, to: string, rel: string): boolean {
  const target = join(to, rel);
  if (existsSync(target)) return false;
  const source = join(from, rel);
  if (!existsSync(source)) throw new MergeError(`${source} is missing (named in ${join(from, CATALOG_FILE)})`);
  mkdirSync(dirname(target), { recursive: true });
  try {
    linkSync(source, target);
  } catch {
    copyFileSync(source, target);
  }
  return true;
}

export async function mergeCatalogs(options: MergeOptions, onProgress: (p: MergeProgress) => void = () => {}): Promise<MergeReport> {
  const started = performance.now();
  const outDir = resolve(options.out);
  if (options.dirs.length === 0) throw new MergeError('no folders to merge');
  const seen = new Set<string>();
  for (const d of options.dirs) {
    const abs = resolve(d);
    if (abs === outDir) throw new MergeError(`the output folder ${options.out} is one of the folders to merge: write the merge elsewhere`);
    if (seen.has(abs)) throw new MergeError(`${d} is named twice`);
    seen.add(abs);
  }

  // 1. Read every folder: run file, catalog (sha256-checked), state.
  const parts: Part[] = [];
  for (const [n, dir] of options.dirs.entries()) {
    onProgress({ phase: 'read', done: n, total: options.dirs.length, current: dir });
    if (!existsSync(dir)) throw new MergeError(`${dir} does not exist`);
    const loaded = await readCatalogDir(dir);
    let run: IndexRun;
    try {
      run = readRunFile(dir);
    } catch (error) {
      throw new MergeError(error instanceof Error ? error.message : String(error));
    }
    const state = readIndexState(dir);
    if (!state) throw new MergeError(`${join(dir, STATE_FILE)} is missing or not an index state: the float32 embeddings are needed to merge`);
    const h = state.header;
    if (
      h.ensembleId !== loaded.meta.ensembleId ||
      h.dimension !== loaded.meta.dimension ||
      JSON.stringify(h.modelSha256) !== JSON.stringify([...loaded.meta.modelSha256].sort())
    )
      throw new MergeError(`${dir}: its ${STATE_FILE} was made with other models than its catalog.json: run the same index command there again`);
    parts.push({ dir, run, catalog: loaded.meta, items: new Map(loaded.items.map((i) => [i.id, i])), embeddings: state.embeddings });
  }
  onProgress({ phase: 'read', done: parts.length, total: parts.length });

  // 2. Same models; slices of one job, all there; no item twice.
  const first = parts[0]!;
  for (const p of parts.slice(1)) {
    if (!sameModels(first.catalog, p.catalog))
      throw new MergeError(
        `${p.dir} was built with the models ${modelsOf(p.catalog)}, ${first.dir} with ${modelsOf(first.catalog)}: slices must be built with the same models`,
      );
  }
  const sliced = parts.filter((p) => p.run.slice);
  if (sliced.length > 0) {
    if (sliced.length < parts.length)
      throw new MergeError(
        `${sliced[0]!.dir} is a slice (--slice) but ${parts.find((p) => !p.run.slice)!.dir} is not: merge the slices of one job, or whole catalogs`,
      );
    const n = first.run.slice!.count;
    const bySlice = new Map<number, Part>();
    for (const p of parts) {
      const s = p.run.slice!;
      if (s.count !== n)
        throw new MergeError(`${p.dir} is slice ${s.index}/${s.count} but ${first.dir} is slice ${first.run.slice!.index}/${n}: not the same job`);
      if (p.run.inputItems !== first.run.inputItems || p.run.inputDigest !== first.run.inputDigest)
        throw new MergeError(
          `${p.dir} was cut from ${p.run.inputItems} input items, ${first.dir} from ${first.run.inputItems}` +
            `${p.run.inputItems === first.run.inputItems ? ' with other ids' : ''}: the slices were not made from the same inputs`,
        );
      const other = bySlice.get(s.index);
      if (other) throw new MergeError(`${other.dir} and ${p.dir} are both slice ${s.index}/${n}`);
      bySlice.set(s.index, p);
    }
    const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !bySlice.has(i));
    if (missing.length)
      throw new MergeError(`slice${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')} missing: merge all ${n} slices of the job`);
    parts.sort((a, b) => a.run.slice!.index - b.run.slice!.index);
  }
  const owner = new Map<string, string>();
  for (const p of parts) {
    for (const [id] of p.run.items) {
      const other = owner.get(id);
      if (other !== undefined) throw new MergeError(`item id "${id}" is in both ${other} and ${p.dir}: an item may be in one of the merged catalogs only`);
      owner.set(id, p.dir);
    }
  }
  for (const key of ['currency', 'complements'] as const) {
    const a = JSON.stringify(first.catalog[key]);
    const other = parts.find((p) => JSON.stringify(p.catalog[key]) !== a);
    if (other) throw new MergeError(`${other.dir} and ${first.dir} have different "${key}" in catalog.json: build the slices with the same options`);
  }

  // 3. Items in input order with their float32 embeddings; scenes united by id.
  const items: CatalogItem[] = [];
  const vectors: Float32Array[] = [];
  const hashes: [string, string][] = [];
  const scenes = new Map<string, CatalogScene>();
  let files = 0;
  mkdirSync(outDir, { recursive: true });
  for (const [n, p] of parts.entries()) {
    onProgress({ phase: 'files', done: n, total: parts.length, current: p.dir });
    if (p.run.items.length !== p.catalog.count)
      throw new MergeError(
        `${join(p.dir, '.index-run.json')} lists ${p.run.items.length} items, its catalog.json ${p.catalog.count}: run the same index command there again`,
      );
    for (const [id, hash] of p.run.items) {
      const item = p.items.get(id);
      const vector = p.embeddings.get(hash);
      if (!item) throw new MergeError(`${p.dir}: item "${id}" is in its run file but not in its catalog: run the same index command there again`);
      if (!vector) throw new MergeError(`${p.dir}: the embedding of item "${id}" is not in its ${STATE_FILE}: run the same index command there again`);
      items.push(item);
      vectors.push(vector);
      hashes.push([id, hash]);
      if (item.thumbnail && bringFile(p.dir, outDir, item.thumbnail)) files++;
    }
    for (const scene of p.catalog.scenes ?? []) {
      for (const rel of [scene.image, scene.thumbnail]) if (rel && bringFile(p.dir, outDir, rel)) files++;
      const had = scenes.get(scene.id);
      if (!had) scenes.set(scene.id, { ...scene, itemIds: [...scene.itemIds] });
      else had.itemIds.push(...scene.itemIds.filter((x) => !had.itemIds.includes(x)));
    }
  }
  onProgress({ phase: 'files', done: parts.length, total: parts.length });

  // 4. The merged state (so the output can be merged again or re-indexed), then the catalog and its run file.
  const models = { ensembleId: first.catalog.ensembleId, modelSha256: first.catalog.modelSha256, dimension: first.catalog.dimension };
  const { state } = IndexState.open(outDir, models);
  state.addMany(hashes.map(([, hash], i) => [hash, vectors[i]!]));
  onProgress({ phase: 'write', done: 0, total: 1 });
  const catalog = writeCatalog(
    outDir,
    {
      name: options.name ?? basename(outDir),
      ...models,
      items,
      vectors,
      ...(scenes.size ? { scenes: [...scenes.values()] } : {}),
      ...(first.catalog.complements ? { complements: first.catalog.complements } : {}),
      ...(first.catalog.currency ? { currency: first.catalog.currency } : {}),
    },
    {
      onPartitionProgress: (p) => onProgress({ phase: 'partition', done: p.done, total: p.total, current: p.group }),
      ...options.write,
    },
  );
  writeRunFile(outDir, {
    ...(sliced.length
      ? { inputItems: first.run.inputItems, ...(first.run.inputDigest ? { inputDigest: first.run.inputDigest } : {}) }
      : { inputItems: parts.reduce((n, p) => n + p.run.inputItems, 0) }),
    items: hashes,
  });
  onProgress({ phase: 'write', done: 1, total: 1 });
  return { outDir, catalog, items: items.length, files, seconds: (performance.now() - started) / 1000 };
}
