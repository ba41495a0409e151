/**
 * The loaded catalog, searchable: picks the typed-array path for small
 * catalogs and the tfjs (GPU) path for large ones on a GPU backend (the path
 * is chosen when the index is made: make it after the backend is set), resolves category filters
 * to masks (cached), and offers query expansion. Realm-neutral (the worker
 * calls it; so do the Node eval and bench tools).
 */
import * as tf from '@tensorflow/tfjs';
import type { CatalogItem } from '../../src/shared/catalog-format.ts';
import { dequantize, type Shard } from '../../src/shared/catalog-shards.ts';
import type { SearchPath } from '../../src/shared/worker-api/catalog.ts';
import { exactSearch } from './exact-search.ts';
import { filterMask, type SearchFilter } from './filter.ts';
import { GpuSearch } from './gpu-search.ts';
import { PRIOR_SHORTLIST, probabilityOf, type CategoryPrior } from './category-prior.ts';
import { expandQuery, type QueryExpansion } from './query-expansion.ts';
import type { Scored } from './top-k.ts';

export type { SearchFilter } from './filter.ts';
export type { QueryExpansion } from './query-expansion.ts';
export type { CategoryPrior } from './category-prior.ts';
export { PRIOR_SHORTLIST } from './category-prior.ts';
export type { SearchPath };
/** The paths a whole-catalog index scans by (a partitioned catalog is searched by PartitionedCatalog). */
export type ScanPath = Exclude<SearchPath, 'partitioned'>;

/** Below this many items the typed-array scan is used, at or above it the tfjs path (on a GPU backend). */
export const DEFAULT_GPU_THRESHOLD = 20_000;
/**
 * tfjs backends worth moving search to. On wasm and cpu the typed-array scan
 * is as fast or faster and needs no float32 copy of the catalog (bench/search.json).
 */
export const DEFAULT_GPU_BACKENDS: readonly string[] = ['webgpu', 'webgl'];

export interface SearchIndexOptions {
  /** Item count from which the tfjs path is used (default 20,000). */
  gpuThreshold?: number;
  /** Backends on which 'auto' may pick the tfjs path (default webgpu, webgl). */
  gpuBackends?: readonly string[];
  /** Force a path ('auto' = by size and backend). */
  path?: ScanPath | 'auto';
}

export interface SearchOptions {
  /** How many results (default 20). */
  k?: number;
  filter?: SearchFilter;
  /** Re-query with the query and its top-n results (AQE / αQE). */
  expansion?: QueryExpansion;
  /** Let the photo's predicted category steer which look-alikes come first (see CategoryPrior). */
  categoryPrior?: CategoryPrior;
}

export interface SearchResult {
  /** Position in the catalog. */
  index: number;
  id: string;
  /** Cosine similarity with the (expanded) query. */
  score: number;
  /** What the category prior added to this result's rank (0 without one); results are ordered by score + prior. */
  prior: number;
}

/** What a search index is built from; a LoadedCatalog is one. */
export interface SearchableCatalog {
  items: readonly Pick<CatalogItem, 'id' | 'category'>[];
  shards: readonly Shard[];
}

const MASK_CACHE_SIZE = 16;

export class SearchIndex {
  readonly path: ScanPath;
  readonly dimension: number;
  readonly size: number;
  private gpu: GpuSearch | undefined;
  private readonly shardStarts: number[] = [];
  private readonly masks = new Map<string, Uint8Array>();

  constructor(
    private readonly catalog: SearchableCatalog,
    options: SearchIndexOptions = {},
  ) {
    this.size = catalog.shards.reduce((n, s) => n + s.count, 0);
    if (this.size !== catalog.items.length) throw new RangeError(`the catalog has ${catalog.items.length} items but ${this.size} vectors`);
    const first = catalog.shards[0];
    if (!first) throw new RangeError('the catalog has no shards');
    this.dimension = first.dimension;
    let start = 0;
    for (const s of catalog.shards) {
      if (s.dimension !== this.dimension) throw new RangeError(`shards of different dimensions (${this.dimension} and ${s.dimension})`);
      this.shardStarts.push(start);
      start += s.count;
    }
    const threshold = options.gpuThreshold ?? DEFAULT_GPU_THRESHOLD;
    const onGpu = (options.gpuBackends ?? DEFAULT_GPU_BACKENDS).includes(tf.getBackend());
    this.path = options.path && options.path !== 'auto' ? options.path : this.size >= threshold && onGpu ? 'gpu' : 'typed-array';
  }

