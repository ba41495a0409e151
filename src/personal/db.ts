/**
 * The shopper's personal data in IndexedDB (via `idb`): events, wishlist,
 * onboarding preferences and settings. Nothing here leaves the device.
 *
 * Rules kept throughout (idb's): a transaction's body awaits only requests of
 * that transaction; every write awaits `tx.done`; a failed write aborts its
 * transaction as a whole, so a quota error never leaves half a change behind.
 * Another tab opening a newer version makes this connection close itself and
 * report `blocking` (the UI says "Lookalike was updated in another tab — reload").
 */
import { deleteDB, openDB, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { runTransaction, toStoreError, type Queue } from '../shared/idb-transaction.ts';
import { PersonalDbClosedError, closedMessage, personalDbFailures, type ClosedReason } from './errors.ts';
import {
  DB_NAME,
  DB_VERSION,
  DEFAULT_LEGACY_CATALOG_ID,
  EVENT_TYPES,
  RANKING_SETTINGS_KEY,
  STORE_NAMES,
  onboardingKey,
  upgradePersonalDb,
  type EventRecord,
  type EventType,
  type OnboardingState,
  type PersonalDbSchema,
  type PreferenceRecord,
  type SettingRecord,
  type StoreName,
  type WishlistRecord,
} from './schema.ts';
import { mergeRankingPatches, resolveRankingSettings, validateRankingPatch, type RankingSettings, type RankingSettingsPatch } from './settings.ts';
import type { PersonalSignals } from './types.ts';

export type PersonalDbStatus =
  /** Our open waits: another tab still holds an older version open. */
  | { type: 'blocked'; currentVersion: number; requestedVersion: number | null; message: string }
  /** Another tab wants a newer version: we closed our connection. The UI should ask for a reload. */
  | { type: 'blocking'; newVersion: number | null; message: string }
  /** The browser closed the connection (site data cleared, storage failure). */
  | { type: 'terminated'; message: string };

export interface OpenPersonalDbOptions {
  /** Database name (tests use a fresh one each). */
  name?: string;
  /** Catalog id for records stored before v3 (single-catalog days). */
  legacyCatalogId?: string;
  /** Gets every status change, including `blocked` while the open is still waiting. */
  onStatus?: (status: PersonalDbStatus) => void;
}

export interface NewEvent {
  type: EventType;
  catalogId: string;
  itemId: string;
  /** Epoch ms; now when left out. */
  at?: number;
}

type Tx<S extends StoreName, M extends IDBTransactionMode> = IDBPTransaction<PersonalDbSchema, S[], M>;

export class PersonalDb {
  private db: IDBPDatabase<PersonalDbSchema> | null = null;
  private closedReason: ClosedReason | null = null;
  private readonly failures = personalDbFailures(() => this.closedReason ?? (this.db ? null : 'closed'));
  private readonly listeners = new Set<(s: PersonalDbStatus) => void>();

  private constructor(readonly name: string) {}

  /** Opens (creating or migrating from any earlier version) the personal-data database. */
  static async open(options: OpenPersonalDbOptions = {}): Promise<PersonalDb> {
    const name = options.name ?? DB_NAME;
    const legacy = options.legacyCatalogId ?? DEFAULT_LEGACY_CATALOG_ID;
    const self = new PersonalDb(name);
    if (options.onStatus) self.listeners.add(options.onStatus);
    let upgradeError: unknown = null;
    try {
      self.db = await openDB<PersonalDbSchema>(name, DB_VERSION, {
        upgrade(db, oldVersion, _newVersion, tx) {
          // Only requests of `tx` are awaited inside; a failure aborts the whole upgrade (nothing changes).
          upgradePersonalDb(db as unknown as IDBPDatabase<unknown>, oldVersion, tx as never, legacy).catch((e: unknown) => {
            upgradeError = e;
            try {
              tx.abort();
            } catch {
              /* already finished */
            }
          });
        },
        blocked(currentVersion, requestedVersion) {
          self.emit({
            type: 'blocked',
            currentVersion,
            requestedVersion,
            message: 'Lookalike is open in another tab with an older version — close that tab to continue.',
          });
        },
        blocking(_currentVersion, newVersion) {
          // newVersion null: another tab deletes the database ("delete everything" there)
          self.shutDown('upgraded-elsewhere');
          const message = newVersion === null ? 'Your Lookalike data was deleted in another tab — reload this tab.' : closedMessage('upgraded-elsewhere');
          self.emit({ type: 'blocking', newVersion, message });
        },
        terminated() {
          self.db = null;
          self.closedReason = 'terminated';
          self.emit({ type: 'terminated', message: closedMessage('terminated') });
        },
      });
    } catch (e) {
      throw toStoreError(
        upgradeError ?? e,
        personalDbFailures(() => null),
      );
    }
    return self;
  }

  /** Deletes the whole database (all personal data). Other tabs are asked to close first. */
  static async destroy(name: string = DB_NAME, onBlocked?: () => void): Promise<void> {
    await deleteDB(name, { blocked: () => onBlocked?.() });
  }

  get isOpen(): boolean {
    return this.db !== null;
  }

  /** Why the connection closed, or null while open. */
  get closeReason(): ClosedReason | null {
    return this.closedReason;
  }

  /** Subscribes to status changes; returns the unsubscribe function. */
  onStatus(listener: (s: PersonalDbStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.shutDown('closed');
  }

  // ---- events ----------------------------------------------------------

  async recordEvent(event: NewEvent): Promise<void> {
    await this.recordEvents([event]);
  }

  /** Stores several events in one transaction (all or none). */
  async recordEvents(events: readonly NewEvent[]): Promise<void> {
    const now = Date.now();
    const records = events.map((e) => checkEvent(e, now));
    await this.run(['events'], 'readwrite', async (tx, queue) => {
      for (const r of records) queue(tx.objectStore('events').add(r));
    });
  }

  recordView(catalogId: string, itemId: string, at?: number): Promise<void> {
    return this.recordEvent({ type: 'view', catalogId, itemId, at });
  }

  recordClick(catalogId: string, itemId: string, at?: number): Promise<void> {
    return this.recordEvent({ type: 'click', catalogId, itemId, at });
  }

  /** "Not for me": hidden from For-you and pushes the taste profile away from it. */
  dismiss(catalogId: string, itemId: string, at?: number): Promise<void> {
    return this.recordEvent({ type: 'dismiss', catalogId, itemId, at });
  }

  /** Events, oldest first; of one catalog when given, from `since` (epoch ms) on. */
  async getEvents(query: { catalogId?: string; since?: number } = {}): Promise<EventRecord[]> {
    const since = query.since ?? -Infinity;
    return this.run(['events'], 'readonly', (tx) =>
      query.catalogId === undefined
        ? tx.objectStore('events').index('by-at').getAll(IDBKeyRange.lowerBound(since))
        : tx
            .objectStore('events')
            .index('by-catalog')
            .getAll(IDBKeyRange.bound([query.catalogId, since], [query.catalogId, Infinity])),
    );
  }

  async countEvents(): Promise<number> {
    return this.run(['events'], 'readonly', (tx) => tx.objectStore('events').count());
  }

  /**
   * Deletes events older than `before` (epoch ms), optionally only of some
   * types (e.g. views). Returns how many were deleted. Frees space after a quota error.
   */
  async pruneEvents(before: number, types?: readonly EventType[]): Promise<number> {
    return this.run(['events'], 'readwrite', async (tx, queue) => {
      let n = 0;
      const range = IDBKeyRange.upperBound(before, true);
      for (let c = await tx.objectStore('events').index('by-at').openCursor(range); c; c = await c.continue()) {
        if (!types || types.includes(c.value.type)) {
          queue(c.delete());
          n++;
        }
      }
      return n;
    });
  }

  // ---- wishlist ----------------------------------------------------------

  /** Adds to the wishlist and logs `wishlist_add` (one transaction). False if it was already there. */
  async addToWishlist(catalogId: string, itemId: string, at: number = Date.now()): Promise<boolean> {
    const event = checkEvent({ type: 'wishlist_add', catalogId, itemId, at }, at);
    return this.run(['wishlist', 'events'], 'readwrite', async (tx, queue) => {
      const wishlist = tx.objectStore('wishlist');
      if (await wishlist.get([catalogId, itemId])) return false;
      queue(wishlist.put({ catalogId, itemId, addedAt: event.at }));
      queue(tx.objectStore('events').add(event));
      return true;
    });
  }

  /** Removes from the wishlist and logs `wishlist_remove`. False if it was not there. */
  async removeFromWishlist(catalogId: string, itemId: string, at: number = Date.now()): Promise<boolean> {
    const event = checkEvent({ type: 'wishlist_remove', catalogId, itemId, at }, at);
    return this.run(['wishlist', 'events'], 'readwrite', async (tx, queue) => {
      const wishlist = tx.objectStore('wishlist');
      if (!(await wishlist.get([catalogId, itemId]))) return false;
      queue(wishlist.delete([catalogId, itemId]));
      queue(tx.objectStore('events').add(event));
      return true;
    });
  }

  /** The catalog's wishlist, most recently added first. */
  async getWishlist(catalogId: string): Promise<WishlistRecord[]> {
    const rows = await this.run(['wishlist'], 'readonly', (tx) => tx.objectStore('wishlist').index('by-catalog').getAll(catalogId));
    return rows.sort((a, b) => b.addedAt - a.addedAt || cmp(a.itemId, b.itemId));
  }

  async isWishlisted(catalogId: string, itemId: string): Promise<boolean> {
    return (await this.run(['wishlist'], 'readonly', (tx) => tx.objectStore('wishlist').getKey([catalogId, itemId]))) !== undefined;
  }

  // ---- onboarding preferences ------------------------------------------

  /**
   * Stores the items picked as liked at first use (replacing earlier picks of
   * this catalog) and marks onboarding `done`, in one transaction.
   */
  async savePreferences(catalogId: string, itemIds: readonly string[], at: number = Date.now()): Promise<void> {
    checkIds(catalogId, itemIds);
    await this.run(['preferences', 'settings'], 'readwrite', async (tx, queue) => {
      const prefs = tx.objectStore('preferences');
      const old = await prefs.index('by-catalog').getAllKeys(catalogId);
      for (const k of old) queue(prefs.delete(k));
      for (const itemId of new Set(itemIds)) queue(prefs.put({ catalogId, itemId, pickedAt: at }));
      queue(tx.objectStore('settings').put({ key: onboardingKey(catalogId), value: 'done' satisfies OnboardingState }));
    });
  }

  async getPreferences(catalogId: string): Promise<PreferenceRecord[]> {
    const rows = await this.run(['preferences'], 'readonly', (tx) => tx.objectStore('preferences').index('by-catalog').getAll(catalogId));
    return rows.sort((a, b) => cmp(a.itemId, b.itemId));
  }

  async setOnboardingState(catalogId: string, state: OnboardingState): Promise<void> {
    checkIds(catalogId, []);
    await this.run(['settings'], 'readwrite', (tx) => tx.objectStore('settings').put({ key: onboardingKey(catalogId), value: state }));
  }

  /** 'pending' until the shopper finished or skipped onboarding for this catalog. */
  async getOnboardingState(catalogId: string): Promise<OnboardingState | 'pending'> {
    const rec = await this.run(['settings'], 'readonly', (tx) => tx.objectStore('settings').get(onboardingKey(catalogId)));
    return rec?.value === 'done' || rec?.value === 'skipped' ? rec.value : 'pending';
  }

  // ---- settings ----------------------------------------------------------

  /** The defaults with the shopper's stored overrides (invalid stored values are ignored). */
  async getRankingSettings(): Promise<RankingSettings> {
    const rec = await this.run(['settings'], 'readonly', (tx) => tx.objectStore('settings').get(RANKING_SETTINGS_KEY));
    return resolveRankingSettings(storedPatch(rec));
  }

  /** Applies a patch to the stored overrides (read-modify-write in one transaction). */
  async updateRankingSettings(patch: RankingSettingsPatch): Promise<RankingSettings> {
    const checked = validateRankingPatch(patch);
    if (!checked.ok) throw new RangeError(`invalid ranking settings: ${checked.problems.join('; ')}`);
    const merged = await this.run(['settings'], 'readwrite', async (tx) => {
      const next = mergeRankingPatches(storedPatch(await tx.objectStore('settings').get(RANKING_SETTINGS_KEY)), checked.patch);
      await tx.objectStore('settings').put({ key: RANKING_SETTINGS_KEY, value: next });
      return next;
    });
    return resolveRankingSettings(merged);
  }

  async resetRankingSettings(): Promise<void> {
    await this.run(['settings'], 'readwrite', (tx) => tx.objectStore('settings').delete(RANKING_SETTINGS_KEY));
  }

  // ---- whole-store access ------------------------------------------------

  /** Everything the profile needs for one catalog, read in one consistent transaction. */
  async loadSignals(catalogId: string): Promise<PersonalSignals> {
    return this.run(['events', 'wishlist', 'preferences'], 'readonly', async (tx, queue) => {
      const [events, wishlist, preferences] = await Promise.all([
        queue(
          tx
            .objectStore('events')
            .index('by-catalog')
            .getAll(IDBKeyRange.bound([catalogId, -Infinity], [catalogId, Infinity])),
        ),
        queue(tx.objectStore('wishlist').index('by-catalog').getAll(catalogId)),
        queue(tx.objectStore('preferences').index('by-catalog').getAll(catalogId)),
      ]);
      return { catalogId, events, wishlist, preferences };
    });
  }

  /** Deletes all personal data (every store emptied in one transaction); the database stays usable. */
  async clearAll(): Promise<void> {
    await this.run(STORE_NAMES, 'readwrite', async (tx, queue) => {
      for (const s of STORE_NAMES) queue(tx.objectStore(s).clear());
    });
  }

  /**
   * Runs `body` in one transaction and maps failures to typed errors
   * (PersonalQuotaError, PersonalDbClosedError, …). On any failure the
   * transaction is aborted, so none of its writes stay. `body` must await
   * only requests of `tx`; requests it does not await itself go through `queue`.
   */
  async run<S extends StoreName, M extends IDBTransactionMode, T>(stores: S[], mode: M, body: (tx: Tx<S, M>, queue: Queue) => Promise<T>): Promise<T> {
    return runTransaction(this.connection(), stores, mode, body, this.failures);
  }

  /** The schema version of the open connection. */
  get version(): number {
    return this.connection().version;
  }

  /** The underlying idb connection (tests, tools). */
  get raw(): IDBPDatabase<PersonalDbSchema> {
    return this.connection();
  }

  private connection(): IDBPDatabase<PersonalDbSchema> {
    if (!this.db) throw new PersonalDbClosedError(this.closedReason ?? 'closed');
    return this.db;
  }

  private shutDown(reason: ClosedReason): void {
    if (this.db) this.db.close();
    this.db = null;
    this.closedReason ??= reason;
  }

  private emit(status: PersonalDbStatus): void {
    for (const l of this.listeners) {
      try {
        l(status);
      } catch (e) {
        console.error('personal db status listener failed', e);
      }
    }
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkIds(catalogId: string, itemIds: readonly string[]): void {
  if (typeof catalogId !== 'string' || catalogId === '') throw new TypeError('catalogId must be a non-empty string');
  for (const id of itemIds) if (typeof id !== 'string' || id === '') throw new TypeError('item ids must be non-empty strings');
}

function checkEvent(e: NewEvent, now: number): EventRecord {
  if (!EVENT_TYPES.includes(e.type)) throw new TypeError(`unknown event type "${String(e.type)}"`);
  checkIds(e.catalogId, [e.itemId]);
  const at = e.at ?? now;
  if (!Number.isFinite(at)) throw new TypeError('event time must be a finite number (epoch ms)');
  return { type: e.type, catalogId: e.catalogId, itemId: e.itemId, at };
}

function storedPatch(rec: SettingRecord | undefined): RankingSettingsPatch {
  if (!rec) return {};
  const checked = validateRankingPatch(rec.value);
  return checked.ok ? checked.patch : {};
}
