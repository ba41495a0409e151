/**
 * The personal-data IndexedDB schema and its history. Every version this app
 * ever shipped is described here, with a migration from each to the next, so a
 * database from any earlier version opens with all of its data.
 *
 *  v1  events   keyPath `id` (auto)          { id, type, itemId, at }
 *      wishlist keyPath `itemId`              { itemId, addedAt }
 *
 *  v2  + preferences keyPath `itemId`         { itemId, pickedAt }        (onboarding picks)
 *      + settings    keyPath `key`            { key, value }              keys: 'onboarding', 'ranking'
 *      + index events.by-at (`at`)
 *
 *  v3  several catalogs: every record names its catalog.
 *      events       + catalogId (backfilled with the legacy catalog id), indexes by-catalog [catalogId, at], by-item [catalogId, itemId]
 *      wishlist     keyPath [catalogId, itemId], index by-catalog
 *      preferences  keyPath [catalogId, itemId], index by-catalog
 *      settings     'onboarding' → 'onboarding:<catalogId>' (onboarding is per catalog); 'ranking' stays global
 *
 *  v4  (current) one category term in ranking: the stored 'ranking' settings lose `gamma` (the page's
 *      category bonus, folded into the worker's category prior); the other settings are kept.
 *
 * Upgrades only queue requests on the versionchange transaction (no other awaits).
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction } from 'idb';

export const DB_NAME = 'lookalike-personal';
export const DB_VERSION = 4;
/** Catalog id given to records written before v3, when there was a single catalog. */
export const DEFAULT_LEGACY_CATALOG_ID = 'default';

export const EVENT_TYPES = ['view', 'click', 'wishlist_add', 'wishlist_remove', 'dismiss'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface EventRecord {
  /** Auto-assigned key. */
  id?: number;
  type: EventType;
  catalogId: string;
  itemId: string;
  /** Epoch milliseconds. */
  at: number;
}

export interface WishlistRecord {
  catalogId: string;
  itemId: string;
  addedAt: number;
}

export interface PreferenceRecord {
  catalogId: string;
  itemId: string;
  pickedAt: number;
}

export type OnboardingState = 'done' | 'skipped';

export interface SettingRecord {
  /** 'ranking' (global RankingSettingsPatch) or 'onboarding:<catalogId>' (OnboardingState). */
  key: string;
  value: unknown;
}

export const RANKING_SETTINGS_KEY = 'ranking';
export const onboardingKey = (catalogId: string): string => `onboarding:${catalogId}`;

export interface PersonalDbSchema extends DBSchema {
  events: {
    key: number;
    value: EventRecord;
    indexes: { 'by-at': number; 'by-catalog': [string, number]; 'by-item': [string, string] };
  };
  wishlist: { key: [string, string]; value: WishlistRecord; indexes: { 'by-catalog': string } };
  preferences: { key: [string, string]; value: PreferenceRecord; indexes: { 'by-catalog': string } };
  settings: { key: string; value: SettingRecord };
}

export type StoreName = 'events' | 'wishlist' | 'preferences' | 'settings';
export const STORE_NAMES: StoreName[] = ['events', 'wishlist', 'preferences', 'settings'];

type AnyDb = IDBPDatabase<unknown>;
type UpgradeTx = IDBPTransaction<unknown, string[], 'versionchange'>;

/** v0 → v1: events and wishlist. */
function createV1(db: AnyDb): void {
  db.createObjectStore('events', { keyPath: 'id', autoIncrement: true });
  db.createObjectStore('wishlist', { keyPath: 'itemId' });
}

/** v1 → v2: onboarding preferences, settings, and events by time. */
function migrateV1toV2(db: AnyDb, tx: UpgradeTx): void {
  db.createObjectStore('preferences', { keyPath: 'itemId' });
  db.createObjectStore('settings', { keyPath: 'key' });
  tx.objectStore('events').createIndex('by-at', 'at');
}

/** v2 → v3: every record gets its catalog id; wishlist and preferences are keyed by [catalogId, itemId]. */
async function migrateV2toV3(db: AnyDb, tx: UpgradeTx, legacyCatalogId: string): Promise<void> {
  const pending: Promise<unknown>[] = [];
  // Handled at the end by Promise.all; the no-op catch keeps an early failure from being reported as unhandled.
  const track = (p: Promise<unknown>): void => {
    p.catch(() => {});
    pending.push(p);
  };
  const events = tx.objectStore('events');
  for (let cursor = await events.openCursor(); cursor; cursor = await cursor.continue()) {
    const v = cursor.value as Partial<EventRecord>;
    if (typeof v.catalogId !== 'string') track(cursor.update({ ...v, catalogId: legacyCatalogId }));
  }
  events.createIndex('by-catalog', ['catalogId', 'at']);
  events.createIndex('by-item', ['catalogId', 'itemId']);

  for (const name of ['wishlist', 'preferences'] as const) {
    const old = (await tx.objectStore(name).getAll()) as Record<string, unknown>[];
    db.deleteObjectStore(name);
    const store = db.createObjectStore(name, { keyPath: ['catalogId', 'itemId'] });
    store.createIndex('by-catalog', 'catalogId');
    for (const r of old) track(store.put({ ...r, catalogId: typeof r.catalogId === 'string' ? r.catalogId : legacyCatalogId }));
  }

  const settings = tx.objectStore('settings');
  const onboarding = (await settings.get('onboarding')) as SettingRecord | undefined;
  if (onboarding) {
    track(settings.put({ key: onboardingKey(legacyCatalogId), value: onboarding.value }));
    track(settings.delete('onboarding'));
  }
  await Promise.all(pending);
}

/** v3 → v4: the retired `gamma` leaves the stored ranking settings (src/personal/settings.ts RETIRED_RANKING_KEYS). */
async function migrateV3toV4(tx: UpgradeTx): Promise<void> {
  const settings = tx.objectStore('settings');
  const ranking = (await settings.get(RANKING_SETTINGS_KEY)) as SettingRecord | undefined;
  if (!ranking || typeof ranking.value !== 'object' || ranking.value === null || !Object.hasOwn(ranking.value, 'gamma')) return;
  const { gamma: _retired, ...kept } = ranking.value as Record<string, unknown>;
  await settings.put({ key: RANKING_SETTINGS_KEY, value: kept });
}

/**
 * Brings a database at `oldVersion` (0 = new) to DB_VERSION, step by step.
 * Runs inside idb's `upgrade` callback; resolves when every step has queued its work.
 */
export async function upgradePersonalDb(db: AnyDb, oldVersion: number, tx: UpgradeTx, legacyCatalogId: string): Promise<void> {
  if (oldVersion < 1) createV1(db);
  if (oldVersion < 2) migrateV1toV2(db, tx);
  if (oldVersion < 3) await migrateV2toV3(db, tx, legacyCatalogId);
  if (oldVersion < 4) await migrateV3toV4(tx);
}
