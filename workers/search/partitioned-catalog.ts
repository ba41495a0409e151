/**
 * A partitioned catalog (format 2) as the worker searches it: only catalog.json
 * and the centroid file are downloaded when it opens; a search downloads the
 * partitions nearest the query (their shards, verified), scans them, and then
 * the item files of the partitions its results come from. Shards and item
 * lists stay on the device within memory budgets (least recently used go
 * first), so a million-item catalog is never in memory at once. A partition
 * that cannot be read is reported by id and the search answers from the rest.
 * Realm-neutral: the reader decides where files come from.
 */
import { CatalogError, type CatalogItem, type CatalogJson, type ItemsFile, type PartitionLayout, type ShardFile } from '../../src/shared/catalog-format.ts';
import { decodeShard, dequantize, type Shard } from '../../src/shared/catalog-shards.ts';
import { errorMessage } from '../../src/shared/errors.ts';
import type { SearchCoverage } from '../../src/shared/worker-api/search.ts';
import { decodeItemsFile } from './catalog-loader.ts';
import { DEFAULT_PROBE_ITEMS, FIRST_RESULTS_ITEMS, PartitionedSearch } from './partitioned-search.ts';
import type { SearchOptions, SearchResult } from './search-index.ts';

/** Reads one catalog file, verified (size and sha256); rejects naming the file. */
export type PartitionFileReader = (file: ShardFile | ItemsFile) => Promise<ArrayBuffer>;

/** A search of a partitioned catalog: SearchIndex's options, and how far to read. */
export type PartitionedSearchOptions = SearchOptions & {
  /** Read this many partitions, nearest first ("More results"). */
  partitions?: number;
  /** Without `partitions`: a quick `first` answer, or the `full` budget (default). */
  stage?: 'first' | 'full';
};

export interface PartitionedCatalogOptions {
  /** Items a `first` search reads (default: catalog.json's `firstItems`, else FIRST_RESULTS_ITEMS). */
  firstItems?: number;
  /** Bytes of shards kept on the device between searches (default PartitionedSearch's). */
  maxResidentBytes?: number;
  /** Partitions whose item lists are kept (default 256). */
  maxItemPartitions?: number;
}

export class PartitionedCatalog {
  readonly path = 'partitioned' as const;
  readonly dimension: number;
  readonly size: number;
  /** Catalog order; only the items of partitions whose item files are held are present (a sparse list). */
  readonly items: (CatalogItem | undefined)[];
  /** Item id → catalog index, for the items present. */
  readonly itemIndex = new Map<string, number>();
  private readonly scanner: PartitionedSearch;
  /** Partition → its item list's download, most recently used last. */
  private readonly itemLists = new Map<number, Promise<CatalogItem[]>>();
  private readonly maxItemPartitions: number;
  private readonly firstItems: number;

  constructor(
    readonly meta: CatalogJson,
    readonly layout: readonly PartitionLayout[],
    centroids: Shard,
    private readonly read: PartitionFileReader,
    options: PartitionedCatalogOptions = {},
  ) {
    this.dimension = meta.dimension;
    this.size = meta.count;
    this.items = new Array<CatalogItem | undefined>(meta.count);
    this.maxItemPartitions = options.maxItemPartitions ?? 256;
    this.firstItems = options.firstItems ?? meta.partitions?.firstItems ?? FIRST_RESULTS_ITEMS;
    this.scanner = new PartitionedSearch({
      dimension: meta.dimension,
      centroids,
      partitions: layout.map(({ id, category, count, start }) => ({ id, count, start, ...(category !== undefined ? { category } : {}) })),
      loadPartition: (p) => this.readShards(p),
      ...(options.maxResidentBytes !== undefined ? { maxResidentBytes: options.maxResidentBytes } : {}),
    });
  }

  /** Category → items, from the partitions' categories (a partition without one counts under none). */
  categories(): Record<string, number> {
    const out = Object.create(null) as Record<string, number>;
    for (const p of this.layout) if (p.category !== undefined) out[p.category] = (out[p.category] ?? 0) + p.count;
    return out;
  }

  /**
   * Top-k items for a unit query, with their items present in `items` (searchCovered also says what it read). It reads the
   * `options.partitions` nearest partitions, or else as many items as the stage asks: `first`, a quick first answer
   * (FIRST_RESULTS_ITEMS, refined later by a `full` search), or `full` (default), the catalog's `probeItems`.
   */
  async search(query: Float32Array, options: PartitionedSearchOptions = {}): Promise<SearchResult[]> {
    return (await this.searchCovered(query, options)).results;
  }

