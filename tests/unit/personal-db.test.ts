import 'fake-indexeddb/auto';
import { forceCloseDatabase } from 'fake-indexeddb';
import { openDB, unwrap } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PersonalDb, type PersonalDbStatus } from '../../src/personal/db.ts';
import { PersonalDbClosedError, PersonalDbVersionError, PersonalQuotaError } from '../../src/personal/errors.ts';
import { DB_VERSION } from '../../src/personal/schema.ts';

let counter = 0;
const freshName = () => `personal-test-${++counter}-${Math.random().toString(36).slice(2)}`;

const opened: PersonalDb[] = [];
async function open(name: string, options: Parameters<typeof PersonalDb.open>[0] = {}): Promise<PersonalDb> {
  const db = await PersonalDb.open({ name, ...options });
  opened.push(db);
  return db;
}
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
  vi.restoreAllMocks();
});

/** Writes a database exactly as the v1 app did (events + wishlist, no catalog ids). */
async function createV1(name: string): Promise<void> {
  const db = await openDB(name, 1, {
    upgrade(db) {
      db.createObjectStore('events', { keyPath: 'id', autoIncrement: true });
      db.createObjectStore('wishlist', { keyPath: 'itemId' });
    },
  });
  const tx = db.transaction(['events', 'wishlist'], 'readwrite');
  const ev = tx.objectStore('events');
  await Promise.all([
    ev.add({ type: 'view', itemId: 'a', at: 1000 }),
    ev.add({ type: 'click', itemId: 'a', at: 2000 }),
    ev.add({ type: 'wishlist_add', itemId: 'b', at: 3000 }),
    ev.add({ type: 'dismiss', itemId: 'c', at: 4000 }),
    tx.objectStore('wishlist').put({ itemId: 'b', addedAt: 3000 }),
    tx.done,
  ]);
  db.close();
}

/** Writes a database exactly as the v2 app did (adds preferences, settings, events.by-at). */
async function createV2(name: string): Promise<void> {
  const db = await openDB(name, 2, {
    upgrade(db, _old, _new, tx) {
      db.createObjectStore('events', { keyPath: 'id', autoIncrement: true }).createIndex('by-at', 'at');
      db.createObjectStore('wishlist', { keyPath: 'itemId' });
      db.createObjectStore('preferences', { keyPath: 'itemId' });
      db.createObjectStore('settings', { keyPath: 'key' });
      void tx;
    },
  });
  const tx = db.transaction(['events', 'wishlist', 'preferences', 'settings'], 'readwrite');
  await Promise.all([
    tx.objectStore('events').add({ type: 'click', itemId: 'x', at: 10 }),
    tx.objectStore('events').add({ type: 'wishlist_add', itemId: 'y', at: 20 }),
    tx.objectStore('wishlist').put({ itemId: 'y', addedAt: 20 }),
    tx.objectStore('preferences').put({ itemId: 'p1', pickedAt: 5 }),
    tx.objectStore('preferences').put({ itemId: 'p2', pickedAt: 5 }),
    tx.objectStore('settings').put({ key: 'onboarding', value: 'skipped' }),
    tx.objectStore('settings').put({ key: 'ranking', value: { beta: 0.4, gamma: 0.7, weights: { click: 0.5 } } }),
    tx.done,
  ]);
  db.close();
}

