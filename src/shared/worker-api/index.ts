/**
 * The contract between the page and the inference worker: what the worker
 * exposes over comlink (grouped by what it is for) and every type that
 * crosses. The worker implements `WorkerApi` (workers/inference.worker.ts);
 * the page calls it only through its client (src/inference-client.ts).
 */
import type { CatalogApi } from './catalog.ts';
import type { FaultInjectionApi } from './fault-injection.ts';
import type { LocalCatalogApi } from './local-catalog.ts';
import type { ModelsApi } from './models.ts';
import type { SearchApi } from './search.ts';

export type * from './catalog.ts';
export type * from './fault-injection.ts';
export type * from './local-catalog.ts';
export type * from './models.ts';
export type * from './search.ts';

export interface WorkerApi {
  models: ModelsApi;
  search: SearchApi;
  catalog: CatalogApi;
  localCatalog: LocalCatalogApi;
  /** Test builds only (docs/testing.md). */
  faults?: FaultInjectionApi;
}
