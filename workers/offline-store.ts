/**
 * Keeps the worker's downloads for offline use. On a first visit the service worker installs while the models
 * download, and neither the page nor this worker is under its control yet: those downloads bypass it. Storing
 * each verified download here, under the same URL in the cache the service worker serves that URL from
 * (src/shared/offline-caches.ts), makes one complete visit enough to work offline.
 *
 * Only the standalone app turns it on (InitOptions.keepForOffline): the embedded widget runs on a shop's page,
 * whose origin has no Lookalike service worker to read these caches.
 */
import { runtimeCacheFor } from '../src/shared/offline-caches.ts';

let enabled = false;

export function keepDownloadsForOffline(on: boolean): void {
  enabled = on;
}

/**
 * Stores `body` as the response for `url`. `replace`: a list that changes with a release (manifest.json,
 * catalog.json), stored afresh each time; otherwise a versioned file, stored only when the service worker has
 * not stored it already. A failure (e.g. a full disk) only costs offline use, never the download itself.
 */
export async function keepForOffline(url: string, body: BufferSource | string, contentType: string | null, { replace }: { replace: boolean }): Promise<void> {
  if (!enabled || typeof caches === 'undefined') return;
  const cacheName = runtimeCacheFor(new URL(url));
  if (!cacheName) return;
  try {
    const cache = await caches.open(cacheName);
    if (!replace && (await cache.match(url))) return;
    await cache.put(url, new Response(body, { headers: contentType ? { 'content-type': contentType } : {} }));
  } catch (error) {
    console.warn(`${url} could not be stored for offline use:`, error);
  }
}
