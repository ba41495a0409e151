/**
 * The worker's `catalog` group: opening a downloaded catalog, and reading its
 * items and scenes for the page.
 */
import type { Shard } from '../catalog-shards.ts';

/** How the open catalog is searched: a typed-array scan, tfjs on the GPU, or partition by partition (a large catalog). */
export type SearchPath = 'typed-array' | 'gpu' | 'partitioned';

export interface CatalogInfo {
  url: string;
  name: string;
  count: number;
  dimension: number;
  bytes: number;
  /** Category → number of items. */
  categories: Record<string, number>;
  scenes: number;
  /** The categories of the items the scenes show: "Seen in" is offered for items of these categories only. */
  sceneCategories: string[];
  searchPath: SearchPath;
  /** A partitioned catalog: how many partitions it has (each downloaded when a search needs it). */
  partitions?: number;
}

/** Bytes of the catalog downloaded so far, of `total`, and the file on its way. */
export interface CatalogProgress {
  loaded: number;
  total: number;
  file: string;
}

/** What the page renders for an item: metadata with absolute URLs, and links only when they are http(s). */
export interface ItemView {
  id: string;
  title: string;
  category?: string;
  price?: number;
  url?: string;
  thumbnail?: string;
  attributes?: Record<string, string>;
}

/** Why a scene is offered for an item. */
export type SceneReason =
  | { kind: 'contains' }
  /** The scene shows `itemId`, which looks like the asked-for item with this cosine similarity. */
  | { kind: 'look-alike'; itemId: string; similarity: number };

/** A scene offered under "Seen in": absolute image URLs and why it is offered. */
export interface SceneSummary {
  id: string;
  title: string;
  /** The full scene photo. */
  image: string;
  thumbnail?: string;
  itemCount: number;
  reason: SceneReason;
  /** "contains this product" or "contains a look-alike (0.87)". */
  why: string;
  /** The look-alike the scene shows, when it does not show the item itself. */
  lookAlike?: { id: string; title: string; similarity: number };
}

/** An opened scene: its photo and the catalog items in it. */
export interface SceneView {
  id: string;
  title: string;
  image: string;
  thumbnail?: string;
  items: ItemView[];
}

/**
 * Every item's id, category, colour and unit embedding, for the taste profile on the page: the
 * embeddings as the catalog stores them (int8 codes and a scale per item, row i = items[i]), a
 * quarter of the bytes of float32; the page dequantises a row when it needs it.
 */
export interface CatalogVectors {
  catalogId: string;
  items: { id: string; category: string; color?: string }[];
  vectors: Shard;
  complements?: Record<string, string[]>;
  /** The catalog's taste-cluster file (parsed JSON), when it ships one. */
  clusters?: unknown;
}

export interface CatalogApi {
  /** Opens a catalog (catalog.json URL); the previous one stays in use if this one fails. */
  open(url: string, onProgress: (p: CatalogProgress) => void): Promise<CatalogInfo>;
  /**
   * Starts downloading a catalog's files while the models load (not queued behind them), for `open` to find; never
   * fails (what is wrong is for `open` to report).
   */
  prefetch(url: string): Promise<void>;
  /** Catalog items by id, with their stored embeddings (for the taste profile and For-you). */
  items(ids: string[]): Promise<(ItemView & { embedding: Float32Array })[]>;
  /** "Seen in": up to `limit` scenes showing the item, then scenes showing its closest look-alikes. */
  seenIn(itemId: string, limit?: number): Promise<SceneSummary[]>;
  /** One scene of the open catalog with its items. */
  scene(sceneId: string): Promise<SceneView>;
  /** The open catalog's int8 vectors (transferred), or undefined when none is open. */
  vectors(): Promise<CatalogVectors | undefined>;
}
