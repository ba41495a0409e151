/**
 * The worker's `search` group: the shopper's photo, the objects in it, and
 * the search of the open catalog with it.
 */
import type { ItemView } from './catalog.ts';

/** Query expansion (αQE): the query plus its top-n neighbours, weighted by max(score, 0)^α. */
export interface QueryExpansion {
  /** How many of the first results join the query (≥ 1). */
  n: number;
  /** Weight exponent for the neighbours' scores; 0 (default) is plain AQE. */
  alpha?: number;
}

/** An object the detector proposes in the photo. */
export interface DetectedObject {
  label: string;
  score: number;
  /** Relative to the image: [x1, y1, x2, y2] in 0–1. */
  box: [number, number, number, number];
}

export interface SearchRequest {
  /** Search only this part of the photo (relative [x1, y1, x2, y2]). */
  box?: [number, number, number, number];
  k?: number;
  /** Only items of these categories. */
  categories?: string[];
  expansion?: QueryExpansion;
  /** Weight of the soft vote's category prior (default DEFAULT_CATEGORY_PRIOR; 0 ranks by cosine alone). */
  categoryPrior?: number;
  /**
   * A partitioned catalog: how many of its partitions to search, nearest first (default: the catalog's first-search
   * budget). "More results" asks again with more; a flat catalog ignores it.
   */
  partitions?: number;
}

/** A refined answer: the results, what the search read, and its time. */
export type SearchRefinement = Pick<SearchResponse, 'results' | 'coverage' | 'searchMs'>;

/** How much of a partitioned catalog a search read (absent for a catalog searched whole). */
export interface SearchCoverage {
  /** Partitions searched, of `partitions`. */
  searched: number;
  partitions: number;
  /** Items in the partitions searched, of `items`. */
  itemsSearched: number;
  items: number;
  /** Bytes this search downloaded (0 when every partition it read was already on the device). */
  bytesDownloaded: number;
  /** Whether partitions the search may read (its category filter allowing) are left: "More results" reads them. */
  more: boolean;
  /** A quick first answer: `search.refine` reads the rest of the search's budget and answers again. */
  refining: boolean;
  /** Partitions that could not be read (download or sha256 check failed): the search answered from the others. */
  failed: { partition: string; message: string }[];
}

/** `score`: cosine similarity to the photo; `prior`: what the predicted category added to its rank. */
export type SearchResult = ItemView & { score: number; prior: number };

export interface SearchResponse {
  /** Soft-voted category probabilities (labels in InitInfo.labels) and each member's. */
  probabilities?: Float32Array;
  memberProbabilities?: Record<string, Float32Array>;
  /** True when the probabilities also read the photo's crop view (manifest cropView). */
  cropView?: boolean;
  /** True when each view was also read as its mirror image (manifest mirrorView). */
  mirrorView?: boolean;
  embedding: Float32Array;
  results: SearchResult[];
  /** Time to embed the photo (or box). With `embeddingReused`, that of the earlier request that embedded it. */
  embedMs: number;
  /** True when only the filter changed: the models did not run again, this answer took `searchMs` alone. */
  embeddingReused: boolean;
  searchMs: number;
  /** Set for a partitioned catalog: what the search read, so the page can offer more. */
  coverage?: SearchCoverage;
}

export interface SearchApi {
  /** Keeps the shopper's photo in the worker (transferred, then closed) for detection and searches. */
  setPhoto(bitmap: ImageBitmap): Promise<{ width: number; height: number }>;
  /** Objects worth searching in the current photo. */
  detect(minScore?: number): Promise<DetectedObject[]>;
  /**
   * Classifies the current photo (or a box of it) and finds the most similar catalog items. On a partitioned
   * catalog the answer is a quick first one (`coverage.refining`) unless `partitions` says how far to read.
   */
  run(request?: SearchRequest): Promise<SearchResponse>;
  /**
   * The last `run`'s search (same request) over its whole budget, for an answer that said `coverage.refining`. It
   * reuses that run's embedding and does not wait for other requests; it fails when another photo or area has been
   * searched since.
   */
  refine(request?: SearchRequest): Promise<SearchRefinement>;
}
