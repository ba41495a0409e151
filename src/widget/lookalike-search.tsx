/**
 * `<lookalike-search catalog="/catalog/catalog.json">`: the Lookalike app as a custom
 * element a shop pastes into its page. It renders into an open shadow root (styles in,
 * nothing out), starts its worker from `base` (default: this module's folder), and tells
 * the page what the shopper does with `lookalike:select` and `lookalike:wishlist` events.
 */
import { render } from 'preact';
import { App, type AppFeatures, type AppProps } from '../app/App.tsx';
import { dispatchWidgetEvent, SELECT_EVENT, WISHLIST_EVENT } from './events.ts';
import { WIDGET_MODELS_DIR, WIDGET_WORKER_FILE } from './files.ts';
import { adoptWidgetStyles, ROOT_CLASS } from './shadow-styles.ts';

export type { SelectDetail, WishlistDetail } from './events.ts';
export { SELECT_EVENT, WISHLIST_EVENT };

export const TAG_NAME = 'lookalike-search';
const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

/**
 * Boolean attributes that turn on the app's parts a shop's page leaves out by default (the widget is photo in,
 * results out): `<lookalike-search catalog="…" other-catalogs local-catalog your-data>`.
 */
const FEATURE_ATTRIBUTES: Record<string, keyof AppFeatures> = { 'other-catalogs': 'otherCatalogs', 'local-catalog': 'localCatalog', 'your-data': 'yourData' };

/** A folder URL (ending in `/`) resolved against the page. */
function folderUrl(value: string): string {
  const url = new URL(value, document.baseURI);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

export class LookalikeSearchElement extends HTMLElement {
  static readonly observedAttributes = ['catalog', 'base', 'backend', 'wasm-threads', ...Object.keys(FEATURE_ATTRIBUTES)];
  readonly #mount: HTMLDivElement;
  #connected = false;
  #pending = false;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    adoptWidgetStyles(root);
    this.#mount = document.createElement('div');
    this.#mount.className = ROOT_CLASS;
    root.append(this.#mount);
  }

  /** Where the worker, the wasm files and models/ live: the `base` attribute, else this module's folder. */
  get base(): string {
    const attr = this.getAttribute('base');
    return attr ? folderUrl(attr) : new URL(/* @vite-ignore */ '.', import.meta.url).href;
  }

  connectedCallback(): void {
    this.#connected = true;
    this.#render();
  }

  disconnectedCallback(): void {
    this.#connected = false;
    // Unmounting runs the app's cleanup, which terminates the worker.
    render(null, this.#mount);
  }

  attributeChangedCallback(_name: string, old: string | null, value: string | null): void {
    if (!this.#connected || old === value || this.#pending) return;
    // Several attributes set in one go restart the app once.
    this.#pending = true;
    queueMicrotask(() => {
      this.#pending = false;
      if (!this.#connected) return;
      render(null, this.#mount);
      this.#render();
    });
  }

  #props(): AppProps {
    const catalog = this.getAttribute('catalog');
    const backend = this.getAttribute('backend');
    const base = this.base;
    const props: AppProps = {
      embedded: true,
      wasmThreads: this.hasAttribute('wasm-threads') ? 'auto' : 'off',
      modelsBase: new URL(WIDGET_MODELS_DIR, base).href,
      onSelect: (item) => dispatchWidgetEvent(this, SELECT_EVENT, item),
      onWishlist: (item, on) => dispatchWidgetEvent(this, WISHLIST_EVENT, { id: item.id, title: item.title, on }),
    };
    if (catalog) props.catalogUrl = new URL(catalog, document.baseURI).href;
    props.features = Object.fromEntries(Object.entries(FEATURE_ATTRIBUTES).map(([attribute, feature]) => [feature, this.hasAttribute(attribute)]));
    // Without `base` the worker URL Vite built (relative to this module) is used as is.
    if (this.hasAttribute('base')) props.workerUrl = new URL(WIDGET_WORKER_FILE, base).href;
    if (backend) {
      if ((BACKENDS as readonly string[]).includes(backend)) props.backend = backend as AppProps['backend'];
      else console.warn(`<${TAG_NAME}>: backend="${backend}" is not one of ${BACKENDS.join(', ')}; choosing automatically.`);
    }
    return props;
  }

  #render(): void {
    render(<App {...this.#props()} />, this.#mount);
  }
}

if (!customElements.get(TAG_NAME)) customElements.define(TAG_NAME, LookalikeSearchElement);

declare global {
  interface HTMLElementTagNameMap {
    [TAG_NAME]: LookalikeSearchElement;
  }
}