  /** Every item's vector as stored, in one int8 shard (a copy): what the page's taste profile reads (a quarter of float32). */
  quantized(): Shard {
    const codes = new Int8Array(this.size * this.dimension);
    const scales = new Float32Array(this.size);
    this.catalog.shards.forEach((s, i) => {
      const start = this.shardStarts[i]!;
      codes.set(s.codes.subarray(0, s.count * this.dimension), start * this.dimension);
      scales.set(s.scales.subarray(0, s.count), start);
    });
    return { count: this.size, dimension: this.dimension, codes, scales };
  }

  /** Item `index`'s vector as stored (dequantised int8). */
  vector(index: number, out?: Float32Array): Float32Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) throw new RangeError(`item index ${index} is outside the catalog (0–${this.size - 1})`);
    let lo = 0;
    let hi = this.shardStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.shardStarts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return dequantize(this.catalog.shards[lo]!, index - this.shardStarts[lo]!, out);
  }

  /** Top-k items for a unit-length query vector, best first. */
  async search(query: Float32Array, options: SearchOptions = {}): Promise<SearchResult[]> {
    const k = options.k ?? 20;
    if (query.length !== this.dimension) throw new RangeError(`the query has ${query.length} values but this catalog's embeddings have ${this.dimension}`);
    const mask = this.maskFor(options.filter);
    let q = query;
    const expansion = options.expansion;
    if (expansion && expansion.n > 0) {
      const first = await this.scan(q, expansion.n, mask);
      q = expandQuery(
        q,
        first.map((r) => this.vector(r.index)),
        first.map((r) => r.score),
        expansion.alpha ?? 0,
      );
    }
    const prior = options.categoryPrior;
    if (!prior || prior.weight === 0) {
      const hits = await this.scan(q, k, mask);
      return hits.map((h) => ({ index: h.index, id: this.catalog.items[h.index]!.id, score: h.score, prior: 0 }));
    }
    const shortlist = await this.scan(q, Math.max(k, PRIOR_SHORTLIST), mask);
    return shortlist
      .map((h) => {
        const item = this.catalog.items[h.index]!;
        return { index: h.index, id: item.id, score: h.score, prior: prior.weight * probabilityOf(prior, item.category) };
      })
      .sort((a, b) => b.score + b.prior - (a.score + a.prior) || b.score - a.score || a.index - b.index)
      .slice(0, k);
  }

  /** Uploads the catalog to the tfjs backend now (otherwise on the first GPU-path search). */
  prepare(): void {
    if (this.path === 'gpu' && !this.gpu) this.gpu = GpuSearch.create(this.catalog.shards);
  }

  dispose(): void {
    this.gpu?.dispose();
    this.gpu = undefined;
    this.masks.clear();
  }

  private scan(query: Float32Array, k: number, mask: Uint8Array | undefined): Promise<Scored[]> | Scored[] {
    if (this.path === 'typed-array') return exactSearch(this.catalog.shards, query, k, mask);
    this.prepare();
    return this.gpu!.search(query, k, mask);
  }

  /** Category-only filters are cached (the GPU path then keeps the mask on the device). */
  private maskFor(filter: SearchFilter | undefined): Uint8Array | undefined {
    if (!filter) return undefined;
    if (filter.indices !== undefined || filter.categories === undefined) return filterMask(filter, this.catalog.items);
    const key = JSON.stringify([...filter.categories].sort());
    let mask = this.masks.get(key);
    if (!mask) {
      mask = filterMask(filter, this.catalog.items)!;
      if (this.masks.size >= MASK_CACHE_SIZE) this.masks.delete(this.masks.keys().next().value!);
      this.masks.set(key, mask);
    }
    return mask;
  }
}
