/**
 * The catalog the worker searches: a downloaded one (catalog.json URL, with
 * download progress; the shopper's choice is remembered) or one of the
 * shopper's own local catalogs. A catalog that fails to open leaves the
 * previous one in use. The one in use is opened again at the next launch
 * (launch-settings.ts), a local one too.
 */
import { useState } from 'preact/hooks';
import type { InferenceClient } from '../inference-client.ts';
import type { CatalogInfo } from '../shared/worker-api/index.ts';
import { errorMessage } from './format.ts';
import { forgetLocalCatalog, rememberCatalog, rememberLocalCatalog } from './launch-settings.ts';
import type { Feedback } from './useStatusLine.ts';

export interface CatalogOptions {
  /** Embedded in another page: the choice is not remembered in its localStorage. */
  embedded: boolean;
  /** A local catalog was opened (the results of the previous one no longer apply). */
  onLocalOpened(): void;
}

export function useCatalog(client: InferenceClient, { setStatus, setProgress }: Feedback, options: CatalogOptions) {
  const [info, setInfo] = useState<CatalogInfo>();
  const [loading, setLoading] = useState(false);

  /**
   * `explicit`: the shopper (or the URL) asked for it, so a failure is reported and
   * the choice remembered; `readyLine` (the models' "Ready on …" line) leads the status.
   */
  const open = async (url: string, explicit: boolean, readyLine: string) => {
    setLoading(true);
    try {
      setProgress({ label: 'Opening the catalog', loaded: 0, total: 0, unit: 'none' });
      const opened = await client.catalog.open(url, (p) =>
        setProgress({
          label: p.loaded < p.total ? 'Downloading the catalog' : 'Indexing the catalog for search',
          loaded: p.loaded,
          total: p.total,
          unit: 'bytes',
        }),
      );
      setInfo(opened);
      if (explicit && !options.embedded) rememberCatalog(url);
      setStatus(`${readyLine} ${opened.name}: ${opened.count.toLocaleString('en')} items. Choose a photo.`);
    } catch (error) {
      // The demo catalog is optional: without it the app opens on the "add a catalog" screen.
      if (explicit) setStatus(errorMessage(error));
    } finally {
      setLoading(false);
    }
  };

  /** Opens the shopper's local catalog `id`; `readyLine` (at launch) leads the status. Resolves whether it opened. */
  const openLocal = async (id: string, readyLine?: string): Promise<boolean> => {
    try {
      const opened = await client.localCatalog.openLocalCatalog(id);
      setInfo(opened);
      options.onLocalOpened();
      if (!options.embedded) rememberLocalCatalog(id);
      setStatus(`${readyLine ? `${readyLine} ` : ''}${opened.name}: ${opened.count.toLocaleString('en')} of your photos. Choose a photo to search them.`);
      return true;
    } catch (error) {
      // Deleted in another tab, or built with other models: say so, and do not try it again at the next launch.
      if (!options.embedded) forgetLocalCatalog(id);
      setStatus(`${readyLine ? `${readyLine} ` : ''}${errorMessage(error)}`);
      return false;
    }
  };

  /** Deletes the local catalog `id`; it is no longer reopened at launch. */
  const removeLocal = async (id: string): Promise<void> => {
    await client.localCatalog.deleteLocalCatalog(id);
    if (!options.embedded) forgetLocalCatalog(id);
  };

  return { info, loading, open, openLocal, removeLocal };
}
