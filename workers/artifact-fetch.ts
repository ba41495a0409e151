/**
 * Downloads the app's own files (model artifacts, catalog shards) with byte
 * progress and sha256 verification. URLs carry the sha256 as a version, so
 * the service worker's cache-first copy is always the right version; a copy
 * that fails verification is evicted from the caches so a retry downloads afresh.
 * A verified download is kept for offline use even when no service worker saw it
 * (workers/offline-store.ts).
 */
import { verifyBytes, IntegrityError } from '../src/shared/sha256.ts';
import type { ArtifactFile } from '../src/shared/manifest.ts';
import { errorMessage, LookalikeError, quoted } from '../src/shared/errors.ts';
import { resolveCatalogUrl } from '../src/shared/catalog-urls.ts';
import { OFFLINE_CACHES } from '../src/shared/offline-caches.ts';
import { keepForOffline } from './offline-store.ts';

/** The service worker's caches that hold versioned files (where a damaged copy is evicted from). */
export const RUNTIME_CACHES: string[] = [OFFLINE_CACHES.models, OFFLINE_CACHES.catalogs];

export interface ByteProgress {
  file: string;
  loaded: number;
  total: number;
}

export class DownloadError extends LookalikeError {
  override name = 'DownloadError';
}

/** Largest file fetchVerified downloads (the biggest model file is far below it). */
export const MAX_ARTIFACT_BYTES = 1024 * 1024 * 1024;

/**
 * The URL of `file` inside the folder `base`, with its sha256 as a version.
 * The path is resolved and checked like every path a catalog names
 * (resolveCatalogUrl): a path that would lead to another site or out of the
 * folder is refused before anything is requested.
 */
export function versionedUrl(base: string, file: ArtifactFile): string {
  const resolved = resolveCatalogUrl(file.path, base, 'file');
  if (!resolved.ok) throw new DownloadError(`The file ${quoted(String(file.path))} ${resolved.problem}: it is not downloaded`);
  const url = new URL(resolved.href);
  url.searchParams.set('v', file.sha256.slice(0, 16));
  return url.href;
}

/**
 * URLs whose last download failed verification. The service worker stores a
 * cache-first response while (or after) handing it over, so the eviction right
 * after the failure can come before that copy lands: a retry evicts again first.
 */
const suspect = new Set<string>();

async function evict(url: string): Promise<void> {
  suspect.add(url);
  if (typeof caches === 'undefined') return;
  await Promise.all(RUNTIME_CACHES.map(async (name) => (await caches.open(name)).delete(url)));
}

export async function fetchVerified(base: string, file: ArtifactFile, onProgress?: (p: ByteProgress) => void, signal?: AbortSignal): Promise<ArrayBuffer> {
  if (!Number.isSafeInteger(file.bytes) || file.bytes <= 0 || file.bytes > MAX_ARTIFACT_BYTES) {
    throw new DownloadError(
      `${file.path} is listed as ${String(file.bytes)} bytes, which no file of the app or of a catalog can be (at most ${MAX_ARTIFACT_BYTES.toLocaleString('en')})`,
    );
  }
  const url = versionedUrl(base, file);
  if (suspect.has(url)) await evict(url);
  let response: Response;
  try {
    response = await fetch(url, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) throw error;
    const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
    throw new DownloadError(
      `${file.path} could not be downloaded${offline ? ': you are offline and it is not stored on this device yet' : ` (${errorMessage(error)})`}`,
    );
  }
  if (!response.ok) throw new DownloadError(`${file.path} could not be downloaded (HTTP ${response.status})`);
  // Hosts that serve a single-page app (Vite's preview, many static hosts) answer a missing file with their index
  // page and 200. Model files and shards are never web pages: say the file is missing, not that it is damaged.
  if (response.headers.get('content-type')?.startsWith('text/html')) {
    await evict(url);
    throw new DownloadError(`${file.path} is missing on the server (it answered with a web page instead)`);
  }
  // Nothing is allocated for the listed size: only what arrives is kept, and a body longer than listed is cut off there.
  const listed = Number(response.headers.get('content-length'));
  if (Number.isFinite(listed) && listed > file.bytes && !response.headers.get('content-encoding')) {
    await response.body?.cancel().catch(() => undefined);
    return failTooLong(url, file, `${listed} bytes where ${file.bytes} were expected`);
  }
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body?.getReader();
  if (!reader) {
    const whole = new Uint8Array(await response.arrayBuffer());
    chunks.push(whole);
    loaded = whole.byteLength;
  } else {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      loaded += value.byteLength;
      if (loaded > file.bytes) {
        await reader.cancel().catch(() => undefined);
        return failTooLong(url, file, `more than the ${file.bytes} bytes expected`);
      }
      chunks.push(value);
      onProgress?.({ file: file.path, loaded, total: file.bytes });
    }
  }
  const data = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) data.set(c, offset), (offset += c.byteLength);
  if (loaded !== file.bytes) return failIntegrity(url, file, data.buffer);
  try {
    await verifyBytes(file, data.buffer);
  } catch (error) {
    await evict(url);
    throw error;
  }
  suspect.delete(url);
  await keepForOffline(url, data, response.headers.get('content-type'), { replace: false });
  onProgress?.({ file: file.path, loaded: file.bytes, total: file.bytes });
  return data.buffer;
}

async function failTooLong(url: string, file: ArtifactFile, detail: string): Promise<never> {
  await evict(url);
  throw new IntegrityError(file.path, 'size', detail);
}

async function failIntegrity(url: string, file: ArtifactFile, bytes: ArrayBuffer): Promise<never> {
  await evict(url);
  await verifyBytes(file, bytes);
  throw new IntegrityError(file.path, 'size', 'unexpected size');
}
