import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import compression from 'compression';
import { defineConfig, type Connect, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { filesUnder } from './scripts/lib/files-under.ts';
import { MAX_OFFLINE_PICTURES, OFFLINE_CACHES, isCatalogFile, isCatalogPicture, isModelFile, isReleaseList } from './src/shared/offline-caches.ts';
import { SHIPPED_DIR } from './scripts/lib/model-artifacts.ts';
import { tfjsWasmThreads } from './scripts/lib/vite-wasm-threads.ts';

const root = import.meta.dirname;

/**
 * Static folders outside public/ that the app serves as-is: the shipped model files at /models/
 * (model-artifacts/shipped/, copied whole into the build), and the demo catalog that `npm start` builds from ../shared at
 * /catalog/demo/ (served locally only, never part of the build: its images are not ours to ship).
 */
const STATIC_MOUNTS: { urlPrefix: string; dir: string; build: boolean }[] = [
  { urlPrefix: 'models/', dir: SHIPPED_DIR, build: true },
  { urlPrefix: 'catalog/demo/', dir: resolve(root, '.cache/demo-catalog'), build: false },
];

/** Serves the mounts in dev/preview, and copies the ones marked `build` into the build, every file. */
function staticMounts(): Plugin {
  const middleware = (req: { url?: string }, res: import('node:http').ServerResponse, next: () => void) => {
    const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '').replace(/^.*?\/(models|catalog)\//, '/$1/');
    for (const mount of STATIC_MOUNTS) {
      const prefix = `/${mount.urlPrefix}`;
      if (!path.startsWith(prefix)) continue;
      const file = resolve(mount.dir, path.slice(prefix.length));
      if (!file.startsWith(mount.dir) || !existsSync(file) || !statSync(file).isFile()) break;
      res.setHeader('Content-Type', file.endsWith('.json') ? 'application/json' : file.endsWith('.jpg') ? 'image/jpeg' : 'application/octet-stream');
      res.setHeader('Content-Length', statSync(file).size);
      createReadStream(file).pipe(res);
      return;
    }
    next();
  };
  return {
    name: 'lookalike-static-mounts',
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => {
      // `npm start` serves like a static host should: gzip for text (the catalog's item lists, model.json, scripts).
      // (compression's types name Express's request; it needs only Node's, as connect gives it.)
      server.middlewares.use(compression() as unknown as Connect.NextHandleFunction);
      server.middlewares.use(middleware);
    },
    generateBundle() {
      for (const mount of STATIC_MOUNTS.filter((m) => m.build)) {
        for (const file of filesUnder(mount.dir)) {
          this.emitFile({ type: 'asset', fileName: mount.urlPrefix + relative(mount.dir, file), source: readFileSync(file) });
        }
      }
    },
  };
}

/**
 * Cross-origin isolation (COOP + COEP), so the wasm backend may run tfjs's threaded SIMD build (SharedArrayBuffer).
 * `credentialless` rather than `require-corp`: product pictures from another catalog's host still load without that
 * host sending Cross-Origin-Resource-Policy (they are fetched without cookies). Browsers without `credentialless`
 * are simply not isolated and run wasm on one thread. docs/performance.md gives the headers for static hosts;
 * public/_headers sets them on hosts that read that file.
 */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'credentialless' } as const;

export default defineConfig({
  base: './',
  worker: { format: 'es', plugins: () => [tfjsWasmThreads()] },
  server: { headers: ISOLATION_HEADERS },
  // No per-plugin timing report in the build output: it reads like a warning and is not one (the PWA plugin's precache step is the slow part).
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 2500, rolldownOptions: { checks: { bundlerTimings: false } } },
  preview: { port: 4173, strictPort: false, headers: ISOLATION_HEADERS },
  plugins: [
    staticMounts(),
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['icons/*.png', 'icons/*.svg'],
      manifest: {
        id: './',
        name: 'Lookalike — visual product search',
        short_name: 'Lookalike',
        description: 'Snap a photo of furniture or clothing and find similar products. Runs on your device; nothing about you leaves it.',
        start_url: './',
        scope: './',
        display: 'standalone',
        orientation: 'portrait',
        theme_color: '#1f3a5f',
        background_color: '#f6f4ef',
        categories: ['shopping', 'lifestyle'],
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,png,svg,wasm,webmanifest}'],
        // Of tfjs's three wasm builds the SIMD one (every current browser runs it; the app falls back to it offline
        // when a GPU is lost) and the threaded SIMD one (what a cross-origin isolated page runs) are precached. The
        // plain build (browsers without SIMD) is stored when first fetched (the runtime rule below).
        globIgnores: ['models/**', 'catalog/**', '**/*.map', '**/tfjs-backend-wasm-????????.wasm'],
        // The tfjs wasm binary (~0.4 MB) and the worker bundle (~2 MB) must be precached for offline use.
        maximumFileSizeToCacheInBytes: 6 * 1024 * 1024,
        navigateFallback: 'index.html',
        // …and not for the embeddable widget and its example page (npm start serves them beside the app).
        navigateFallbackDenylist: [/\/models\//, /\/catalog\//, /\/widget\//, /\/examples\//, /\/demo\//],
        cleanupOutdatedCaches: true,
        // The first visit: the service worker takes control of the page as soon as it is active (the page and
        // its worker also store their own downloads: workers/offline-store.ts). A new version still waits for
        // the shopper's "Update now" (registerType 'prompt').
        clientsClaim: true,
        // Routes and cache names are shared with the worker (src/shared/offline-caches.ts); first match wins.
        runtimeCaching: [
          {
            // A wasm build left out of the precache (content-hashed names: cache first).
            urlPattern: ({ url }) => url.pathname.endsWith('.wasm'),
            handler: 'CacheFirst',
            options: { cacheName: 'lookalike-wasm', expiration: { maxEntries: 4 }, cacheableResponse: { statuses: [200] } },
          },
          {
            // Lists that change with a release: network first, the stored copy when offline.
            urlPattern: isReleaseList,
            handler: 'NetworkFirst',
            options: { cacheName: OFFLINE_CACHES.manifests, networkTimeoutSeconds: 4, cacheableResponse: { statuses: [200] } },
          },
          {
            // Files versioned by their sha256 (?v=): never change, so cache first.
            urlPattern: isModelFile,
            handler: 'CacheFirst',
            options: { cacheName: OFFLINE_CACHES.models, expiration: { maxEntries: 64 }, cacheableResponse: { statuses: [200] } },
          },
          {
            // Product and scene pictures the shopper has seen, for offline use: a bounded cache, least recently used out first.
            urlPattern: isCatalogPicture,
            handler: 'CacheFirst',
            options: {
              cacheName: OFFLINE_CACHES.thumbnails,
              expiration: { maxEntries: MAX_OFFLINE_PICTURES, purgeOnQuotaError: true },
              cacheableResponse: { statuses: [200] },
            },
          },
          {
            urlPattern: isCatalogFile,
            handler: 'CacheFirst',
            options: { cacheName: OFFLINE_CACHES.catalogs, expiration: { maxEntries: 20000 }, cacheableResponse: { statuses: [200] } },
          },
        ],
      },
    }),
  ],
});
