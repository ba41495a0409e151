/**
 * The service worker's runtime caches: which requests go into which cache. vite.config.ts routes the service
 * worker's requests with these matchers, and the inference worker uses `runtimeCacheFor` to store a download
 * the service worker did not see (the first visit: the page, and the worker it started, are not controlled
 * until the service worker has installed) in the cache where the service worker will look for it offline.
 *
 * Each matcher is serialised into the generated service worker by workbox (its source text), so it must not
 * refer to anything outside itself.
 */

export const OFFLINE_CACHES = {
  /** Lists that change with a release (models/manifest.json, a catalog.json): network first. */
  manifests: 'lookalike-manifests',
  /** Model files, versioned by their sha256 (?v=): cache first. */
  models: 'lookalike-models',
  /** A catalog's shards, item list, scenes and clusters (versioned ?v=): cache first. */
  catalogs: 'lookalike-catalogs',
  /** Product and scene pictures the shopper has seen: cache first, the least recently seen dropped beyond a bound. */
  thumbnails: 'lookalike-thumbnails',
} as const;

export interface RouteInput {
  url: URL;
  request?: { destination: string };
}

export const isReleaseList = ({ url }: RouteInput): boolean => /\/(models|catalog)\/.*\.json$/.test(url.pathname) && !url.searchParams.has('v');

export const isModelFile = ({ url }: RouteInput): boolean => url.pathname.includes('/models/') && url.searchParams.has('v');

/** Pictures under a catalog folder (product thumbnails, scene photos), as an <img> requests them. */
export const isCatalogPicture = ({ url, request }: RouteInput): boolean => url.pathname.includes('/catalog/') && request?.destination === 'image';

export const isCatalogFile = ({ url }: RouteInput): boolean => url.pathname.includes('/catalog/');

/** The runtime cache the service worker serves `url` from (undefined: it does not cache it). First match wins, as in the service worker. */
export function runtimeCacheFor(url: URL, destination = ''): string | undefined {
  const input: RouteInput = { url, request: { destination } };
  if (isReleaseList(input)) return OFFLINE_CACHES.manifests;
  if (isModelFile(input)) return OFFLINE_CACHES.models;
  if (isCatalogPicture(input)) return OFFLINE_CACHES.thumbnails;
  if (isCatalogFile(input)) return OFFLINE_CACHES.catalogs;
  return undefined;
}

/** Most product pictures kept for offline use (a few kB each); beyond it the least recently used go first. */
export const MAX_OFFLINE_PICTURES = 2000;
