import type { InferenceClient } from '../inference-client.ts';
import { runIndexing } from '../local-catalog/run-indexing.ts';
import type { CatalogInfo, InitInfo } from '../shared/worker-api/index.ts';
import { LocalIndexer } from './LocalIndexer.tsx';

/** "Index your own photos": on-device catalogs, built, listed, opened and deleted through the worker. */
export function LocalCatalogPanel({
  client,
  info,
  catalog,
  catalogLoading,
  disabled,
  open,
  remove,
}: {
  client: InferenceClient;
  info: InitInfo;
  catalog: CatalogInfo | undefined;
  catalogLoading: boolean;
  disabled: boolean;
  /** Makes the local catalog the one searched. */
  open(id: string): void;
  /** Deletes the local catalog. */
  remove(id: string): Promise<void>;
}) {
  return (
    <details class="panel" open={!catalog && !catalogLoading}>
      <summary>Index your own photos (wardrobe, shop folder)</summary>
      <LocalIndexer
        disabled={disabled}
        refreshKey={info}
        searchingId={catalog?.url.startsWith('local:') ? catalog.url.slice('local:'.length) : undefined}
        run={(files, name, signal, onProgress) => runIndexing({ files, name, worker: client.localCatalog, signal, onProgress })}
        list={() => client.localCatalog.listLocalCatalogs()}
        open={open}
        remove={remove}
      />
    </details>
  );
}