  /** `search`, with what it read. */
  async searchCovered(query: Float32Array, options: PartitionedSearchOptions = {}): Promise<{ results: SearchResult[]; coverage: SearchCoverage }> {
    if (query.length !== this.dimension) throw new RangeError(`the query has ${query.length} values but this catalog's embeddings have ${this.dimension}`);
    if (options.expansion?.n) throw new RangeError('query expansion is not offered on a partitioned catalog');
    if (options.filter?.indices) throw new RangeError('an item-index filter is not offered on a partitioned catalog');
    const k = options.k ?? 20;
    const probes = options.partitions;
    const fullItems = this.meta.partitions?.probeItems ?? DEFAULT_PROBE_ITEMS;
    const probeItems = options.stage === 'first' ? Math.min(this.firstItems, fullItems) : fullItems;
    const categories = options.filter?.categories;
    const answer = await this.scanner.search(query, {
      k,
      ...(probes !== undefined ? { probes } : { probeItems }),
      ...(options.categoryPrior ? { categoryPrior: options.categoryPrior } : {}),
      ...(categories ? { categories } : {}),
    });
    const failed = [...answer.stats.failed];
    // The results' item files: a partition whose list cannot be read drops its results, and is reported like a shard.
    const wanted = [...new Set(answer.results.map((r) => this.scanner.partitionOf(r.index)))];
    const itemBytes = { downloaded: 0 };
    const lists = await Promise.allSettled(wanted.map((p) => this.itemsOf(p, itemBytes)));
    lists.forEach((l, i) => {
      if (l.status === 'rejected') failed.push({ partition: this.layout[wanted[i]!]!.id, message: errorMessage(l.reason) });
    });
    const results = answer.results.flatMap((r) => {
      const item = this.items[r.index];
      return item ? [{ index: r.index, id: item.id, score: r.score, prior: r.prior }] : [];
    });
    const coverage: SearchCoverage = {
      searched: answer.stats.probed + answer.stats.failed.length,
      partitions: this.layout.length,
      itemsSearched: answer.stats.itemsScanned,
      items: this.size,
      // This search's own downloads (another search running beside it counts its own).
      bytesDownloaded: answer.stats.bytesLoaded + itemBytes.downloaded,
      more: answer.stats.remaining > 0,
      // A first answer that the full budget would read further than: the page asks for the rest (refine).
      refining:
        probes === undefined &&
        options.stage === 'first' &&
        this.scanner.plan(query, { probeItems: fullItems, ...(categories ? { categories } : {}) }).length > answer.stats.probes,
      failed,
    };
    return { results, coverage };
  }

  /** Item `index`'s stored vector, when its partition is on the device (after a search that returned it). */
  vector(index: number, out?: Float32Array): Float32Array {
    const p = this.scanner.partitionOf(index);
    const shards = this.scanner.residentShards(p);
    if (!shards) throw new RangeError(`item ${index}'s partition (${this.layout[p]!.id}) is not on the device`);
    let offset = index - this.layout[p]!.start;
    for (const shard of shards) {
      if (offset < shard.count) return dequantize(shard, offset, out);
      offset -= shard.count;
    }
    throw new RangeError(`item index ${index} is outside its partition`);
  }

  /** The items and stored vectors (int8, as stored) of the partitions on the device: what the page's taste profile may read. */
  held(): { items: CatalogItem[]; vectors: Shard } {
    const parts = [...this.itemLists.keys()].flatMap((p) => {
      const shards = this.scanner.residentShards(p);
      const { start, count } = this.layout[p]!;
      return shards && this.items[start] && this.items[start + count - 1] ? [{ p, shards }] : [];
    });
    const total = parts.reduce((n, { p }) => n + this.layout[p]!.count, 0);
    const d = this.dimension;
    const codes = new Int8Array(total * d);
    const scales = new Float32Array(total);
    const items: CatalogItem[] = [];
    let row = 0;
    for (const { p, shards } of parts) {
      const { start, count } = this.layout[p]!;
      for (let i = start; i < start + count; i++) items.push(this.items[i]!);
      for (const shard of shards) {
        codes.set(shard.codes.subarray(0, shard.count * d), row * d);
        scales.set(shard.scales.subarray(0, shard.count), row);
        row += shard.count;
      }
    }
    return { items, vectors: { count: total, dimension: d, codes, scales } };
  }

  dispose(): void {
    this.scanner.dispose();
    this.itemLists.clear();
    this.itemIndex.clear();
    this.items.length = 0;
  }

  private async readShards(p: number): Promise<Shard[]> {
    const part = this.layout[p]!;
    return Promise.all(
      part.shards.map(async (file) => {
        const bytes = await this.read(file);
        return decodeShard(bytes, { count: file.count, dimension: this.dimension }, file.path);
      }),
    );
  }

  /** Partition p's items, downloaded once (bytes added to `bytes`) and kept (least recently used lists let go beyond maxItemPartitions). */
  private itemsOf(p: number, bytes: { downloaded: number }): Promise<CatalogItem[]> {
    const held = this.itemLists.get(p);
    if (held) {
      this.itemLists.delete(p);
      this.itemLists.set(p, held);
      return held;
    }
    const part = this.layout[p]!;
    const list = (async () => {
      const lists = await Promise.all(
        part.items.map(async (file) => {
          const data = await this.read(file);
          bytes.downloaded += data.byteLength;
          return decodeItemsFile(data, file);
        }),
      );
      const items = lists.flat();
      items.forEach((item, i) => {
        const known = this.itemIndex.get(item.id);
        if (known !== undefined && known !== part.start + i) throw new CatalogError(`partition ${part.id}: item id "${item.id}" appears twice in the catalog`);
      });
      items.forEach((item, i) => {
        this.items[part.start + i] = item;
        this.itemIndex.set(item.id, part.start + i);
      });
      return items;
    })();
    list.catch(() => this.itemLists.delete(p)); // a failed read is tried again by the next search that needs it
    this.itemLists.set(p, list);
    while (this.itemLists.size > this.maxItemPartitions) this.forgetItems(this.itemLists.keys().next().value!);
    return list;
  }

  private forgetItems(p: number): void {
    this.itemLists.delete(p);
    const { start, count } = this.layout[p]!;
    for (let i = start; i < start + count; i++) {
      const item = this.items[i];
      if (item) this.itemIndex.delete(item.id);
      this.items[i] = undefined;
    }
  }
}
