import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PersonalDb } from '../../src/personal/db.ts';
import { PersonalImportError, PersonalQuotaError } from '../../src/personal/errors.ts';
import {
  EXPORT_FORMAT,
  deleteAllPersonalData,
  exportPersonalData,
  exportToJson,
  importPersonalData,
  parsePersonalDataExport,
  type PersonalDataExport,
} from '../../src/personal/export.ts';
import { completeOnboarding, needsOnboarding, skipOnboarding } from '../../src/personal/onboarding.ts';
import { DB_VERSION } from '../../src/personal/schema.ts';

let n = 0;
const opened: PersonalDb[] = [];
async function fresh(): Promise<PersonalDb> {
  const db = await PersonalDb.open({ name: `export-test-${++n}-${Math.random().toString(36).slice(2)}` });
  opened.push(db);
  return db;
}
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
  vi.restoreAllMocks();
});

async function populate(db: PersonalDb): Promise<void> {
  await db.recordView('shop', 'a', 100);
  await db.recordClick('shop', 'a', 200);
  await db.addToWishlist('shop', 'b', 300);
  await db.addToWishlist('home', 'sofa-1', 310);
  await db.removeFromWishlist('shop', 'b', 400);
  await db.addToWishlist('shop', 'c', 500);
  await db.dismiss('shop', 'd', 600);
  await completeOnboarding(db, 'shop', ['p1', 'p2'], 50);
  await skipOnboarding(db, 'home');
  await db.updateRankingSettings({ beta: 0.35, weights: { view: 0.02 } });
}

const withoutTime = (e: PersonalDataExport) => ({ ...e, exportedAt: '' });

