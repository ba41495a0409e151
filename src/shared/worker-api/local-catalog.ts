/**
 * The worker's `localCatalog` group: the shopper's own photos indexed into
 * IndexedDB on this device (workers/local-catalog/). The page drives the loop
 * (decodes each file, transfers its bitmap, shows per-file progress, cancels
 * between files):
 *
 *   startLocalIndex(name) → addLocalPhoto(id, bitmap, info) × n → finishLocalIndex(id)
 *
 * Everything answered is plain cloneable data.
 */
import type { CatalogInfo } from './catalog.ts';

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

export interface LocalCatalogApi {
  /**
   * Starts (or resumes) indexing into the local catalog named `name`: an
   * existing catalog of that name built with the current models is added
   * to (files already in it are skipped); one built with other models is
   * emptied and re-indexed; otherwise a new catalog is created.
   */
  startLocalIndex(name: string): Promise<LocalIndexStart>;
  /** Content hashes (SHA-256 hex) already in the catalog: the page skips those files without decoding them. */
  localPhotoHashes(catalogId: string): Promise<string[]>;
  /**
   * Embeds, thumbnails and stores one photo (committed on its own). The
   * bitmap is transferred in and closed. Answers `ok`, or why not:
   * `duplicate` / `failed` (go on) or `quota` (stop).
   */
  addLocalPhoto(catalogId: string, bitmap: ImageBitmap, photo: LocalPhotoInfo): Promise<AddLocalPhotoResult>;
  /** Ends a run: answers the catalog's summary, or null when it holds no photo (then it is removed). */
  finishLocalIndex(catalogId: string): Promise<LocalCatalogSummary | null>;
  /** Every local catalog on this device, oldest first, with whether the current models can search it. */
  listLocalCatalogs(): Promise<LocalCatalogSummary[]>;
  /** Deletes a local catalog and its photos; false when there was none. (An open one stays searchable until replaced.) */
  deleteLocalCatalog(id: string): Promise<boolean>;
  /** Opens a local catalog for searching, like catalog.open does a downloaded one; refuses one built with other models. */
  openLocalCatalog(id: string): Promise<CatalogInfo>;
}
