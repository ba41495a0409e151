/**
 * Local catalogs in IndexedDB (via `idb`): photos the user indexed on this
 * device, searchable like a downloaded catalog and kept across reloads.
 *
 *  v1  catalogs  keyPath `id`                 LocalCatalogRecord (name, models, count)
 *      items     keyPath [catalogId, index]   LocalItemRecord (CatalogItem fields, content hash, JPEG thumbnail Blob)
 *                index by-hash [catalogId, hash] (unique: the same bytes are indexed once per catalog)
 *      vectors   keyPath [catalogId, index]   LocalVectorRecord (int8 codes + one float32 scale, as in the shards)
 *
 * Rules kept throughout: a transaction's body awaits only requests of that
 * transaction (embedding and thumbnails are made before it starts); every
 * write awaits `tx.done`; a photo is one transaction (item + vector + count),
 * so a failure, a quota error or a closed tab never leaves half of one behind.
 * Realm-neutral (worker; Node tests with fake-indexeddb).
 */
import { deleteDB, openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { quantizeInto } from '../../src/shared/catalog-shards.ts';
import { isQuotaError } from '../../src/shared/errors.ts';
import { runTransaction, toStoreError, type Queue } from '../../src/shared/idb-transaction.ts';
import { isSha256 } from '../../src/shared/sha256.ts';
import { LocalCatalogClosedError, LocalCatalogError, LocalCatalogNotFoundError, LocalCatalogQuotaError, localCatalogFailures } from './errors.ts';
import type { LocalAppModels } from './types.ts';

export const LOCAL_DB_NAME = 'lookalike-local-catalogs';
export const LOCAL_DB_VERSION = 1;

export interface LocalCatalogRecord {
  id: string;
  name: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms of the last photo added. */
  updatedAt: number;
  ensembleId: string;
  modelSha256: string[];
  dimension: number;
  /** Photos stored: their indexes are 0 … count − 1. */
  count: number;
}

export interface LocalItemRecord {
  catalogId: string;
  /** Position in the catalog (vector `index`). */
  index: number;
  /** CatalogItem fields. */
  id: string;
  title: string;
  category?: string;
  source?: string;
  attributes?: Record<string, string>;
  /** SHA-256 of the file's bytes (lowercase hex). */
  hash: string;
  /** File size in bytes. */
  bytes: number;
  fileName: string;
  /** JPEG, longest side 256 px. */
  thumbnail: Blob;
  addedAt: number;
}

export interface LocalVectorRecord {
  catalogId: string;
  index: number;
  /** x ≈ scale · code (symmetric int8, as in catalog shards). */
  scale: number;
  codes: Int8Array;
}

export interface NewLocalItem {
  title: string;
  hash: string;
  bytes: number;
  fileName: string;
  thumbnail: Blob;
  category?: string;
  source?: string;
  attributes?: Record<string, string>;
}

export type AddItemOutcome =
  | { added: true; index: number; id: string; count: number }
  /** The same bytes are already in the catalog: nothing was written. */
  | { added: false; duplicate: { index: number; id: string }; count: number };

/** The whole of one catalog, in catalog order. */
export interface StoredLocalCatalog {
  record: LocalCatalogRecord;
  items: LocalItemRecord[];
  vectors: LocalVectorRecord[];
}

interface LocalCatalogDbSchema extends DBSchema {
  catalogs: { key: string; value: LocalCatalogRecord };
  items: { key: [string, number]; value: LocalItemRecord; indexes: { 'by-hash': [string, string] } };
  vectors: { key: [string, number]; value: LocalVectorRecord };
}

type StoreName = 'catalogs' | 'items' | 'vectors';
type Tx<S extends StoreName, M extends IDBTransactionMode> = IDBPTransaction<LocalCatalogDbSchema, S[], M>;

export interface OpenLocalStoreOptions {
  /** Database name (tests use a fresh one each). */
  name?: string;
  /** Another tab opened a newer version (this connection closed itself) or the browser closed it. */
  onClosed?: (message: string) => void;
}

/** The item id of a photo: derived from its bytes, so it stays the same when re-indexed. */
export const localItemId = (hash: string): string => hash.slice(0, 32);

const byIndex = (catalogId: string) => IDBKeyRange.bound([catalogId, 0], [catalogId, Infinity]);
const byHash = (catalogId: string) => IDBKeyRange.bound([catalogId, ''], [catalogId, '\uffff']);

function checkModels(models: LocalAppModels): void {
  if (typeof models.ensembleId !== 'string' || !models.ensembleId) throw new TypeError('the models have no ensembleId');
  if (!Number.isInteger(models.dimension) || models.dimension <= 0) throw new TypeError(`invalid embedding dimension ${models.dimension}`);
  if (!Array.isArray(models.modelSha256) || !models.modelSha256.every(isSha256)) throw new TypeError('modelSha256 must be a list of sha256 digests');
}

export class LocalCatalogStore {
  private db: IDBPDatabase<LocalCatalogDbSchema> | null = null;
  private closedMessage: string | null = null;
  private readonly failures = localCatalogFailures(() => (this.db ? null : (this.closedMessage ?? 'The local catalog store is closed.')));

  private constructor(readonly name: string) {}

  /** Opens (creating when needed) the local-catalog database. */
  static async open(options: OpenLocalStoreOptions = {}): Promise<LocalCatalogStore> {
    const self = new LocalCatalogStore(options.name ?? LOCAL_DB_NAME);
    const closed = (message: string) => {
      self.db?.close();
      self.db = null;
      self.closedMessage ??= message;
      options.onClosed?.(message);
    };
    try {
      self.db = await openDB<LocalCatalogDbSchema>(self.name, LOCAL_DB_VERSION, {
        upgrade(db, oldVersion) {
          // Only schema changes here (no awaits): a failure aborts the whole upgrade.
          if (oldVersion < 1) {
            db.createObjectStore('catalogs', { keyPath: 'id' });
            db.createObjectStore('items', { keyPath: ['catalogId', 'index'] }).createIndex('by-hash', ['catalogId', 'hash'], { unique: true });
            db.createObjectStore('vectors', { keyPath: ['catalogId', 'index'] });
          }
        },
        blocking(_current, newVersion) {
          closed(
            newVersion === null
              ? 'Your local catalogs were deleted in another tab — reload this tab.'
              : 'Lookalike was updated in another tab — reload this tab to keep using your local catalogs.',
          );
        },
        terminated() {
          closed('The browser closed Lookalike’s storage (for example, site data was cleared) — reload to continue.');
        },
      });
    } catch (e) {
      throw toStoreError(
        e,
        localCatalogFailures(() => null),
      );
    }
    return self;
  }

  /** Deletes the whole database (every local catalog). */
  static async destroy(name: string = LOCAL_DB_NAME): Promise<void> {
    await deleteDB(name);
  }

  get isOpen(): boolean {
    return this.db !== null;
  }

  close(): void {
    this.db?.close();
    this.db = null;
    this.closedMessage ??= 'The local catalog store is closed.';
  }

  // ---- catalogs -------------------------------------------------------

  /** A new, empty local catalog for photos embedded with `models`. */
  async createCatalog(input: { name: string; models: LocalAppModels; now?: number; id?: string }): Promise<LocalCatalogRecord> {
    const name = input.name.trim();
    if (!name) throw new LocalCatalogError('Give the catalog a name.');
    checkModels(input.models);
    const now = input.now ?? Date.now();
    const record: LocalCatalogRecord = {
      id: input.id ?? crypto.randomUUID(),
      name,
      createdAt: now,
      updatedAt: now,
      ensembleId: input.models.ensembleId,
      modelSha256: [...input.models.modelSha256].sort(),
      dimension: input.models.dimension,
      count: 0,
    };
    await this.run(['catalogs'], 'readwrite', (tx) => tx.objectStore('catalogs').add(record));
    return record;
  }

  getCatalog(id: string): Promise<LocalCatalogRecord | undefined> {
    return this.run(['catalogs'], 'readonly', (tx) => tx.objectStore('catalogs').get(id));
  }

  /** Every local catalog, oldest first. */
  async listCatalogs(): Promise<LocalCatalogRecord[]> {
    const all = await this.run(['catalogs'], 'readonly', (tx) => tx.objectStore('catalogs').getAll());
    return all.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  /** Catalogs named `name` (trimmed, case-insensitive), newest first. */
  async findCatalogsByName(name: string): Promise<LocalCatalogRecord[]> {
    const key = name.trim().toLocaleLowerCase();
    return (await this.listCatalogs()).filter((c) => c.name.toLocaleLowerCase() === key).reverse();
  }

  /** Empties a catalog and records new models (re-indexing with the app's current models). */
  async resetCatalog(id: string, models: LocalAppModels, now = Date.now()): Promise<LocalCatalogRecord> {
    checkModels(models);
    return this.run(['catalogs', 'items', 'vectors'], 'readwrite', async (tx, queue) => {
      const record = await tx.objectStore('catalogs').get(id);
      if (!record) throw new LocalCatalogNotFoundError(id);
      const next: LocalCatalogRecord = {
        ...record,
        ensembleId: models.ensembleId,
        modelSha256: [...models.modelSha256].sort(),
        dimension: models.dimension,
        count: 0,
        updatedAt: now,
      };
      queue(tx.objectStore('items').delete(byIndex(id)));
      queue(tx.objectStore('vectors').delete(byIndex(id)));
      queue(tx.objectStore('catalogs').put(next));
      return next;
    });
  }

  /** Deletes a catalog with all its photos; false when there was none. */
  deleteCatalog(id: string): Promise<boolean> {
    return this.run(['catalogs', 'items', 'vectors'], 'readwrite', async (tx, queue) => {
      const key = await tx.objectStore('catalogs').getKey(id);
      if (key === undefined) return false;
      queue(tx.objectStore('items').delete(byIndex(id)));
      queue(tx.objectStore('vectors').delete(byIndex(id)));
      queue(tx.objectStore('catalogs').delete(id));
      return true;
    });
  }

  // ---- photos ---------------------------------------------------------

  async hasHash(catalogId: string, hash: string): Promise<boolean> {
    const key = await this.run(['items'], 'readonly', (tx) => tx.objectStore('items').index('by-hash').getKey([catalogId, hash]));
    return key !== undefined;
  }

  /** Content hashes of every photo in the catalog. */
  hashes(catalogId: string): Promise<string[]> {
    return this.run(['items'], 'readonly', async (tx) => {
      const out: string[] = [];
      let cursor = await tx.objectStore('items').index('by-hash').openKeyCursor(byHash(catalogId));
      while (cursor) {
        out.push(cursor.key[1]);
        cursor = await cursor.continue();
      }
      return out;
    });
  }

  /**
   * Adds one photo (item, quantised vector and the catalog's count) in one
   * transaction: all of it is stored, or none. A photo whose bytes are already
   * in the catalog is not stored again. Throws LocalCatalogQuotaError when the
   * device is full (earlier photos are kept), LocalCatalogNotFoundError when
   * the catalog was deleted.
   */
  async addItem(catalogId: string, item: NewLocalItem, embedding: ArrayLike<number>, now = Date.now()): Promise<AddItemOutcome> {
    if (!isSha256(item.hash)) throw new TypeError(`${item.fileName}: the content hash must be a SHA-256 in lowercase hex`);
    if (!(item.thumbnail instanceof Blob)) throw new TypeError(`${item.fileName}: the thumbnail must be a Blob`);
    for (let i = 0; i < embedding.length; i++) {
      if (!Number.isFinite(embedding[i]!)) throw new LocalCatalogError(`${item.fileName}: the embedding has an invalid value at ${i}`);
    }
    const codes = new Int8Array(embedding.length);
    const scale = quantizeInto(embedding, codes, 0);
    const id = localItemId(item.hash);
    try {
      return await this.run(['catalogs', 'items', 'vectors'], 'readwrite', async (tx, queue) => {
        const record = await tx.objectStore('catalogs').get(catalogId);
        if (!record) throw new LocalCatalogNotFoundError(catalogId);
        if (embedding.length !== record.dimension) {
          throw new LocalCatalogError(
            `${item.fileName}: the embedding has ${embedding.length} values but "${record.name}" holds ${record.dimension}-dimensional ones`,
          );
        }
        const existing = await tx.objectStore('items').index('by-hash').get([catalogId, item.hash]);
        if (existing) return { added: false as const, duplicate: { index: existing.index, id: existing.id }, count: record.count };
        const index = record.count;
        const stored: LocalItemRecord = {
          catalogId,
          index,
          id,
          title: item.title,
          hash: item.hash,
          bytes: item.bytes,
          fileName: item.fileName,
          thumbnail: item.thumbnail,
          addedAt: now,
          ...(item.category ? { category: item.category } : {}),
          ...(item.source ? { source: item.source } : {}),
          ...(item.attributes ? { attributes: item.attributes } : {}),
        };
        queue(tx.objectStore('items').add(stored));
        queue(tx.objectStore('vectors').add({ catalogId, index, scale, codes }));
        queue(tx.objectStore('catalogs').put({ ...record, count: index + 1, updatedAt: now }));
        return { added: true as const, index, id, count: index + 1 };
      });
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      // Rolled back as a whole: what is stored is what was there before this photo.
      const kept = await this.getCatalog(catalogId).then(
        (r) => r?.count ?? 0,
        () => 0,
      );
      throw new LocalCatalogQuotaError(kept, { cause: e });
    }
  }

  /** The whole catalog in catalog order (one read transaction); undefined when there is none. */
  async readCatalog(catalogId: string): Promise<StoredLocalCatalog | undefined> {
    const stored = await this.run(['catalogs', 'items', 'vectors'], 'readonly', async (tx) => {
      const [record, items, vectors] = await Promise.all([
        tx.objectStore('catalogs').get(catalogId),
        tx.objectStore('items').getAll(byIndex(catalogId)),
        tx.objectStore('vectors').getAll(byIndex(catalogId)),
      ]);
      return record ? { record, items, vectors } : undefined;
    });
    if (!stored) return undefined;
    const { record, items, vectors } = stored;
    if (items.length !== record.count || vectors.length !== record.count) {
      throw new LocalCatalogError(
        `The local catalog "${record.name}" is inconsistent (${record.count} photos recorded, ${items.length} items and ${vectors.length} vectors stored): delete it and index the photos again.`,
      );
    }
    for (let i = 0; i < record.count; i++) {
      if (items[i]!.index !== i || vectors[i]!.index !== i || vectors[i]!.codes.length !== record.dimension) {
        throw new LocalCatalogError(`The local catalog "${record.name}" is damaged at photo ${i}: delete it and index the photos again.`);
      }
    }
    return stored;
  }

  // ---- plumbing -------------------------------------------------------

  /** Runs `body` in one transaction (see runTransaction); waits for the commit. A failure aborts the whole transaction. */
  private async run<S extends StoreName, M extends IDBTransactionMode, T>(stores: S[], mode: M, body: (tx: Tx<S, M>, queue: Queue) => Promise<T>): Promise<T> {
    return runTransaction(this.connection(), stores, mode, body, this.failures);
  }

  private connection(): IDBPDatabase<LocalCatalogDbSchema> {
    if (!this.db) throw new LocalCatalogClosedError(this.closedMessage ?? 'The local catalog store is closed.');
    return this.db;
  }
}
