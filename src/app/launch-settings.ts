/**
 * What the standalone app reads from its URL and localStorage: `?backend=`,
 * and the catalog to open (`?catalog=`, else the shopper's last choice, else
 * the demo catalog). The embedded widget reads none of them (AppProps).
 */
import type { BackendName } from '../shared/worker-api/index.ts';

const DEFAULT_CATALOG = 'catalog/demo/catalog.json';
const CATALOG_SETTING = 'lookalike.catalogUrl';

export function requestedBackend(): BackendName | undefined {
  const value = new URLSearchParams(location.search).get('backend');
  return value === 'webgpu' || value === 'webgl' || value === 'wasm' || value === 'cpu' ? value : undefined;
}

/** `?catalog=` wins, then the saved choice, then the demo catalog; `none` opens none. */
export function requestedCatalog(): { url: string | undefined; explicit: boolean } {
  const param = new URLSearchParams(location.search).get('catalog');
  if (param === 'none') return { url: undefined, explicit: true };
  if (param) return { url: new URL(param, document.baseURI).href, explicit: true };
  const saved = localStorage.getItem(CATALOG_SETTING);
  return { url: new URL(saved ?? DEFAULT_CATALOG, document.baseURI).href, explicit: !!saved };
}

/** Remembers a catalog the shopper opened, unless the URL names one (`?catalog=` wins anyway). */
export function rememberCatalog(url: string): void {
  if (!new URLSearchParams(location.search).has('catalog')) localStorage.setItem(CATALOG_SETTING, url);
}
