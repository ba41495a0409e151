/**
 * The page side of on-device indexing: hashes each picked photo (files
 * already in the catalog are skipped without decoding), decodes it
 * (decodePhoto: orientation, size limits, clear messages), transfers the
 * bitmap to the worker, which embeds and stores it on its own. Reports
 * per-file progress; an AbortSignal stops it between files (the photo in
 * flight in the worker is finished and kept whole; nothing is half-written).
 */
import type { LocalCatalogApi, LocalCatalogSummary } from '../shared/worker-api/local-catalog.ts';
import { MAX_FILE_BYTES, decodePhoto } from '../photo-decode.ts';
import { errorMessage } from '../shared/errors.ts';
import { categoryFromPath, displayPath, hashFile, relativePath, selectPhotos, type SkippedFile } from './files.ts';

/** The worker's calls an indexing run makes (the client's `localCatalog`, which transfers the bitmap). */
export type LocalIndexingCalls = Pick<LocalCatalogApi, 'startLocalIndex' | 'localPhotoHashes' | 'addLocalPhoto' | 'finishLocalIndex'>;

export interface LocalIndexProgress {
  /** Photos handled so far (indexed, already indexed or failed). */
  done: number;
  /** Photos to handle (picked files that look like photos). */
  total: number;
  indexed: number;
  alreadyIndexed: number;
  /** Files skipped, with why: not photos, unreadable, could not be indexed. */
  failed: SkippedFile[];
  /** The file being handled now. */
  currentName?: string;
  /** Photos handled per second so far. */
  ratePerSecond: number;
  /** Seconds left at that rate (absent until there is a rate). */
  etaSeconds?: number;
}

export interface LocalIndexSummary {
  /** null when nothing was started (no photo among the files). */
  catalogId: string | null;
  name: string;
  /** Files picked. */
  files: number;
  indexed: number;
  alreadyIndexed: number;
  failed: SkippedFile[];
  /** Photos in the catalog now (0 when it was left empty and removed). */
  count: number;
  cancelled: boolean;
  /** What stopped the run early (storage full, the image engine stopped, …). */
  error?: string;
  /** The catalog existed and was added to / was emptied to re-index with the current models. */
  resumed: boolean;
  reset: boolean;
  /** The catalog as listed, when it holds photos. */
  catalog?: LocalCatalogSummary;
  seconds: number;
}

export interface RunIndexingOptions {
  files: readonly File[];
  /** The local catalog's name (an existing one of that name is added to). */
  name: string;
  worker: LocalIndexingCalls;
  signal?: AbortSignal;
  onProgress?: (p: LocalIndexProgress) => void;
  /** Defaults: decodePhoto, SHA-256 of the bytes, performance.now (ms). */
  decode?: (file: File) => Promise<ImageBitmap>;
  hash?: (file: File) => Promise<string>;
  now?: () => number;
}

function closeQuietly(bitmap: ImageBitmap | undefined): void {
  try {
    bitmap?.close();
  } catch {
    /* detached (transferred) or closed */
  }
}

/** Indexes the picked files into the local catalog `name`. Throws only when the run could not start. */
export async function runIndexing(options: RunIndexingOptions): Promise<LocalIndexSummary> {
  const { worker, signal, onProgress } = options;
  const decode = options.decode ?? ((file: File) => decodePhoto(file));
  const hash = options.hash ?? hashFile;
  const now = options.now ?? (() => performance.now());
  const started = now();
  const { photos, skipped } = selectPhotos(options.files);
  const failed: SkippedFile[] = [...skipped];
  const name = options.name.trim();
  let done = 0;
  let indexed = 0;
  let alreadyIndexed = 0;
  let cancelled = false;
  let error: string | undefined;

  const emit = (currentName?: string) => {
    const seconds = (now() - started) / 1000;
    const ratePerSecond = done > 0 && seconds > 0 ? done / seconds : 0;
    onProgress?.({
      done,
      total: photos.length,
      indexed,
      alreadyIndexed,
      failed: [...failed],
      ...(currentName !== undefined ? { currentName } : {}),
      ratePerSecond,
      ...(ratePerSecond > 0 ? { etaSeconds: (photos.length - done) / ratePerSecond } : {}),
    });
  };
  const result = (extra: Partial<LocalIndexSummary> & { catalogId: string | null; count: number; resumed: boolean; reset: boolean }): LocalIndexSummary => ({
    name,
    files: options.files.length,
    indexed,
    alreadyIndexed,
    failed,
    cancelled,
    ...(error !== undefined ? { error } : {}),
    seconds: (now() - started) / 1000,
    ...extra,
  });

  if (!name) throw new Error('Give the catalog a name.');
  if (photos.length === 0) {
    error = options.files.length ? 'None of the chosen files is a photo this app can index.' : 'No files were chosen.';
    emit();
    return result({ catalogId: null, count: 0, resumed: false, reset: false });
  }

  const start = await worker.startLocalIndex(name);
  const { catalogId } = start;
  let finished: LocalCatalogSummary | null = null;
  let finishFailed = false;
  try {
    const known = new Set(await worker.localPhotoHashes(catalogId));
    emit();
    for (const file of photos) {
      if (signal?.aborted) {
        cancelled = true;
        break;
      }
      const path = displayPath(file);
      emit(path);
      // 1. The file: hash, skip if known, decode. A failure here skips this file only.
      let bitmap: ImageBitmap | undefined;
      let contentHash: string;
      try {
        // Empty or oversized files: decodePhoto refuses them with its message before reading any bytes.
        if (file.size === 0 || file.size > MAX_FILE_BYTES) bitmap = await decode(file);
        contentHash = await hash(file);
        if (known.has(contentHash)) {
          closeQuietly(bitmap);
          alreadyIndexed++;
          done++;
          emit();
          continue;
        }
        if (!signal?.aborted) bitmap ??= await decode(file);
      } catch (e) {
        closeQuietly(bitmap);
        failed.push({ name: path, reason: errorMessage(e) });
        done++;
        emit();
        continue;
      }
      if (signal?.aborted || !bitmap) {
        closeQuietly(bitmap); // dropped before it reached the worker
        cancelled = true;
        break;
      }
      // 2. The worker: embed and store (committed whole). A failure here stops the run.
      const category = categoryFromPath(relativePath(file));
      const outcome = await worker.addLocalPhoto(catalogId, bitmap, {
        name: file.name,
        hash: contentHash,
        size: file.size,
        source: path,
        ...(category ? { category } : {}),
      });
      done++;
      if (outcome.ok) {
        indexed++;
        known.add(contentHash);
      } else if (outcome.code === 'duplicate') {
        alreadyIndexed++;
        known.add(contentHash);
      } else if (outcome.code === 'failed') failed.push({ name: path, reason: outcome.reason });
      else {
        error = outcome.reason; // quota: the photos before are kept
        emit();
        break;
      }
      emit();
    }
  } catch (e) {
    error = errorMessage(e);
  } finally {
    try {
      finished = await worker.finishLocalIndex(catalogId);
    } catch (e) {
      finishFailed = true;
      error ??= errorMessage(e);
    }
  }
  emit();
  return result({
    catalogId: finished || finishFailed ? catalogId : null,
    // finishLocalIndex failing (the worker stopped): what was committed is still stored.
    count: finished?.count ?? (finishFailed ? start.count + indexed : 0),
    resumed: start.resumed,
    reset: start.reset,
    ...(finished ? { catalog: finished } : {}),
  });
}
