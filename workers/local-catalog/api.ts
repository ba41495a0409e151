/**
 * The worker's local-catalog calls: the `localCatalog` group of the comlink
 * API of workers/inference.worker.ts (the contract and the page's loop: see
 * src/shared/worker-api/local-catalog.ts). openLocalCatalog hands the opened
 * catalog to the worker through `deps.useCatalog` and answers its info.
 */
import { CatalogError, checkCompatible } from '../../src/shared/catalog-format.ts';
import { errorMessage } from '../../src/shared/errors.ts';
import type {
  AddLocalPhotoResult,
  CatalogInfo,
  LocalCatalogApi,
  LocalCatalogSummary,
  LocalIndexStart,
  LocalPhotoInfo,
} from '../../src/shared/worker-api/index.ts';
import { LocalCatalogNotFoundError } from './errors.ts';
import { indexPhoto } from './indexer.ts';
import { browserObjectUrls, localCatalogWording, openLocalCatalog, type LocalOpenCatalog, type ObjectUrls } from './open-local.ts';
import { LocalCatalogStore, type LocalCatalogRecord } from './store.ts';
import type { LocalAppModels } from './types.ts';

export interface LocalCatalogApiDeps {
  /** The app's embedding of a photo (the worker: bitmapToTensor → embedder.run → embedding). Must not close the bitmap. */
  embed(bitmap: ImageBitmap): Promise<Float32Array>;
  /** The app's current models; a function when they load later (throw "The models are not loaded yet" until then). */
  app: LocalAppModels | (() => LocalAppModels);
  /** Makes the opened catalog the one the worker searches (dispose the previous one's index). */
  useCatalog(open: LocalOpenCatalog): void;
  /** The worker's `serial`: embedding and opening run in turn with the other tfjs calls. */
  serial?: <T>(task: () => Promise<T>) => Promise<T>;
  /** The store (default: the `lookalike-local-catalogs` database, opened on first use). */
  store?: () => Promise<LocalCatalogStore>;
  /** JPEG thumbnail (default: OffscreenCanvas, longest side 256). */
  thumbnail?: (bitmap: ImageBitmap) => Promise<Blob>;
  urls?: ObjectUrls;
}

function summary(record: LocalCatalogRecord, app: LocalAppModels | undefined): LocalCatalogSummary {
  const out: LocalCatalogSummary = {
    id: record.id,
    name: record.name,
    count: record.count,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ensembleId: record.ensembleId,
    dimension: record.dimension,
  };
  if (app) {
    try {
      checkCompatible(record, app, localCatalogWording(record));
      out.compatible = true;
    } catch (e) {
      out.compatible = false;
      out.problem = errorMessage(e);
    }
  }
  return out;
}

function isCompatible(record: LocalCatalogRecord, app: LocalAppModels): boolean {
  try {
    checkCompatible(record, app, localCatalogWording(record));
    return true;
  } catch (e) {
    if (e instanceof CatalogError) return false;
    throw e;
  }
}

export function createLocalCatalogApi(deps: LocalCatalogApiDeps): LocalCatalogApi {
  const serial = deps.serial ?? (<T>(task: () => Promise<T>) => task());
  const models = (): LocalAppModels => (typeof deps.app === 'function' ? deps.app() : deps.app);
  const modelsIfLoaded = (): LocalAppModels | undefined => {
    try {
      return models();
    } catch {
      return undefined;
    }
  };
  let pending: Promise<LocalCatalogStore> | undefined;
  const store = (): Promise<LocalCatalogStore> => {
    if (deps.store) return deps.store();
    pending ??= LocalCatalogStore.open().catch((e: unknown) => {
      pending = undefined;
      throw e;
    });
    return pending.then((s) => {
      if (s.isOpen) return s;
      pending = undefined; // closed (another tab upgraded, site data cleared): the next call reopens
      return store();
    });
  };

  return {
    /**
     * Starts (or resumes) indexing into the local catalog named `name`: an
     * existing catalog of that name built with the current models is added
     * to (files already in it are skipped); one built with other models is
     * emptied and re-indexed; otherwise a new catalog is created.
     */
    async startLocalIndex(name: string): Promise<LocalIndexStart> {
      const app = models();
      const db = await store();
      const existing = await db.findCatalogsByName(name);
      const same = existing.find((c) => isCompatible(c, app));
      if (same) return { catalogId: same.id, name: same.name, count: same.count, resumed: true, reset: false };
      const old = existing[0];
      if (old) {
        const reset = await db.resetCatalog(old.id, app);
        return { catalogId: reset.id, name: reset.name, count: 0, resumed: false, reset: true };
      }
      const created = await db.createCatalog({ name, models: app });
      return { catalogId: created.id, name: created.name, count: 0, resumed: false, reset: false };
    },

    /** Content hashes (SHA-256 hex) already in the catalog: the page skips those files without decoding them. */
    async localPhotoHashes(catalogId: string): Promise<string[]> {
      return (await store()).hashes(catalogId);
    },

    /**
     * Embeds, thumbnails and stores one photo (committed on its own). The
     * bitmap is transferred in and closed here. Answers `ok`, or why not:
     * `duplicate` / `failed` (go on) or `quota` (stop).
     */
    addLocalPhoto(catalogId: string, bitmap: ImageBitmap, photo: LocalPhotoInfo): Promise<AddLocalPhotoResult> {
      return serial(async () => {
        let db: LocalCatalogStore;
        try {
          db = await store();
          const record = await db.getCatalog(catalogId);
          if (!record) throw new LocalCatalogNotFoundError(catalogId);
          // The models were reloaded (an update) during the run: stop rather than mix vectors.
          checkCompatible(record, models(), localCatalogWording(record));
        } catch (e) {
          bitmap.close();
          throw e;
        }
        return indexPhoto({ store: db, embed: deps.embed, ...(deps.thumbnail ? { thumbnail: deps.thumbnail } : {}) }, catalogId, { ...photo, bitmap });
      });
    },

    /** Ends a run: answers the catalog's summary, or null when it holds no photo (then it is removed). */
    async finishLocalIndex(catalogId: string): Promise<LocalCatalogSummary | null> {
      const db = await store();
      const record = await db.getCatalog(catalogId);
      if (!record) return null;
      if (record.count === 0) {
        await db.deleteCatalog(catalogId);
        return null;
      }
      return summary(record, modelsIfLoaded());
    },

    /** Every local catalog on this device, oldest first, with whether the current models can search it. */
    async listLocalCatalogs(): Promise<LocalCatalogSummary[]> {
      const app = modelsIfLoaded();
      return (await (await store()).listCatalogs()).map((r) => summary(r, app));
    },

    /** Deletes a local catalog and its photos; false when there was none. (An open one stays searchable until replaced.) */
    async deleteLocalCatalog(id: string): Promise<boolean> {
      return (await store()).deleteCatalog(id);
    },

    /** Opens a local catalog for searching, like openCatalog does a downloaded one; refuses one built with other models. */
    openLocalCatalog(id: string): Promise<CatalogInfo> {
      return serial(async () => {
        const open = await openLocalCatalog(await store(), id, { app: models(), urls: deps.urls ?? browserObjectUrls });
        deps.useCatalog(open);
        return open.info;
      });
    },
  };
}

export type { LocalCatalogApi };
