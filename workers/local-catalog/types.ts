/**
 * Types shared by the local-catalog modules (worker side) and the page that
 * drives them: what crosses the comlink boundary is plain, cloneable data.
 */

/** The models a local catalog's vectors were computed with (what checkCompatible compares). */
export interface LocalAppModels {
  ensembleId: string;
  dimension: number;
  /** embeddingModelSha256(manifest, loaded member ids): sorted sha256 of the files that shape the embedding. */
  modelSha256: readonly string[];
}

/** One photo the page sends to the worker, besides its pixels. */
export interface LocalPhotoInfo {
  /** File name, e.g. `a.jpg` (the item's title is derived from it). */
  name: string;
  /** SHA-256 (lowercase hex) of the file's bytes: re-runs skip files already indexed. */
  hash: string;
  /** File size in bytes. */
  size: number;
  /** From the sub-folder, e.g. `wardrobe/shoes/a.jpg` → `shoes`. */
  category?: string;
  /** Where it came from: the path inside the chosen folder, or the file name. */
  source?: string;
}

/** A local catalog as the page lists it. */
export interface LocalCatalogSummary {
  id: string;
  name: string;
  /** Photos indexed. */
  count: number;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
  ensembleId: string;
  dimension: number;
  /** false when built with other models than the app's current ones (open refuses it; re-index). Absent while the models are not loaded. */
  compatible?: boolean;
  /** Why it cannot be opened, when `compatible` is false. */
  problem?: string;
}

/** What startLocalIndex answers. */
export interface LocalIndexStart {
  catalogId: string;
  name: string;
  /** Photos the catalog already holds (a re-run adds to it, skipping those). */
  count: number;
  /** true when a catalog of this name existed and is being added to. */
  resumed: boolean;
  /** true when a catalog of this name existed but was built with other models: it was emptied to be re-indexed. */
  reset: boolean;
}

export type AddLocalPhotoResult =
  | { ok: true; index: number; id: string; count: number }
  /**
   * `duplicate`: a file with the same bytes is already in the catalog (skipped);
   * `failed`: this photo could not be indexed (the reason says why), the run goes on;
   * `quota`: the device's storage is full, stop the run (the reason says how many were kept).
   */
  | { ok: false; code: 'duplicate' | 'failed' | 'quota'; reason: string; count?: number };
