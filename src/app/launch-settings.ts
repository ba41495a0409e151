/**
 * What the standalone app reads from its URL and localStorage: `?backend=`, `?threads=`,
 * and the catalog to open (`?catalog=`, else the shopper's last choice: a
 * catalog's URL or one of their own local catalogs; else the demo catalog).
 * The embedded widget reads none of them (AppProps).
 */
import type { BackendName, WasmThreads } from '../shared/worker-api/index.ts';

const DEFAULT_CATALOG = 'catalog/demo/catalog.json';
const CATALOG_SETTING = 'lookalike.catalogUrl';
/** How a local catalog (IndexedDB) is saved as the launch choice; also the prefix of its CatalogInfo.url. */
const LOCAL_PREFIX = 'local:';

/** `?threads=on|off|auto`: when the wasm backend may use tfjs's threaded build (InitOptions.wasmThreads). */
export function requestedThreads(): WasmThreads | undefined {
  const value = new URLSearchParams(location.search).get('threads');
  return value === 'on' || value === 'off' || value === 'auto' ? value : undefined;
}

export function requestedBackend(): BackendName | undefined {
  const value = new URLSearchParams(location.search).get('backend');
  return value === 'webgpu' || value === 'webgl' || value === 'wasm' || value === 'cpu' ? value : undefined;
}

/**
 * The catalog to open at launch: `?catalog=` wins, then the saved choice (a downloaded catalog's URL, or one of
 * the shopper's own local catalogs: `localId`), then the demo catalog; `none` opens none.
 */
export function requestedCatalog(): { url: string | undefined; explicit: boolean; localId?: string } {
  const param = new URLSearchParams(location.search).get('catalog');
  if (param === 'none') return { url: undefined, explicit: true };
  if (param) return { url: new URL(param, document.baseURI).href, explicit: true };
  const saved = localStorage.getItem(CATALOG_SETTING);
  if (saved?.startsWith(LOCAL_PREFIX)) return { url: undefined, explicit: true, localId: saved.slice(LOCAL_PREFIX.length) };
  return { url: new URL(saved ?? DEFAULT_CATALOG, document.baseURI).href, explicit: !!saved };
}

/** Remembers a catalog the shopper opened, unless the URL names one (`?catalog=` wins anyway). */
export function rememberCatalog(url: string): void {
  if (!new URLSearchParams(location.search).has('catalog')) localStorage.setItem(CATALOG_SETTING, url);
}

/** Remembers that the shopper searches their local catalog `id`: it reopens after a reload. */
export function rememberLocalCatalog(id: string): void {
  rememberCatalog(LOCAL_PREFIX + id);
}

/** Forgets the local catalog `id` as the launch choice (it was deleted, or can no longer be opened). */
export function forgetLocalCatalog(id: string): void {
  if (localStorage.getItem(CATALOG_SETTING) === LOCAL_PREFIX + id) localStorage.removeItem(CATALOG_SETTING);
}
