/**
 * Indexing the user's own photos, inside the worker: each photo is embedded
 * with the app's embedder, gets a JPEG thumbnail and is committed to the
 * local-catalog store on its own, so cancelling or closing the tab keeps
 * what was done. The embedder and the thumbnail maker are parameters, so
 * this runs in Node tests with stubs.
 */
import { errorMessage } from '../../src/shared/errors.ts';
import { isSha256 } from '../../src/shared/sha256.ts';
import { LocalCatalogQuotaError } from './errors.ts';
import type { LocalCatalogStore } from './store.ts';
import { makeThumbnail } from './thumbnail.ts';
import type { AddLocalPhotoResult, LocalPhotoInfo } from '../../src/shared/worker-api/local-catalog.ts';

/** A decoded photo and what the page knows of its file. The bitmap is closed once used. */
export interface LocalImage extends LocalPhotoInfo {
  bitmap: ImageBitmap;
}

export interface IndexPhotoDeps {
  store: LocalCatalogStore;
  /** The app's embedding of the photo (unit length, the models' dimension). Must not close the bitmap. */
  embed(bitmap: ImageBitmap): Promise<Float32Array>;
  /** JPEG thumbnail (default: OffscreenCanvas, longest side 256). */
  thumbnail?(bitmap: ImageBitmap): Promise<Blob>;
}

export interface FailedPhoto {
  name: string;
  reason: string;
}

/** The item title of a photo: its file name without the extension. */
export function titleFromFileName(name: string): string {
  const base = name.split('/').pop() ?? name;
  const dot = base.lastIndexOf('.');
  return (dot > 0 ? base.slice(0, dot) : base).trim() || base;
}

function closeQuietly(bitmap: ImageBitmap): void {
  try {
    bitmap.close();
  } catch {
    /* already closed or detached */
  }
}

/**
 * Indexes one photo into catalog `catalogId` and closes its bitmap. A photo
 * that cannot be embedded answers `failed` (the run goes on); a full device
 * answers `quota` (stop: the photos before it are kept). A missing catalog or
 * a broken store throws.
 */
export async function indexPhoto(deps: IndexPhotoDeps, catalogId: string, image: LocalImage): Promise<AddLocalPhotoResult> {
  const { bitmap } = image;
  try {
    if (!isSha256(image.hash)) return { ok: false, code: 'failed', reason: 'its content hash is not a SHA-256 digest' };
    if (await deps.store.hasHash(catalogId, image.hash)) return { ok: false, code: 'duplicate', reason: 'already indexed (same file content)' };
    let thumbnail: Blob;
    let embedding: Float32Array;
    try {
      thumbnail = await (deps.thumbnail ?? makeThumbnail)(bitmap);
      embedding = await deps.embed(bitmap);
    } catch (e) {
      return { ok: false, code: 'failed', reason: `could not be indexed: ${errorMessage(e)}` };
    }
    if (!embedding.every(Number.isFinite)) return { ok: false, code: 'failed', reason: 'could not be indexed: the models gave an invalid embedding for it' };
    try {
      const out = await deps.store.addItem(
        catalogId,
        {
          title: titleFromFileName(image.name),
          hash: image.hash,
          bytes: image.size,
          fileName: image.name,
          thumbnail,
          ...(image.category ? { category: image.category } : {}),
          ...(image.source ? { source: image.source } : {}),
        },
        embedding,
      );
      return out.added
        ? { ok: true, index: out.index, id: out.id, count: out.count }
        : { ok: false, code: 'duplicate', reason: 'already indexed (same file content)', count: out.count };
    } catch (e) {
      if (e instanceof LocalCatalogQuotaError) return { ok: false, code: 'quota', reason: e.message, count: e.kept };
      throw e;
    }
  } finally {
    closeQuietly(bitmap);
  }
}

export interface IndexRunProgress {
  /** Photos handled so far (indexed, skipped or failed). */
  done: number;
  total: number;
  indexed: number;
  /** Already in the catalog (same bytes). */
  duplicates: number;
  failed: FailedPhoto[];
  /** The photo being indexed now. */
  currentName?: string;
}

export interface IndexRunResult {
  indexed: number;
  duplicates: number;
  failed: FailedPhoto[];
  cancelled: boolean;
  /** Photos in the catalog now. */
  count: number;
}

export interface IndexLocalFilesOptions extends IndexPhotoDeps {
  catalogId: string;
  /** The photos, decoded; a lazy (async) iterable keeps only one in memory at a time. */
  images: Iterable<LocalImage> | AsyncIterable<LocalImage>;
  /** How many `images` yields (for progress). */
  total: number;
  onProgress?: (p: IndexRunProgress) => void;
  /** Checked between photos: the photo being indexed is finished (committed whole), the rest are not started. */
  isCancelled?: () => boolean;
}

/**
 * Indexes photos one after another, each committed on its own. Throws
 * LocalCatalogQuotaError when the device is full (the photos indexed before are kept).
 */
export async function indexLocalFiles(options: IndexLocalFilesOptions): Promise<IndexRunResult> {
  const { catalogId, total, onProgress, isCancelled = () => false } = options;
  const failed: FailedPhoto[] = [];
  let indexed = 0;
  let duplicates = 0;
  let done = 0;
  let count = (await options.store.getCatalog(catalogId))?.count ?? 0;
  let cancelled = false;
  const report = (currentName?: string) =>
    onProgress?.({ done, total, indexed, duplicates, failed: [...failed], ...(currentName !== undefined ? { currentName } : {}) });
  report();
  const images = options.images;
  const iterator: Iterator<LocalImage> | AsyncIterator<LocalImage> =
    Symbol.asyncIterator in images ? images[Symbol.asyncIterator]() : images[Symbol.iterator]();
  let finished = false;
  try {
    for (;;) {
      // Checked before taking the next photo, so a lazy iterable decodes no more once cancelled.
      if (isCancelled()) {
        cancelled = true;
        break;
      }
      const next = await iterator.next();
      if (next.done) {
        finished = true;
        break;
      }
      const image = next.value;
      report(image.name);
      const result = await indexPhoto(options, catalogId, image);
      done++;
      if (result.ok) {
        indexed++;
        count = result.count;
      } else if (result.code === 'duplicate') duplicates++;
      else if (result.code === 'failed') failed.push({ name: image.name, reason: result.reason });
      else {
        report();
        throw new LocalCatalogQuotaError(result.count ?? count);
      }
      report();
    }
  } finally {
    if (!finished) {
      // Stopped early: an array's remaining photos are decoded already (close them); a lazy iterable is told to stop.
      if (Array.isArray(images)) for (const rest of (images as LocalImage[]).slice(done)) closeQuietly(rest.bitmap);
      else await iterator.return?.();
    }
  }
  return { indexed, duplicates, failed, cancelled, count };
}