describe('personal db: basics', () => {
  it('creates the current schema on a fresh device', async () => {
    const db = await open(freshName());
    expect(db.version).toBe(DB_VERSION);
    expect([...db.raw.objectStoreNames].sort()).toEqual(['events', 'preferences', 'settings', 'wishlist']);
    const tx = db.raw.transaction('events');
    expect([...tx.store.indexNames].sort()).toEqual(['by-at', 'by-catalog', 'by-item']);
    expect(await db.getOnboardingState('shop')).toBe('pending');
    expect(await db.getRankingSettings()).toMatchObject({ beta: 0.25, halfLifeDays: 14, weights: { wishlist: 1, preference: 0.7, click: 0.3 } });
  });

  it('records events per catalog, in time order, and filters by time', async () => {
    const db = await open(freshName());
    await db.recordEvents([
      { type: 'view', catalogId: 'shop', itemId: 'a', at: 300 },
      { type: 'click', catalogId: 'shop', itemId: 'a', at: 100 },
      { type: 'click', catalogId: 'home', itemId: 'z', at: 200 },
    ]);
    await db.dismiss('shop', 'q', 400);
    expect((await db.getEvents({ catalogId: 'shop' })).map((e) => [e.type, e.at])).toEqual([
      ['click', 100],
      ['view', 300],
      ['dismiss', 400],
    ]);
    expect((await db.getEvents({ since: 200 })).map((e) => e.itemId)).toEqual(['z', 'a', 'q']);
    expect(await db.countEvents()).toBe(4);
    await expect(db.recordEvent({ type: 'like' as never, catalogId: 'shop', itemId: 'a' })).rejects.toThrow(/unknown event type/);
  });

  it('wishlist add/remove is idempotent and logged, per catalog', async () => {
    const db = await open(freshName());
    expect(await db.addToWishlist('shop', 'a', 10)).toBe(true);
    expect(await db.addToWishlist('shop', 'a', 11)).toBe(false);
    expect(await db.addToWishlist('home', 'a', 12)).toBe(true);
    expect(await db.addToWishlist('shop', 'b', 13)).toBe(true);
    expect((await db.getWishlist('shop')).map((w) => w.itemId)).toEqual(['b', 'a']);
    expect(await db.removeFromWishlist('shop', 'a', 20)).toBe(true);
    expect(await db.removeFromWishlist('shop', 'a', 21)).toBe(false);
    expect(await db.isWishlisted('shop', 'a')).toBe(false);
    expect(await db.isWishlisted('home', 'a')).toBe(true);
    expect((await db.getEvents({ catalogId: 'shop' })).map((e) => `${e.type}:${e.itemId}`)).toEqual(['wishlist_add:a', 'wishlist_add:b', 'wishlist_remove:a']);
  });

  it('stores onboarding picks (replacing earlier ones) or a skip, per catalog', async () => {
    const db = await open(freshName());
    await db.savePreferences('shop', ['a', 'b', 'a'], 5);
    expect(await db.getOnboardingState('shop')).toBe('done');
    expect((await db.getPreferences('shop')).map((p) => p.itemId)).toEqual(['a', 'b']);
    await db.savePreferences('shop', ['c'], 6);
    expect((await db.getPreferences('shop')).map((p) => p.itemId)).toEqual(['c']);
    await db.setOnboardingState('home', 'skipped');
    expect(await db.getOnboardingState('home')).toBe('skipped');
    expect(await db.getPreferences('home')).toEqual([]);
  });

  it('updates ranking settings and rejects invalid ones', async () => {
    const db = await open(freshName());
    const s = await db.updateRankingSettings({ beta: 0.5, weights: { click: 0.2 } });
    expect(s.beta).toBe(0.5);
    expect(s.weights).toMatchObject({ click: 0.2, wishlist: 1 });
    await expect(db.updateRankingSettings({ beta: 3 })).rejects.toThrow(/beta/);
    await db.resetRankingSettings();
    expect((await db.getRankingSettings()).beta).toBe(0.25);
  });

  it('prunes old events, optionally by type', async () => {
    const db = await open(freshName());
    await db.recordEvents([
      { type: 'view', catalogId: 's', itemId: 'a', at: 1 },
      { type: 'click', catalogId: 's', itemId: 'a', at: 2 },
      { type: 'view', catalogId: 's', itemId: 'b', at: 50 },
    ]);
    expect(await db.pruneEvents(10, ['view'])).toBe(1);
    expect((await db.getEvents()).map((e) => e.at)).toEqual([2, 50]);
    expect(await db.pruneEvents(100)).toBe(2);
  });

  it('loads one catalog’s signals in one read', async () => {
    const db = await open(freshName());
    await db.addToWishlist('shop', 'w', 1);
    await db.savePreferences('shop', ['p'], 2);
    await db.recordClick('shop', 'c', 3);
    await db.recordClick('home', 'h', 3);
    const s = await db.loadSignals('shop');
    expect(s.wishlist.map((w) => w.itemId)).toEqual(['w']);
    expect(s.preferences.map((p) => p.itemId)).toEqual(['p']);
    expect(s.events.map((e) => e.itemId)).toEqual(['w', 'c']);
  });
});

