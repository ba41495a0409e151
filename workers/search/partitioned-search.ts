/**
 * Search over a partitioned catalog (format 2, docs/catalog-format.md,
 * "Partitioned search"): the query is compared with every partition's
 * centroid, the nearest partitions are fetched (concurrently, through
 * `loadPartition`), kept in an LRU bounded by bytes, and exact-scanned with
 * exactSearch. Results carry catalog-global indices. Realm-neutral; no tfjs.
 *
 * - Probe order: partitions by cosine of the query to their centroid, best
 *   first. The category prior does not change the order: SearchIndex shortlists
 *   by cosine alone and the prior only re-orders that shortlist, so the
 *   partitions nearest by cosine are the ones that hold it (see the docs).
 * - Probe budget: `probes` partitions, or partitions until `probeItems` items
 *   (default DEFAULT_PROBE_ITEMS, chosen on validation queries: bench-search).
 *   "More results" is the same search with a larger budget: the partitions
 *   already probed are in the cache, only the next ones are fetched.
 * - Failures: a partition whose load rejects (bad sha256, network) is reported
 *   by id with the error's message; the search answers from the others, and
 *   the next search tries that partition again (failures are not cached).
 * - Memory: the LRU holds at most `maxResidentBytes` of decoded shards, except
 *   while the partitions of running searches alone exceed it (they are never
 *   evicted during their search); it is trimmed back as soon as they finish.
 */
import type { Shard } from '../../src/shared/catalog-shards.ts';
import { shardByteLength } from '../../src/shared/catalog-format.ts';
import { exactSearch } from './exact-search.ts';
import { PRIOR_SHORTLIST, probabilityOf, type CategoryPrior } from './category-prior.ts';
import { TopK } from './top-k.ts';

/** What the search needs to know of one partition (catalog.json's PartitionLayout has all of it). */
export interface PartitionInfo {
  id: string;
  /** Every item of the partition has this category (absent: mixed; then the loader may give per-item categories). */
  category?: string;
  count: number;
  /** Catalog index of its first item. */
  start: number;
}

/** A loaded partition: its decoded shards, and its items' categories when the partition has none of its own. */
export interface LoadedPartition {
  shards: Shard[];
  /** One per item, in order (only read for a partition without `category`). */
  categories?: readonly (string | undefined)[];
}

export interface PartitionedSearchOptions {
  dimension: number;
  /** Row p is partition p's unit centroid. */
  centroids: Shard;
  partitions: readonly PartitionInfo[];
  /** Partition p's verified, decoded shards; rejects with an Error whose message names the file when a file is missing or fails its check. */
  loadPartition: (p: number) => Promise<Shard[] | LoadedPartition>;
  /** Bytes of decoded shards kept between searches (default DEFAULT_MAX_RESIDENT_BYTES). */
  maxResidentBytes?: number;
}

export interface PartitionedSearchQuery {
  /** How many results (default 20). */
  k?: number;
  /** Probe this many partitions (nearest centroids first); overrides probeItems. */
  probes?: number;
  /** Probe partitions until at least this many items are covered (default DEFAULT_PROBE_ITEMS). */
  probeItems?: number;
  /** Re-order the cosine shortlist as SearchIndex does. */
  categoryPrior?: CategoryPrior;
  /** Only items of these categories: partitions of other categories are not fetched at all. */
  categories?: readonly string[];
}

export interface PartitionedResult {
  /** Position in the catalog. */
  index: number;
  /** Cosine similarity with the query. */
  score: number;
  /** What the category prior added to the rank (0 without one). */
  prior: number;
}

export interface PartitionFailure {
  /** The partition's id (catalog.json). */
  partition: string;
  message: string;
}

export interface PartitionedSearchStats {
  /** Partitions this search asked for (its probe budget, after the category filter). */
  probes: number;
  /** Partitions actually scanned (probes less the failed ones). */
  probed: number;
  itemsScanned: number;
  /** Bytes of shards this call loaded (0 when every partition was cached). */
  bytesLoaded: number;
  /** Decoded shard bytes held once the search is done. */
  residentBytes: number;
  /** Partitions that could not be loaded this time (retried by the next search). */
  failed: PartitionFailure[];
  /** Eligible partitions not probed yet: a "more results" search with a larger budget would reach them. */
  remaining: number;
}

