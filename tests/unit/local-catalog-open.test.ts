import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CatalogError } from '../../src/shared/catalog-format.ts';
import { createLocalCatalogApi } from '../../workers/local-catalog/api.ts';
import { LocalCatalogError, LocalCatalogModelsError } from '../../workers/local-catalog/errors.ts';
import { buildShards, openLocalCatalog, type LocalOpenCatalog, type ObjectUrls } from '../../workers/local-catalog/open-local.ts';
import { LocalCatalogStore, type NewLocalItem } from '../../workers/local-catalog/store.ts';
import type { LocalAppModels } from '../../workers/local-catalog/types.ts';
import { SearchIndex } from '../../workers/search/search-index.ts';
import { randomUnitVectors } from './search-fixtures.ts';

const DIM = 16;
const MODELS: LocalAppModels = { ensembleId: 'ens-a', dimension: DIM, modelSha256: ['a'.repeat(64), 'b'.repeat(64)] };

let counter = 0;
const freshDbName = () => `local-open-test-${++counter}-${Math.random().toString(36).slice(2)}`;
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

function vectors(count: number, seed = 11): Float32Array[] {
  const all = randomUnitVectors(count, DIM, seed);
  return Array.from({ length: count }, (_, i) => all.slice(i * DIM, (i + 1) * DIM));
}

const item = (n: number, category?: string): NewLocalItem => ({
  title: `photo ${n}`,
  hash: sha(`photo ${n}`),
  bytes: 100,
  fileName: `photo-${n}.jpg`,
  thumbnail: new Blob([`thumb ${n}`], { type: 'image/jpeg' }),
  ...(category ? { category } : {}),
});

/** Object URLs as counters, recording which are still live. */
function stubUrls(): ObjectUrls & { live: Set<string>; created: number } {
  const live = new Set<string>();
  const urls = {
    live,
    created: 0,
    create(blob: Blob) {
      const url = `blob:test/${++urls.created}-${blob.size}`;
      live.add(url);
      return url;
    },
    revoke(url: string) {
      live.delete(url);
    },
  };
  return urls;
}

/** A stand-in ImageBitmap carrying the embedding the stub embedder answers. */
function fakeBitmap(vector: Float32Array): ImageBitmap & { vector: Float32Array; closed: boolean } {
  const bitmap = {
    width: 640,
    height: 480,
    vector,
    closed: false,
    close() {
      bitmap.closed = true;
    },
  };
  return bitmap as unknown as ImageBitmap & { vector: Float32Array; closed: boolean };
}

const stores: LocalCatalogStore[] = [];
async function openStore(name = freshDbName()): Promise<LocalCatalogStore> {
  const store = await LocalCatalogStore.open({ name });
  stores.push(store);
  return store;
}
const openCatalogs: LocalOpenCatalog[] = [];
afterEach(() => {
  for (const c of openCatalogs.splice(0)) c.close();
  for (const s of stores.splice(0)) s.close();
});

async function filled(store: LocalCatalogStore, count: number, models = MODELS): Promise<{ id: string; vs: Float32Array[] }> {
  const cat = await store.createCatalog({ name: 'Wardrobe', models });
  const vs = vectors(count);
  for (let i = 0; i < count; i++) await store.addItem(cat.id, item(i, i % 2 ? 'shoes' : 'shirts'), vs[i]!);
  return { id: cat.id, vs };
}