describe('personal db: migrations keep every record', () => {
  it('v1 → v4', async () => {
    const name = freshName();
    await createV1(name);
    const db = await open(name, { legacyCatalogId: 'shop' });
    expect(db.version).toBe(4);
    const events = await db.getEvents({ catalogId: 'shop' });
    expect(events).toEqual([
      { id: 1, type: 'view', itemId: 'a', at: 1000, catalogId: 'shop' },
      { id: 2, type: 'click', itemId: 'a', at: 2000, catalogId: 'shop' },
      { id: 3, type: 'wishlist_add', itemId: 'b', at: 3000, catalogId: 'shop' },
      { id: 4, type: 'dismiss', itemId: 'c', at: 4000, catalogId: 'shop' },
    ]);
    expect(await db.getWishlist('shop')).toEqual([{ catalogId: 'shop', itemId: 'b', addedAt: 3000 }]);
    expect(await db.getOnboardingState('shop')).toBe('pending');
    // the auto-increment key generator carries on after the old records
    await db.recordClick('shop', 'd', 5000);
    expect((await db.getEvents()).at(-1)).toMatchObject({ id: 5, itemId: 'd' });
    // new catalog-keyed wishlist works next to the migrated entry
    expect(await db.addToWishlist('home', 'b', 6000)).toBe(true);
    expect(await db.getWishlist('shop')).toHaveLength(1);
  });

  it('v2 → v4', async () => {
    const name = freshName();
    await createV2(name);
    const db = await open(name); // default legacy catalog id
    expect(db.version).toBe(4);
    expect((await db.getEvents({ catalogId: 'default' })).map((e) => [e.id, e.type, e.itemId, e.at])).toEqual([
      [1, 'click', 'x', 10],
      [2, 'wishlist_add', 'y', 20],
    ]);
    expect(await db.getWishlist('default')).toEqual([{ catalogId: 'default', itemId: 'y', addedAt: 20 }]);
    expect(await db.getPreferences('default')).toEqual([
      { catalogId: 'default', itemId: 'p1', pickedAt: 5 },
      { catalogId: 'default', itemId: 'p2', pickedAt: 5 },
    ]);
    expect(await db.getOnboardingState('default')).toBe('skipped');
    const settings = await db.getRankingSettings();
    expect(settings.beta).toBe(0.4);
    expect(settings.weights.click).toBe(0.5);
    // v4: the retired category bonus γ leaves storage; the shopper's other settings stay.
    expect(settings).not.toHaveProperty('gamma');
    expect((await db.raw.get('settings', 'ranking'))?.value).toEqual({ beta: 0.4, weights: { click: 0.5 } });
    const keys = await db.raw.getAllKeys('settings');
    expect(keys.sort()).toEqual(['onboarding:default', 'ranking']);
  });

  it('a database from a newer app is refused with a typed error, untouched', async () => {
    const name = freshName();
    const newer = await openDB(name, DB_VERSION + 1, {
      upgrade(db) {
        db.createObjectStore('future');
      },
    });
    newer.close();
    const err = await PersonalDb.open({ name }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersonalDbVersionError);
    const again = await openDB(name);
    expect(again.version).toBe(DB_VERSION + 1);
    expect([...again.objectStoreNames]).toEqual(['future']);
    again.close();
  });
});