describe('export / import / delete', () => {
  it('round-trips everything through JSON (replace into an empty device)', async () => {
    const a = await fresh();
    await populate(a);
    const exported = await exportPersonalData(a, new Date('2025-06-01T12:00:00Z'));
    expect(exported.format).toBe(EXPORT_FORMAT);
    expect(exported.schemaVersion).toBe(DB_VERSION);
    expect(exported.events).toHaveLength(7);
    const { fileName, text } = exportToJson(exported);
    expect(fileName).toBe('lookalike-personal-data-2025-06-01.json');

    const b = await fresh();
    const summary = await importPersonalData(b, text, { mode: 'replace' });
    expect(summary).toEqual({ mode: 'replace', events: 7, wishlist: 2, preferences: 2, settings: 3 });
    expect(withoutTime(await exportPersonalData(b))).toEqual(withoutTime(exported));
    // and the data behaves the same
    expect((await b.getWishlist('shop')).map((w) => w.itemId)).toEqual(['c']);
    expect(await needsOnboarding(b, 'shop')).toBe(false);
    expect(await b.getOnboardingState('home')).toBe('skipped');
    expect((await b.getRankingSettings()).beta).toBe(0.35);
    await b.recordClick('shop', 'new', 700); // ids carry on after the imported ones
    expect((await b.getEvents()).at(-1)!.id).toBe(8);
  });

  it('replace drops what was on the device; merge keeps it and does not double anything', async () => {
    const a = await fresh();
    await populate(a);
    const file = await exportPersonalData(a);

    const b = await fresh();
    await b.addToWishlist('shop', 'local-only', 1);
    await b.addToWishlist('shop', 'c', 2); // also in the file, with another time: the device's entry is kept
    await b.updateRankingSettings({ beta: 0.1 });
    const s1 = await importPersonalData(b, file, { mode: 'merge' });
    expect(s1.events).toBe(7);
    expect(s1.wishlist).toBe(1); // home/sofa-1
    const wl = await b.getWishlist('shop');
    expect(wl.map((w) => [w.itemId, w.addedAt])).toEqual([
      ['c', 2],
      ['local-only', 1],
    ]);
    const settings = await b.getRankingSettings();
    expect(settings.beta).toBe(0.1); // device wins
    expect(settings.weights.view).toBe(0.02); // filled in from the file
    const count = await b.countEvents();
    const s2 = await importPersonalData(b, JSON.stringify(file), { mode: 'merge' });
    expect(s2.events).toBe(0);
    expect(await b.countEvents()).toBe(count);

    await importPersonalData(b, file, { mode: 'replace' });
    expect((await b.getWishlist('shop')).map((w) => w.itemId)).toEqual(['c']);
    expect((await b.getRankingSettings()).beta).toBe(0.35);
  });

  it('rejects invalid files with every problem listed, changing nothing', async () => {
    const db = await fresh();
    await populate(db);
    const before = await exportPersonalData(db);
    const bad = {
      ...before,
      events: [{ type: 'like', itemId: '', catalogId: 'shop', at: 'yesterday' }, ...before.events],
      wishlist: [{ catalogId: 'shop', itemId: 'x' }],
      settings: [
        { key: 'ranking', value: { beta: 7 } },
        { key: 'theme', value: 'dark' },
      ],
    };
    const err = await importPersonalData(db, bad, { mode: 'replace' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PersonalImportError);
    const problems = (err as PersonalImportError).problems.join('\n');
    expect(problems).toMatch(/events\[0\]\.type/);
    expect(problems).toMatch(/events\[0\]\.itemId/);
    expect(problems).toMatch(/events\[0\]\.at/);
    expect(problems).toMatch(/wishlist\[0\]\.addedAt/);
    expect(problems).toMatch(/"beta"/);
    expect(problems).toMatch(/unknown setting "theme"/);
    expect(withoutTime(await exportPersonalData(db))).toEqual(withoutTime(before));

    await expect(importPersonalData(db, '{not json', { mode: 'merge' })).rejects.toThrow(/not JSON/);
    await expect(importPersonalData(db, { format: 'other' }, { mode: 'merge' })).rejects.toThrow(/format/);
    await expect(importPersonalData(db, { ...before, schemaVersion: DB_VERSION + 1 }, { mode: 'merge' })).rejects.toThrow(/newer Lookalike/);
    const dupIds = { ...before, events: [before.events[0], before.events[0]] };
    await expect(importPersonalData(db, dupIds, { mode: 'replace' })).rejects.toThrow(/appears twice/);
  });

  it('reads exports of earlier schema versions (no catalog ids)', () => {
    const v1 = {
      format: EXPORT_FORMAT,
      schemaVersion: 1,
      exportedAt: '2024-01-01T00:00:00Z',
      events: [{ id: 1, type: 'click', itemId: 'a', at: 5 }],
      wishlist: [{ itemId: 'a', addedAt: 6 }],
    };
    const parsed = parsePersonalDataExport(v1, 'shop');
    expect(parsed.events).toEqual([{ id: 1, type: 'click', itemId: 'a', at: 5, catalogId: 'shop' }]);
    expect(parsed.wishlist).toEqual([{ catalogId: 'shop', itemId: 'a', addedAt: 6 }]);
    expect(parsed.preferences).toEqual([]);
    const v2 = { ...v1, schemaVersion: 2, preferences: [{ itemId: 'p', pickedAt: 1 }], settings: [{ key: 'onboarding', value: 'done' }] };
    expect(parsePersonalDataExport(v2, 'shop').settings).toEqual([{ key: 'onboarding:shop', value: 'done' }]);
    expect(() => parsePersonalDataExport({ ...v1, schemaVersion: 3 })).toThrow(/catalogId/);
  });

  it('an import that hits the quota leaves the device as it was', async () => {
    const a = await fresh();
    await populate(a);
    const file = await exportPersonalData(a);
    const b = await fresh();
    await b.addToWishlist('shop', 'mine', 1);
    const before = await exportPersonalData(b);
    const proto = (globalThis as unknown as { IDBObjectStore: { prototype: IDBObjectStore } }).IDBObjectStore.prototype;
    const realPut = proto.put;
    let calls = 0;
    vi.spyOn(proto, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (++calls === 5) throw new DOMException('full', 'QuotaExceededError');
      return realPut.apply(this, args);
    });
    const err = await importPersonalData(b, file, { mode: 'replace' }).catch((e: unknown) => e);
    vi.restoreAllMocks();
    expect(err).toBeInstanceOf(PersonalQuotaError);
    expect(withoutTime(await exportPersonalData(b))).toEqual(withoutTime(before));
  });

  it('deletes everything', async () => {
    const db = await fresh();
    await populate(db);
    await deleteAllPersonalData(db);
    const empty = await exportPersonalData(db);
    expect([empty.events, empty.wishlist, empty.preferences, empty.settings]).toEqual([[], [], [], []]);
    expect(await needsOnboarding(db, 'shop')).toBe(true);
    expect((await db.getRankingSettings()).beta).toBe(0.25);
  });

  it('deleting the whole database works too', async () => {
    const name = `export-destroy-${Math.random().toString(36).slice(2)}`;
    const db = await PersonalDb.open({ name });
    await populate(db);
    db.close();
    await PersonalDb.destroy(name);
    const again = await PersonalDb.open({ name });
    opened.push(again);
    expect(await again.countEvents()).toBe(0);
  });
});
