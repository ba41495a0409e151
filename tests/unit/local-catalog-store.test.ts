import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalCatalogNotFoundError, LocalCatalogQuotaError } from '../../workers/local-catalog/errors.ts';
import { LocalCatalogStore, localItemId, type NewLocalItem } from '../../workers/local-catalog/store.ts';
import type { LocalAppModels } from '../../workers/local-catalog/types.ts';
import { quotaOn, restoreQuota } from './idb-quota.ts';
import { randomUnitVectors } from './search-fixtures.ts';
import { createHash } from 'node:crypto';

const DIM = 16;
const MODELS: LocalAppModels = { ensembleId: 'ens-a', dimension: DIM, modelSha256: ['a'.repeat(64), 'b'.repeat(64)] };
const OTHER_MODELS: LocalAppModels = { ensembleId: 'ens-b', dimension: DIM, modelSha256: ['c'.repeat(64)] };

let counter = 0;
const freshDbName = () => `local-store-test-${++counter}-${Math.random().toString(36).slice(2)}`;
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
const thumb = (text: string): Blob => new Blob([text], { type: 'image/jpeg' });

function vectors(count: number, seed = 7): Float32Array[] {
  const all = randomUnitVectors(count, DIM, seed);
  return Array.from({ length: count }, (_, i) => all.slice(i * DIM, (i + 1) * DIM));
}

const opened: LocalCatalogStore[] = [];
async function open(name: string): Promise<LocalCatalogStore> {
  const store = await LocalCatalogStore.open({ name });
  opened.push(store);
  return store;
}
afterEach(() => {
  restoreQuota();
  for (const s of opened.splice(0)) s.close();
});

const item = (n: number, extra: Partial<NewLocalItem> = {}): NewLocalItem => ({
  title: `photo ${n}`,
  hash: sha(`photo ${n}`),
  bytes: 1000 + n,
  fileName: `photo-${n}.jpg`,
  thumbnail: thumb(`thumb ${n}`),
  ...extra,
});