describe('opening a local catalog', () => {
  it('is searchable exactly like a downloaded one: the added vector comes first with score ≈ 1', async () => {
    const store = await openStore();
    const { id, vs } = await filled(store, 20);
    const urls = stubUrls();
    const open = await openLocalCatalog(store, id, { app: MODELS, urls });
    openCatalogs.push(open);
    expect(open.index).toBeInstanceOf(SearchIndex);
    for (const target of [0, 7, 19]) {
      const hits = await open.index.search(vs[target]!, { k: 3 });
      expect(hits[0]!.index).toBe(target);
      expect(hits[0]!.id).toBe(open.catalog.items[target]!.id);
      expect(hits[0]!.score).toBeCloseTo(1, 2);
      expect(hits[1]!.score).toBeLessThan(hits[0]!.score);
    }
    // category filters work as for downloaded catalogs
    const shoes = await open.index.search(vs[4]!, { k: 5, filter: { categories: ['shoes'] } });
    expect(shoes.every((h) => open.catalog.items[h.index]!.category === 'shoes')).toBe(true);

    expect(open.info).toMatchObject({
      url: `local:${id}`,
      name: 'Wardrobe',
      count: 20,
      dimension: DIM,
      scenes: 0,
      searchPath: 'typed-array',
      categories: { shoes: 10, shirts: 10 },
    });
    expect(open.info.bytes).toBeGreaterThan(0);
    expect(open.catalog.meta).toMatchObject({
      formatVersion: 1,
      name: 'Wardrobe',
      ensembleId: 'ens-a',
      dimension: DIM,
      dtype: 'int8',
      count: 20,
      shards: [],
      items: [],
    });
    expect(open.catalog.shards.reduce((n, s) => n + s.count, 0)).toBe(20);
    const thumb = open.catalog.items[3]!.thumbnail!;
    expect(thumb).toMatch(/^blob:test\//);
    expect(urls.live.size).toBe(20);
    expect(open.resolve(thumb)).toBe(thumb);
    expect(open.resolve(undefined)).toBeUndefined();
    expect(open.itemIndex.get(open.catalog.items[5]!.id)).toBe(5);
    expect(open.catalog.items[1]).toMatchObject({ title: 'photo 1', category: 'shoes' });
  });

  it('survives closing and reopening the database', async () => {
    const name = freshDbName();
    const first = await openStore(name);
    const { id, vs } = await filled(first, 5);
    first.close();
    const again = await openStore(name);
    const open = await openLocalCatalog(again, id, { app: MODELS, urls: stubUrls() });
    openCatalogs.push(open);
    expect((await open.index.search(vs[2]!, { k: 1 }))[0]!.index).toBe(2);
  });

  it('revokes its object URLs when the index is disposed (as the worker does when it drops a catalog)', async () => {
    const store = await openStore();
    const { id } = await filled(store, 4);
    const urls = stubUrls();
    const open = await openLocalCatalog(store, id, { app: MODELS, urls });
    expect(urls.live.size).toBe(4);
    open.index.dispose();
    expect(urls.live.size).toBe(0);
    open.close(); // idempotent
    expect(urls.created).toBe(4);
  });

  it('refuses a catalog built with other models, like checkCompatible, offering re-indexing', async () => {
    const store = await openStore();
    const { id } = await filled(store, 3);
    const urls = stubUrls();
    const cases: [LocalAppModels, RegExp][] = [
      [{ ...MODELS, ensembleId: 'ens-new' }, /"Wardrobe" was indexed with the models "ens-a", but this app runs "ens-new": index its photos again/],
      [{ ...MODELS, dimension: 32 }, /16-dimensional embeddings, but the models give 32: index its photos again/],
      [{ ...MODELS, modelSha256: ['a'.repeat(64)] }, /model files aaaaaaaa, bbbbbbbb, but this app loaded aaaaaaaa .*same ensemble "ens-a"/],
    ];
    for (const [app, message] of cases) {
      const err = await openLocalCatalog(store, id, { app, urls }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LocalCatalogModelsError);
      expect(err).toBeInstanceOf(CatalogError);
      expect((err as LocalCatalogModelsError).catalogId).toBe(id);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toMatch(/choose them again under the name "Wardrobe"/);
    }
    expect(urls.created).toBe(0);
  });

  it('refuses an empty or missing catalog with a clear message', async () => {
    const store = await openStore();
    const cat = await store.createCatalog({ name: 'Empty', models: MODELS });
    await expect(openLocalCatalog(store, cat.id, { app: MODELS, urls: stubUrls() })).rejects.toThrow(/"Empty" has no photos yet/);
    await expect(openLocalCatalog(store, 'gone', { app: MODELS, urls: stubUrls() })).rejects.toThrow(/not on this device any more/);
  });

  it('builds valid shards in chunks', async () => {
    const store = await openStore();
    const { id, vs } = await filled(store, 7);
    const stored = await store.readCatalog(id);
    const shards = buildShards(stored!.vectors, DIM, 3);
    expect(shards.map((s) => s.count)).toEqual([3, 3, 1]);
    const index = new SearchIndex({ items: stored!.items, shards });
    expect((await index.search(vs[6]!, { k: 1 }))[0]).toMatchObject({ index: 6 });
    expect(index.vector(4)[0]).toBeCloseTo(vs[4]![0]!, 2);
  });
});

describe('the worker API (createLocalCatalogApi)', () => {
  async function setup(app: LocalAppModels | (() => LocalAppModels) = MODELS) {
    const store = await openStore();
    const used: LocalOpenCatalog[] = [];
    const urls = stubUrls();
    const api = createLocalCatalogApi({
      embed: async (bitmap) => (bitmap as unknown as { vector: Float32Array }).vector,
      app,
      useCatalog: (open) => {
        used.push(open);
        openCatalogs.push(open);
      },
      store: async () => store,
      thumbnail: async () => new Blob(['jpeg'], { type: 'image/jpeg' }),
      urls,
    });
    return { api, store, used, urls };
  }

  it('indexes, lists, opens and deletes', async () => {
    const { api, used } = await setup();
    const start = await api.startLocalIndex('Wardrobe');
    expect(start).toMatchObject({ name: 'Wardrobe', count: 0, resumed: false, reset: false });
    const vs = vectors(3);
    const bitmaps = vs.map((v) => fakeBitmap(v));
    for (let i = 0; i < 3; i++) {
      const out = await api.addLocalPhoto(start.catalogId, bitmaps[i]!, { name: `p${i}.jpg`, hash: sha(`p${i}`), size: 10, category: 'shoes' });
      expect(out).toMatchObject({ ok: true, index: i, count: i + 1 });
    }
    expect(bitmaps.every((b) => b.closed)).toBe(true);
    const dup = fakeBitmap(vs[0]!);
    expect(await api.addLocalPhoto(start.catalogId, dup, { name: 'copy.jpg', hash: sha('p0'), size: 10 })).toMatchObject({ ok: false, code: 'duplicate' });
    expect(dup.closed).toBe(true);
    expect((await api.localPhotoHashes(start.catalogId)).length).toBe(3);

    const summary = await api.finishLocalIndex(start.catalogId);
    expect(summary).toMatchObject({ id: start.catalogId, name: 'Wardrobe', count: 3, compatible: true });
    expect(await api.listLocalCatalogs()).toEqual([summary]);

    const info = await api.openLocalCatalog(start.catalogId);
    expect(info).toMatchObject({ url: `local:${start.catalogId}`, count: 3, categories: { shoes: 3 } });
    expect(used).toHaveLength(1);
    expect((await used[0]!.index.search(vs[1]!, { k: 1 }))[0]!.score).toBeCloseTo(1, 2);
    expect(() => structuredClone(info)).not.toThrow(); // crosses comlink

    expect(await api.deleteLocalCatalog(start.catalogId)).toBe(true);
    expect(await api.listLocalCatalogs()).toEqual([]);
  });

  it('a photo that cannot be embedded fails alone; a second run resumes the catalog by name', async () => {
    const { api } = await setup();
    const { catalogId } = await api.startLocalIndex('Shop');
    const bad = fakeBitmap(new Float32Array(DIM).fill(Number.NaN)); // the "embedder" gives NaN
    const out = await api.addLocalPhoto(catalogId, bad, { name: 'bad.jpg', hash: sha('bad'), size: 1 });
    expect(out).toEqual({ ok: false, code: 'failed', reason: 'could not be indexed: the models gave an invalid embedding for it' });
    expect(bad.closed).toBe(true);
    expect(await api.addLocalPhoto(catalogId, fakeBitmap(vectors(1)[0]!), { name: 'a.jpg', hash: sha('a'), size: 1 })).toMatchObject({ ok: true, index: 0 });
    const again = await api.startLocalIndex(' shop ');
    expect(again).toEqual({ catalogId, name: 'Shop', count: 1, resumed: true, reset: false });
  });

  it('an empty run leaves no catalog behind', async () => {
    const { api } = await setup();
    const { catalogId } = await api.startLocalIndex('Nothing');
    expect(await api.finishLocalIndex(catalogId)).toBeNull();
    expect(await api.listLocalCatalogs()).toEqual([]);
  });

  it('flags and refuses catalogs of other models, and re-indexes one chosen again by name', async () => {
    let models: LocalAppModels = { ...MODELS, ensembleId: 'old' };
    const { api } = await setup(() => models);
    const { catalogId } = await api.startLocalIndex('Wardrobe');
    await api.addLocalPhoto(catalogId, fakeBitmap(vectors(1)[0]!), { name: 'a.jpg', hash: sha('a'), size: 1 });
    models = MODELS; // the app was updated
    const [listed] = await api.listLocalCatalogs();
    expect(listed).toMatchObject({ compatible: false, ensembleId: 'old' });
    expect(listed!.problem).toMatch(/indexed with the models "old", but this app runs "ens-a"/);
    await expect(api.openLocalCatalog(catalogId)).rejects.toBeInstanceOf(LocalCatalogModelsError);
    // adding to it with the new models is refused too (no mixed vectors)
    const b = fakeBitmap(vectors(1)[0]!);
    await expect(api.addLocalPhoto(catalogId, b, { name: 'b.jpg', hash: sha('b'), size: 1 })).rejects.toBeInstanceOf(LocalCatalogModelsError);
    expect(b.closed).toBe(true);
    const again = await api.startLocalIndex('Wardrobe');
    expect(again).toMatchObject({ catalogId, count: 0, resumed: false, reset: true });
    expect((await api.listLocalCatalogs())[0]).toMatchObject({ compatible: true, count: 0 });
  });

  it('lists catalogs while the models are still loading (compatibility unknown)', async () => {
    let loaded = false;
    const { api, store } = await setup(() => {
      if (!loaded) throw new Error('The models are not loaded yet');
      return MODELS;
    });
    await store.createCatalog({ name: 'A', models: MODELS });
    const [a] = await api.listLocalCatalogs();
    expect(a!.compatible).toBeUndefined();
    await expect(api.startLocalIndex('B')).rejects.toThrow(/not loaded yet/);
    loaded = true;
    expect((await api.listLocalCatalogs())[0]!.compatible).toBe(true);
  });

  it('is an error to add to a deleted catalog', async () => {
    const { api } = await setup();
    const { catalogId } = await api.startLocalIndex('A');
    await api.deleteLocalCatalog(catalogId);
    const b = fakeBitmap(vectors(1)[0]!);
    await expect(api.addLocalPhoto(catalogId, b, { name: 'a.jpg', hash: sha('a'), size: 1 })).rejects.toBeInstanceOf(LocalCatalogError);
    expect(b.closed).toBe(true);
  });
});
