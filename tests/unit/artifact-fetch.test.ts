/**
 * Verified downloads: a damaged file is refused by name, and a retry really
 * downloads afresh even when the service worker stores its cache-first copy of
 * the damaged response after the worker has already evicted it; a verified
 * download is kept where the service worker looks for it offline.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchVerified, RUNTIME_CACHES } from '../../workers/artifact-fetch.ts';
import type { ArtifactFile } from '../../src/shared/manifest.ts';
import { OFFLINE_CACHES } from '../../src/shared/offline-caches.ts';
import { keepDownloadsForOffline } from '../../workers/offline-store.ts';

const good = new Uint8Array(4096).map((_, i) => (i * 31) & 255);
const file: ArtifactFile = { path: 'shop/embeddings-000.bin', bytes: good.length, sha256: createHash('sha256').update(good).digest('hex') };
const BASE = 'https://shop.example/catalog/';

/**
 * A service worker's cache-first store, stubbed: `caches` as the worker sees it, and what the SW would serve. The
 * server answers with bytes, or with a whole response (e.g. a single-page host's web page); either is stored.
 */
function stubServiceWorker(serve: () => Uint8Array | Response) {
  const stored = new Map<string, Response>();
  const cache = { delete: async (url: string) => stored.delete(url) };
  vi.stubGlobal('caches', { open: async (name: string) => (RUNTIME_CACHES.includes(name) ? cache : { delete: async () => false }) });
  vi.stubGlobal('fetch', async (url: string) => {
    const hit = stored.get(url);
    if (hit) return hit.clone();
    const answer = serve();
    const response = answer instanceof Response ? answer : new Response(answer.slice());
    // Cache-first: the SW hands the response over and stores its copy a moment later.
    const copy = response.clone();
    setTimeout(() => stored.set(url, copy), 5);
    return response;
  });
  return stored;
}

afterEach(() => vi.unstubAllGlobals());

describe('fetchVerified', () => {
  it('refuses a truncated file by name; after the server is fixed, a retry downloads it afresh despite a late cache store', async () => {
    let served = good.subarray(0, 3000);
    const stored = stubServiceWorker(() => served);
    await expect(fetchVerified(BASE, file)).rejects.toThrow(/embeddings-000\.bin is damaged: truncated \(3000 of 4096 bytes\)/);
    await new Promise((r) => setTimeout(r, 20));
    expect(stored.size).toBe(1); // the damaged copy landed in the cache after the eviction
    served = good;
    const bytes = new Uint8Array(await fetchVerified(BASE, file));
    expect(bytes).toEqual(good);
  });

  it("says a file is missing when the server answers with its web page (a single-page host's fallback), and finds it once deployed although the SW stored that page", async () => {
    let deployed = false;
    const stored = stubServiceWorker(() =>
      deployed ? good : new Response('<!doctype html><title>Shop</title>', { headers: { 'content-type': 'text/html; charset=utf-8' } }),
    );
    await expect(fetchVerified(BASE, file)).rejects.toThrow('shop/embeddings-000.bin is missing on the server (it answered with a web page instead)');
    await new Promise((r) => setTimeout(r, 20));
    expect(stored.size).toBe(1); // the web page landed in the cache after the eviction
    deployed = true;
    expect(new Uint8Array(await fetchVerified(BASE, file))).toEqual(good);
  });

  it('refuses a file whose sha256 does not match, naming it', async () => {
    stubServiceWorker(() => good.map((b) => b ^ 1));
    await expect(fetchVerified(BASE, file)).rejects.toThrow(/embeddings-000\.bin is damaged: sha256 [0-9a-f]+… does not match/);
  });
});

describe('fetchVerified keeps verified downloads for offline use', () => {
  /** CacheStorage as the worker sees it on a first visit: empty, and no service worker storing anything. */
  function stubFirstVisit(serve: () => Uint8Array) {
    const stores = new Map<string, Map<string, Response>>();
    const open = async (name: string) => {
      const store = stores.get(name) ?? new Map<string, Response>();
      stores.set(name, store);
      return {
        match: async (url: string) => store.get(url)?.clone(),
        put: async (url: string, response: Response) => void store.set(url, response),
        delete: async (url: string) => store.delete(url),
      };
    };
    vi.stubGlobal('caches', { open });
    vi.stubGlobal('fetch', async () => new Response(serve().slice(), { headers: { 'content-type': 'application/octet-stream' } }));
    return stores;
  }

  afterEach(() => keepDownloadsForOffline(false));

  it('stores a verified catalog shard and model file under their versioned URLs, in the caches the service worker serves them from', async () => {
    keepDownloadsForOffline(true);
    const stores = stubFirstVisit(() => good);
    await fetchVerified(BASE, file);
    await fetchVerified('https://shop.example/models/', { ...file, path: 'mnv3s/weights.bin' });
    const shardUrl = `${BASE}${file.path}?v=${file.sha256.slice(0, 16)}`;
    const modelUrl = `https://shop.example/models/mnv3s/weights.bin?v=${file.sha256.slice(0, 16)}`;
    expect([...(stores.get(OFFLINE_CACHES.catalogs)?.keys() ?? [])]).toEqual([shardUrl]);
    expect([...(stores.get(OFFLINE_CACHES.models)?.keys() ?? [])]).toEqual([modelUrl]);
    expect(new Uint8Array(await stores.get(OFFLINE_CACHES.catalogs)!.get(shardUrl)!.arrayBuffer())).toEqual(good);
  });

  it("stores nothing damaged, and nothing at all when not asked to (the widget on a shop's page)", async () => {
    keepDownloadsForOffline(true);
    const stores = stubFirstVisit(() => good.map((b) => b ^ 1));
    await expect(fetchVerified(BASE, file)).rejects.toThrow(/damaged/);
    expect(stores.get(OFFLINE_CACHES.catalogs)?.size ?? 0).toBe(0);
    keepDownloadsForOffline(false);
    const widget = stubFirstVisit(() => good);
    await fetchVerified(BASE, file);
    expect([...widget.values()].every((s) => s.size === 0)).toBe(true);
  });
});