describe('local catalog store', () => {
  it('creates catalogs, adds photos incrementally, and keeps them across reopening', async () => {
    const name = freshDbName();
    const store = await open(name);
    const cat = await store.createCatalog({ name: '  Wardrobe ', models: MODELS, now: 1000 });
    expect(cat).toMatchObject({ name: 'Wardrobe', count: 0, dimension: DIM, ensembleId: 'ens-a', createdAt: 1000 });
    const vs = vectors(3);
    for (let i = 0; i < 3; i++) {
      const out = await store.addItem(cat.id, item(i, { category: i === 0 ? 'shoes' : undefined, source: `wardrobe/x/photo-${i}.jpg` }), vs[i]!);
      expect(out).toEqual({ added: true, index: i, id: localItemId(sha(`photo ${i}`)), count: i + 1 });
    }
    store.close();

    const again = await open(name);
    const stored = await again.readCatalog(cat.id);
    expect(stored!.record.count).toBe(3);
    expect(stored!.items.map((x) => x.title)).toEqual(['photo 0', 'photo 1', 'photo 2']);
    expect(stored!.items[0]).toMatchObject({ category: 'shoes', source: 'wardrobe/x/photo-0.jpg', fileName: 'photo-0.jpg', bytes: 1000 });
    expect(stored!.items[1]!.category).toBeUndefined();
    expect(stored!.items[2]!.thumbnail).toBeInstanceOf(Blob);
    expect(await stored!.items[2]!.thumbnail.text()).toBe('thumb 2');
    // int8 codes + scale reproduce the vector
    const v = stored!.vectors[1]!;
    expect(v.codes).toBeInstanceOf(Int8Array);
    expect(v.codes.length).toBe(DIM);
    for (let j = 0; j < DIM; j++) expect(v.scale * v.codes[j]!).toBeCloseTo(vs[1]![j]!, 2);
    expect((await again.listCatalogs()).map((c) => [c.name, c.count])).toEqual([['Wardrobe', 3]]);
    expect((await again.hashes(cat.id)).sort()).toEqual([0, 1, 2].map((i) => sha(`photo ${i}`)).sort());
  });

  it('does not store the same bytes twice in a catalog (but does in another)', async () => {
    const store = await open(freshDbName());
    const a = await store.createCatalog({ name: 'A', models: MODELS });
    const b = await store.createCatalog({ name: 'B', models: MODELS });
    const [v] = vectors(1);
    expect((await store.addItem(a.id, item(1), v!)).added).toBe(true);
    const dup = await store.addItem(a.id, item(1, { fileName: 'copy.jpg' }), v!);
    expect(dup).toEqual({ added: false, duplicate: { index: 0, id: localItemId(sha('photo 1')) }, count: 1 });
    expect(await store.hasHash(a.id, sha('photo 1'))).toBe(true);
    expect(await store.hasHash(b.id, sha('photo 1'))).toBe(false);
    expect((await store.addItem(b.id, item(1), v!)).added).toBe(true);
    expect((await store.getCatalog(a.id))!.count).toBe(1);
  });

  it('refuses bad input without writing anything', async () => {
    const store = await open(freshDbName());
    const cat = await store.createCatalog({ name: 'A', models: MODELS });
    await expect(store.addItem(cat.id, item(1), new Float32Array(DIM + 1))).rejects.toThrow(/17 values but "A" holds 16-dimensional/);
    await expect(store.addItem(cat.id, item(1, { hash: 'nope' }), vectors(1)[0]!)).rejects.toThrow(/SHA-256/);
    await expect(store.addItem(cat.id, item(1), new Float32Array(DIM).fill(Number.NaN))).rejects.toThrow(/invalid value/);
    await expect(store.addItem('missing', item(1), vectors(1)[0]!)).rejects.toBeInstanceOf(LocalCatalogNotFoundError);
    await expect(store.createCatalog({ name: '   ', models: MODELS })).rejects.toThrow(/name/);
    expect((await store.readCatalog(cat.id))!.items).toEqual([]);
  });

  it('a full disk gives LocalCatalogQuotaError and keeps the earlier photos whole', async () => {
    const store = await open(freshDbName());
    const cat = await store.createCatalog({ name: 'Shop', models: MODELS });
    const vs = vectors(4);
    await store.addItem(cat.id, item(0), vs[0]!);
    await store.addItem(cat.id, item(1), vs[1]!);
    // The item is written, then the vector is refused: the whole photo must roll back.
    quotaOn('vectors');
    const err = await store.addItem(cat.id, item(2), vs[2]!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalCatalogQuotaError);
    expect((err as LocalCatalogQuotaError).kept).toBe(2);
    expect((err as Error).message).toBe("Your device's storage is full: 2 photos were indexed and kept; free space or index fewer photos.");
    restoreQuota();
    const stored = await store.readCatalog(cat.id); // consistent: throws if half a photo were there
    expect(stored!.record.count).toBe(2);
    expect(stored!.items.map((x) => x.title)).toEqual(['photo 0', 'photo 1']);
    expect(await store.hasHash(cat.id, sha('photo 2'))).toBe(false);
    // and it works again once there is space
    expect(await store.addItem(cat.id, item(2), vs[2]!)).toMatchObject({ added: true, index: 2 });
  });

  it('a quota abort at commit (the catalog record write) is typed too', async () => {
    const store = await open(freshDbName());
    const cat = await store.createCatalog({ name: 'Shop', models: MODELS });
    await store.addItem(cat.id, item(0), vectors(1)[0]!);
    quotaOn('catalogs');
    const err = await store.addItem(cat.id, item(1), vectors(2)[1]!).catch((e: unknown) => e);
    restoreQuota();
    expect(err).toBeInstanceOf(LocalCatalogQuotaError);
    expect((err as Error).message).toMatch(/1 photo was indexed and kept/);
    expect((await store.readCatalog(cat.id))!.items).toHaveLength(1);
  });

  it('a full disk when creating a catalog says so', async () => {
    const store = await open(freshDbName());
    quotaOn('catalogs');
    await expect(store.createCatalog({ name: 'A', models: MODELS })).rejects.toThrow("Your device's storage is full: free some space, then try again.");
    restoreQuota();
    expect(await store.listCatalogs()).toEqual([]);
  });

  it('deletes a catalog with its photos, and only that one', async () => {
    const store = await open(freshDbName());
    const a = await store.createCatalog({ name: 'A', models: MODELS, now: 1 });
    const b = await store.createCatalog({ name: 'B', models: MODELS, now: 2 });
    const vs = vectors(3);
    await store.addItem(a.id, item(0), vs[0]!);
    await store.addItem(a.id, item(1), vs[1]!);
    await store.addItem(b.id, item(2), vs[2]!);
    expect(await store.deleteCatalog(a.id)).toBe(true);
    expect(await store.deleteCatalog(a.id)).toBe(false);
    expect(await store.readCatalog(a.id)).toBeUndefined();
    expect(await store.hashes(a.id)).toEqual([]);
    expect((await store.listCatalogs()).map((c) => c.name)).toEqual(['B']);
    expect((await store.readCatalog(b.id))!.items).toHaveLength(1);
    // the same bytes can be added to a new catalog again
    const c = await store.createCatalog({ name: 'A', models: MODELS });
    expect((await store.addItem(c.id, item(0), vs[0]!)).added).toBe(true);
  });

  it('finds catalogs by name and resets one for re-indexing with other models', async () => {
    const store = await open(freshDbName());
    const a = await store.createCatalog({ name: 'Wardrobe', models: OTHER_MODELS });
    await store.addItem(a.id, item(0), vectors(1)[0]!);
    expect((await store.findCatalogsByName(' wardrobe ')).map((c) => c.id)).toEqual([a.id]);
    const reset = await store.resetCatalog(a.id, MODELS);
    expect(reset).toMatchObject({ id: a.id, name: 'Wardrobe', count: 0, ensembleId: 'ens-a' });
    const stored = await store.readCatalog(a.id);
    expect(stored!.items).toEqual([]);
    expect(stored!.vectors).toEqual([]);
  });
});