export interface PartitionedSearchResponse {
  results: PartitionedResult[];
  stats: PartitionedSearchStats;
}

/** Default items probed per search (see docs/catalog-format.md, "Partitioned search": chosen on validation queries). */
export const DEFAULT_PROBE_ITEMS = 64_000;
/**
 * Items the first stage of an app search reads (its first results), before it goes on to the full budget in the
 * background: the smallest budget swept whose validation recall@10 at 1M real-distribution items is ≥ 0.95 (0.990,
 * 3.4 MB before the first results; docs/performance.md, "Partitioned search").
 */
export const FIRST_RESULTS_ITEMS = 8_000;
/** Default bound of the partition cache: 64 MiB of decoded shards (about 250,000 items at d = 256). */
export const DEFAULT_MAX_RESIDENT_BYTES = 64 * 1024 * 1024;

interface Resident {
  shards: Shard[];
  categories?: readonly (string | undefined)[];
  bytes: number;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class PartitionedSearch {
  readonly dimension: number;
  readonly size: number;
  readonly maxResidentBytes: number;
  private readonly partitions: readonly PartitionInfo[];
  private readonly centroids: Shard;
  private readonly loader: (p: number) => Promise<Shard[] | LoadedPartition>;
  /** Insertion order = least recently used first. */
  private readonly cache = new Map<number, Resident>();
  private readonly loading = new Map<number, Promise<Resident>>();
  /** Partitions in use by running searches (count of searches). */
  private readonly pins = new Map<number, number>();
  private resident = 0;
  private peak = 0;
  private disposed = false;

  constructor(options: PartitionedSearchOptions) {
    const { dimension, centroids, partitions } = options;
    if (partitions.length === 0) throw new RangeError('a partitioned catalog needs at least one partition');
    if (centroids.dimension !== dimension) throw new RangeError(`the centroids have ${centroids.dimension} dimensions; the catalog ${dimension}`);
    if (centroids.count !== partitions.length) throw new RangeError(`${centroids.count} centroids for ${partitions.length} partitions`);
    let next = 0;
    for (const p of partitions) {
      if (p.start !== next) throw new RangeError(`partition ${p.id} starts at item ${p.start}; the one before it ends at ${next}`);
      next += p.count;
    }
    this.dimension = dimension;
    this.size = next;
    this.partitions = partitions;
    this.centroids = centroids;
    this.loader = options.loadPartition;
    this.maxResidentBytes = options.maxResidentBytes ?? DEFAULT_MAX_RESIDENT_BYTES;
  }

  /** Bytes of decoded shards held now, and the most ever held. */
  get residentBytes(): number {
    return this.resident;
  }
  get peakResidentBytes(): number {
    return this.peak;
  }
  /** Partition p's decoded shards when the cache holds them (its place in the LRU order is left as it is). */
  residentShards(p: number): Shard[] | undefined {
    return this.cache.get(p)?.shards;
  }

  /** Partition indices held in the cache, least recently used first. */
  get cachedPartitions(): number[] {
    return [...this.cache.keys()];
  }

  /**
   * Every partition a search may probe (after the category filter), nearest
   * centroid first (ties: lower index).
   */
  probeOrder(query: Float32Array, categories?: readonly string[]): number[] {
    this.checkQuery(query);
    const scored = exactSearch([this.centroids], query, this.partitions.length);
    const order = scored.map((s) => s.index);
    if (categories === undefined) return order;
    const wanted = new Set(categories);
    // A partition of one category is probed only when that category is wanted; a mixed one always (its items are masked).
    return order.filter((p) => {
      const c = this.partitions[p]!.category;
      return c === undefined || wanted.has(c);
    });
  }

  /** The partitions a search with this budget probes, in probe order. */
  plan(query: Float32Array, options: PartitionedSearchQuery = {}): number[] {
    const order = this.probeOrder(query, options.categories);
    return order.slice(0, this.budget(order, options));
  }

  /** Loads (into the cache, within its budget) the partitions a search with these options would probe: for fetching the next ones in the background. */
  async prefetch(query: Float32Array, options: PartitionedSearchQuery = {}): Promise<PartitionFailure[]> {
    const failed: PartitionFailure[] = [];
    await Promise.all(
      this.plan(query, options).map(async (p) => {
        try {
          await this.acquire(p, { bytes: 0 });
        } catch (error) {
          failed.push({ partition: this.partitions[p]!.id, message: messageOf(error) });
        }
      }),
    );
    this.trim();
    return failed;
  }

  async search(query: Float32Array, options: PartitionedSearchQuery = {}): Promise<PartitionedSearchResponse> {
    if (this.disposed) throw new Error('this partitioned search has been disposed');
    const k = options.k ?? 20;
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a whole number ≥ 0, got ${k}`);
    const prior = options.categoryPrior && options.categoryPrior.weight !== 0 ? options.categoryPrior : undefined;
    const want = prior ? Math.max(k, PRIOR_SHORTLIST) : k;
    const order = this.probeOrder(query, options.categories);
    const plan = order.slice(0, this.budget(order, options));
    const wanted = options.categories === undefined ? undefined : new Set(options.categories);
    const top = new TopK(want);
    const failed: PartitionFailure[] = [];
    const loaded = { bytes: 0 };
    /** The item categories of the mixed partitions scanned (for the prior): kept without their shards. */
    const used = new Map<number, readonly (string | undefined)[]>();
    let itemsScanned = 0;
    let probed = 0;
    const unpin = (p: number) => {
      const n = this.pins.get(p)! - 1;
      if (n === 0) this.pins.delete(p);
      else this.pins.set(p, n);
    };
    for (const p of plan) this.pins.set(p, (this.pins.get(p) ?? 0) + 1);
    const pinned = new Set(plan);
    try {
      // Each partition is scanned as soon as it arrives (the merged top-K does not depend on the order), then let go:
      // a search over more partitions than the budget holds keeps within it, bar the partitions still arriving.
      await Promise.all(
        plan.map(async (p) => {
          let part: Resident;
          try {
            part = await this.acquire(p, loaded);
          } catch (error) {
            failed.push({ partition: this.partitions[p]!.id, message: messageOf(error) });
            pinned.delete(p);
            unpin(p);
            return;
          }
          const info = this.partitions[p]!;
          if (part.categories) used.set(p, part.categories);
          const mask = wanted && info.category === undefined ? this.maskOf(part, info, wanted) : undefined;
          probed++;
          itemsScanned += info.count;
          for (const hit of exactSearch(part.shards, query, want, mask)) top.push(info.start + hit.index, hit.score);
          pinned.delete(p);
          unpin(p);
          this.trim();
        }),
      );
    } finally {
      for (const p of pinned) unpin(p);
      this.trim();
    }
    const hits = top.sorted();
    let results: PartitionedResult[];
    if (!prior) results = hits.map((h) => ({ index: h.index, score: h.score, prior: 0 }));
    else
      results = hits
        .map((h) => ({ index: h.index, score: h.score, prior: prior.weight * probabilityOf(prior, this.categoryOf(h.index, used)) }))
        .sort((a, b) => b.score + b.prior - (a.score + a.prior) || b.score - a.score || a.index - b.index)
        .slice(0, k);
    failed.sort((a, b) => plan.indexOf(this.indexOfId(a.partition)) - plan.indexOf(this.indexOfId(b.partition)));
    return {
      results,
      stats: {
        probes: plan.length,
        probed,
        itemsScanned,
        bytesLoaded: loaded.bytes,
        residentBytes: this.resident,
        failed,
        remaining: order.length - plan.length,
      },
    };
  }

  /** Drops every cached partition; later searches reject. */
  dispose(): void {
    this.disposed = true;
    this.cache.clear();
    this.resident = 0;
  }

  // ------------------------------------------------------------ internals

  private checkQuery(query: Float32Array): void {
    if (query.length !== this.dimension) throw new RangeError(`the query has ${query.length} values but this catalog's embeddings have ${this.dimension}`);
  }

  /** How many of `order`'s partitions the options' budget covers (at least one when there is one). */
  private budget(order: readonly number[], options: PartitionedSearchQuery): number {
    if (options.probes !== undefined) {
      if (!(options.probes >= 0)) throw new RangeError(`probes must be ≥ 0, got ${options.probes}`);
      return Math.min(order.length, Math.floor(options.probes));
    }
    const items = options.probeItems ?? DEFAULT_PROBE_ITEMS;
    let covered = 0;
    let n = 0;
    while (n < order.length && (n === 0 || covered < items)) covered += this.partitions[order[n++]!]!.count;
    return n;
  }

  private indexOfId(id: string): number {
    return this.partitions.findIndex((p) => p.id === id);
  }

  /** The category of catalog item `index` (its partition's, or the loader's per-item list; undefined when unknown). */
  /** The partition holding catalog index `index` (binary search over the partitions' starts). */
  partitionOf(index: number): number {
    let lo = 0;
    let hi = this.partitions.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.partitions[mid]!.start <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private categoryOf(index: number, used: ReadonlyMap<number, readonly (string | undefined)[]>): string | undefined {
    const p = this.partitionOf(index);
    const info = this.partitions[p]!;
    return info.category ?? used.get(p)?.[index - info.start];
  }

  private maskOf(part: Resident, info: PartitionInfo, wanted: Set<string>): Uint8Array {
    const mask = new Uint8Array(info.count);
    for (let i = 0; i < info.count; i++) if (wanted.has(part.categories?.[i] ?? '')) mask[i] = 1;
    return mask;
  }

  /** Partition p from the cache (marked most recently used) or loaded now (its bytes added to `loaded`). */
  private async acquire(p: number, loaded: { bytes: number }): Promise<Resident> {
    const hit = this.cache.get(p);
    if (hit) {
      this.cache.delete(p);
      this.cache.set(p, hit);
      return hit;
    }
    let pending = this.loading.get(p);
    if (!pending) {
      pending = this.load(p).finally(() => this.loading.delete(p));
      this.loading.set(p, pending);
      const part = await pending;
      loaded.bytes += part.bytes;
      if (!this.disposed) {
        this.cache.set(p, part);
        this.resident += part.bytes;
        this.trim();
        this.peak = Math.max(this.peak, this.resident);
      }
      return part;
    }
    return pending;
  }

  private async load(p: number): Promise<Resident> {
    const info = this.partitions[p]!;
    const got = await this.loader(p);
    const shards = Array.isArray(got) ? got : got.shards;
    const categories = Array.isArray(got) ? undefined : got.categories;
    let count = 0;
    let bytes = 0;
    for (const s of shards) {
      if (s.dimension !== this.dimension) throw new Error(`partition ${info.id}: a shard has ${s.dimension} dimensions; the catalog ${this.dimension}`);
      count += s.count;
      bytes += shardByteLength(s.count, s.dimension);
    }
    if (count !== info.count) throw new Error(`partition ${info.id}: its shards hold ${count} items; catalog.json says ${info.count}`);
    if (categories !== undefined && categories.length !== info.count)
      throw new Error(`partition ${info.id}: ${categories.length} item categories for ${info.count} items`);
    return { shards, categories, bytes };
  }

  /** Evicts least recently used partitions not in use until the cache fits its budget. */
  private trim(): void {
    if (this.resident <= this.maxResidentBytes) return;
    for (const [p, part] of this.cache) {
      if (this.resident <= this.maxResidentBytes) break;
      if (this.pins.has(p)) continue;
      this.cache.delete(p);
      this.resident -= part.bytes;
    }
  }
}