describe('personal db: tabs', () => {
  it('two connections writing concurrently lose nothing', async () => {
    const name = freshName();
    const [a, b] = [await open(name), await open(name)];
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      writes.push(a.recordClick('shop', `a${i}`, i));
      writes.push(b.recordView('shop', `b${i}`, i));
      if (i % 10 === 0) {
        writes.push(a.addToWishlist('shop', `wa${i}`, i));
        writes.push(b.addToWishlist('shop', `wb${i}`, i));
      }
    }
    writes.push(a.updateRankingSettings({ beta: 0.3 }), b.updateRankingSettings({ halfLifeDays: 5 }));
    await Promise.all(writes);
    const events = await a.getEvents();
    expect(events).toHaveLength(200 + 20);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(await b.getWishlist('shop')).toHaveLength(20);
    expect(await a.getRankingSettings()).toMatchObject({ beta: 0.3, halfLifeDays: 5 });
  });

  it('a newer version in another tab: we close and report "blocking"', async () => {
    const name = freshName();
    const statuses: PersonalDbStatus[] = [];
    const db = await open(name, { onStatus: (s) => statuses.push(s) });
    await db.recordClick('shop', 'a', 1);
    const newer = await openDB(name, DB_VERSION + 1); // would hang here if we did not close
    expect(statuses.map((s) => s.type)).toEqual(['blocking']);
    expect(statuses[0]!.type === 'blocking' && statuses[0]!.message).toMatch(/updated in another tab — reload/);
    expect(db.isOpen).toBe(false);
    const err = await db.recordClick('shop', 'b', 2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersonalDbClosedError);
    expect((err as PersonalDbClosedError).reason).toBe('upgraded-elsewhere');
    expect(await newer.count('events')).toBe(1);
    newer.close();
  });

  it('"delete everything" in another tab: we close and say so', async () => {
    const name = freshName();
    const statuses: PersonalDbStatus[] = [];
    const db = await open(name, { onStatus: (s) => statuses.push(s) });
    await PersonalDb.destroy(name); // would hang if we did not close
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({ type: 'blocking', newVersion: null, message: expect.stringMatching(/deleted in another tab/) });
    expect(db.isOpen).toBe(false);
  });

  it('an older tab that does not let go: we report "blocked" and open once it closes', async () => {
    const name = freshName();
    await createV2(name);
    const old = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name, 2);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    }); // raw connection with no versionchange handler, like a stuck old tab
    const statuses: PersonalDbStatus[] = [];
    const opening = PersonalDb.open({ name, onStatus: (s) => statuses.push(s) });
    await vi.waitFor(() => expect(statuses.map((s) => s.type)).toEqual(['blocked']));
    old.close();
    const db = await opening;
    opened.push(db);
    expect(db.version).toBe(DB_VERSION);
    expect(await db.getWishlist('default')).toHaveLength(1);
  });

  it('the browser terminating the connection is reported', async () => {
    const statuses: PersonalDbStatus[] = [];
    const db = await open(freshName(), { onStatus: (s) => statuses.push(s) });
    forceCloseDatabase(unwrap(db.raw) as never); // fake-indexeddb types its parameter oddly
    await vi.waitFor(() => expect(statuses.map((s) => s.type)).toEqual(['terminated']));
    const err = await db.getWishlist('shop').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersonalDbClosedError);
    expect((err as PersonalDbClosedError).reason).toBe('terminated');
  });
});

describe('personal db: quota', () => {
  it('a QuotaExceededError surfaces typed, and rolls back the whole write', async () => {
    const db = await open(freshName());
    await db.addToWishlist('shop', 'kept', 1);
    await db.recordClick('shop', 'kept', 2);

    // The browser refuses the second request of the next write (wishlist put succeeded, event add refused).
    const proto = (globalThis as unknown as { IDBObjectStore: { prototype: IDBObjectStore } }).IDBObjectStore.prototype;
    const realAdd = proto.add;
    vi.spyOn(proto, 'add').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>) {
      if (this.name === 'events') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return realAdd.apply(this, args);
    });
    const err = await db.addToWishlist('shop', 'new', 3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersonalQuotaError);
    expect((err as Error).message).toMatch(/Nothing already saved was lost/);
    const err2 = await db.recordEvents([{ type: 'view', catalogId: 'shop', itemId: 'v' }]).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(PersonalQuotaError);
    vi.restoreAllMocks();

    expect((await db.getWishlist('shop')).map((w) => w.itemId)).toEqual(['kept']); // 'new' rolled back
    expect((await db.getEvents()).map((e) => `${e.type}:${e.itemId}`)).toEqual(['wishlist_add:kept', 'click:kept']);
    // and the store works again afterwards
    expect(await db.addToWishlist('shop', 'new', 4)).toBe(true);
  });

  it('a quota abort reported by the transaction (at commit) is typed too', async () => {
    const db = await open(freshName());
    await db.recordClick('shop', 'kept', 1);
    const err = await db
      .run(['events'], 'readwrite', async (tx) => {
        await tx.objectStore('events').add({ type: 'view', catalogId: 'shop', itemId: 'x', at: 2 });
        // what a browser does when the commit does not fit: abort with a QuotaExceededError
        Object.defineProperty(unwrap(tx), 'error', { value: new DOMException('full', 'QuotaExceededError') });
        tx.abort();
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersonalQuotaError);
    expect((await db.getEvents()).map((e) => e.itemId)).toEqual(['kept']);
  });
});
