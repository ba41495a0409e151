import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { categoryFromPath, folderName, selectPhotos, skipReason } from '../../src/local-catalog/files.ts';
import { runIndexing, type LocalIndexingCalls, type LocalIndexProgress } from '../../src/local-catalog/run-indexing.ts';
import { PhotoError } from '../../src/photo-decode.ts';
import { createLocalCatalogApi } from '../../workers/local-catalog/api.ts';
import { LocalCatalogQuotaError } from '../../workers/local-catalog/errors.ts';
import { indexLocalFiles, titleFromFileName, type IndexRunProgress, type LocalImage } from '../../workers/local-catalog/indexer.ts';
import { openLocalCatalog } from '../../workers/local-catalog/open-local.ts';
import { LocalCatalogStore } from '../../workers/local-catalog/store.ts';
import type { LocalAppModels } from '../../workers/local-catalog/types.ts';
import { quotaOn, restoreQuota } from './idb-quota.ts';
import { randomUnitVectors } from './search-fixtures.ts';

const DIM = 16;
const MODELS: LocalAppModels = { ensembleId: 'ens-a', dimension: DIM, modelSha256: ['a'.repeat(64)] };

let counter = 0;
const freshDbName = () => `local-indexing-test-${++counter}-${Math.random().toString(36).slice(2)}`;
const sha = (text: string | Uint8Array): string => createHash('sha256').update(text).digest('hex');

type FakeBitmap = ImageBitmap & { vector: Float32Array; closed: boolean };
function fakeBitmap(vector: Float32Array): FakeBitmap {
  const bitmap = {
    width: 800,
    height: 600,
    vector,
    closed: false,
    close() {
      bitmap.closed = true;
    },
  };
  return bitmap as unknown as FakeBitmap;
}
const embed = async (bitmap: ImageBitmap) => {
  const b = bitmap as FakeBitmap;
  if (b.closed) throw new Error('embedding a closed bitmap');
  return b.vector;
};
const thumbnail = async () => new Blob(['jpeg'], { type: 'image/jpeg' });

/** The vector a file's content stands for (the stub decoder's "pixels"). */
const vectorOf = (text: string): Float32Array => randomUnitVectors(1, DIM, parseInt(sha(text).slice(0, 8), 16));

const stores: LocalCatalogStore[] = [];
async function openStore(): Promise<LocalCatalogStore> {
  const store = await LocalCatalogStore.open({ name: freshDbName() });
  stores.push(store);
  return store;
}
afterEach(() => {
  restoreQuota();
  for (const s of stores.splice(0)) s.close();
  vi.restoreAllMocks();
});

describe('indexLocalFiles (worker loop)', () => {
  const images = (names: string[]): (LocalImage & { bitmap: FakeBitmap })[] =>
    names.map((name) => ({ name, hash: sha(name), size: 10, bitmap: fakeBitmap(vectorOf(name)) }));

  it('indexes with progress; cancelling keeps what was done; a re-run skips it', async () => {
    const store = await openStore();
    const cat = await store.createCatalog({ name: 'W', models: MODELS });
    const names = ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg'];
    const first = images(names);
    const seen: IndexRunProgress[] = [];
    const result = await indexLocalFiles({
      store,
      embed,
      thumbnail,
      catalogId: cat.id,
      images: first,
      total: first.length,
      onProgress: (p) => seen.push(p),
      isCancelled: () => seen.filter((p) => p.currentName === undefined).at(-1)!.indexed >= 2,
    });
    expect(result).toEqual({ indexed: 2, duplicates: 0, failed: [], cancelled: true, count: 2 });
    expect(first.every((i) => i.bitmap.closed)).toBe(true); // the rest were closed, not leaked
    expect(seen.some((p) => p.currentName === 'b.jpg')).toBe(true);
    expect((await store.readCatalog(cat.id))!.items.map((i) => i.fileName)).toEqual(['a.jpg', 'b.jpg']);

    const again = await indexLocalFiles({ store, embed, thumbnail, catalogId: cat.id, images: images(names), total: names.length });
    expect(again).toEqual({ indexed: 3, duplicates: 2, failed: [], cancelled: false, count: 5 });
  });

  it('a photo that fails is listed with its reason and the run goes on', async () => {
    const store = await openStore();
    const cat = await store.createCatalog({ name: 'W', models: MODELS });
    const list = images(['a.jpg', 'broken.png', 'c.jpg']);
    const result = await indexLocalFiles({
      store,
      embed: async (b) => {
        if ((b as FakeBitmap) === list[1]!.bitmap) throw new Error('the GPU ran out of memory');
        return embed(b);
      },
      thumbnail,
      catalogId: cat.id,
      images: list,
      total: 3,
    });
    expect(result).toMatchObject({ indexed: 2, failed: [{ name: 'broken.png', reason: 'could not be indexed: the GPU ran out of memory' }] });
  });

  it('stops at a full disk with LocalCatalogQuotaError, keeping the photos before it', async () => {
    const store = await openStore();
    const cat = await store.createCatalog({ name: 'W', models: MODELS });
    let stored = 0;
    quotaOn('vectors', () => stored >= 3);
    const list = images(['a', 'b', 'c', 'd', 'e']);
    const err = await indexLocalFiles({ store, embed, thumbnail, catalogId: cat.id, images: list, total: 5, onProgress: (p) => (stored = p.indexed) }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LocalCatalogQuotaError);
    expect((err as Error).message).toMatch(/storage is full: 3 photos were indexed and kept/);
    expect(list.every((i) => i.bitmap.closed)).toBe(true);
    expect((await store.readCatalog(cat.id))!.record.count).toBe(3);
  });

  it('titles photos by file name', () => {
    expect(titleFromFileName('Blue dress.final.JPG')).toBe('Blue dress.final');
    expect(titleFromFileName('.hidden')).toBe('.hidden');
    expect(titleFromFileName('noext')).toBe('noext');
  });
});

describe('picked files', () => {
  const file = (path: string, type = '', body = 'x') => {
    const f = new File([body], path.split('/').pop()!, { type });
    Object.defineProperty(f, 'webkitRelativePath', { value: path.includes('/') ? path : '' });
    return f;
  };

  it('keeps photos, skips the rest with a reason, and reads categories from sub-folders', () => {
    const { photos, skipped } = selectPhotos([
      file('w/shoes/a.jpg', 'image/jpeg'),
      file('w/b.PNG'),
      file('w/notes.txt', 'text/plain'),
      file('w/logo.svg', 'image/svg+xml'),
      file('w/._a.jpg', 'image/jpeg'),
      file('w/.git/x.jpg', 'image/jpeg'),
      file('w/scan.tiff', 'image/tiff'),
      file('w/x.heic', ''),
    ]);
    expect(photos.map((f) => f.name)).toEqual(['a.jpg', 'b.PNG', 'x.heic']);
    expect(skipped).toEqual([
      { name: 'w/notes.txt', reason: 'not a photo (.txt): only JPEG, PNG, WebP, GIF, BMP and AVIF photos are indexed' },
      { name: 'w/logo.svg', reason: 'an SVG drawing, not a photo' },
      { name: 'w/._a.jpg', reason: 'a system file, not a photo' },
      { name: 'w/.git/x.jpg', reason: 'inside a hidden folder' },
      { name: 'w/scan.tiff', reason: 'a TIFF image, which is not indexed (JPEG, PNG, WebP, GIF, BMP and AVIF are)' },
    ]);
    expect(skipReason(file('clip.mp4', 'video/mp4'))).toMatch(/not a photo/);
    expect(categoryFromPath('wardrobe/shoes/a.jpg')).toBe('shoes');
    expect(categoryFromPath('wardrobe/shoes/summer/a.jpg')).toBe('shoes');
    expect(categoryFromPath('wardrobe/a.jpg')).toBeUndefined();
    expect(categoryFromPath('')).toBeUndefined();
    expect(folderName([file('a.jpg'), file('wardrobe/shoes/a.jpg')])).toBe('wardrobe');
    expect(folderName([file('a.jpg')])).toBeUndefined();
  });
});

describe('runIndexing (page loop)', () => {
  /** A photo file whose bytes are `body`; the stub decoder turns it into a bitmap of vectorOf(body). */
  const photo = (path: string, body = path, type = 'image/jpeg') => {
    const f = new File([body], path.split('/').pop()!, { type });
    Object.defineProperty(f, 'webkitRelativePath', { value: path.includes('/') ? path : '' });
    return f;
  };
  const bitmaps: FakeBitmap[] = [];
  const decode = vi.fn(async (f: File) => {
    const text = await f.text();
    if (text.startsWith('broken')) throw new PhotoError(`${f.name} could not be decoded: the file looks damaged or truncated.`);
    const b = fakeBitmap(vectorOf(text));
    bitmaps.push(b);
    return b;
  });
  afterEach(() => {
    decode.mockClear();
    bitmaps.length = 0;
  });

  async function setup() {
    const store = await openStore();
    const api = createLocalCatalogApi({ embed, thumbnail, app: MODELS, useCatalog: () => undefined, store: async () => store });
    // The bitmaps handed to the worker (the client transfers each one).
    const transfers: ImageBitmap[] = [];
    const worker: LocalIndexingCalls = {
      startLocalIndex: (name) => api.startLocalIndex(name),
      localPhotoHashes: (id) => api.localPhotoHashes(id),
      addLocalPhoto: (id, bitmap, info) => (transfers.push(bitmap), api.addLocalPhoto(id, bitmap, info)),
      finishLocalIndex: (id) => api.finishLocalIndex(id),
    };
    let t = 0;
    const now = () => (t += 250); // every reading is 0.25 s later
    return { store, api, worker, transfers, now };
  }

  it('indexes photos with per-file progress, categories from folders and skip reasons', async () => {
    const { store, worker, transfers, now } = await setup();
    const files = [
      photo('wardrobe/shoes/a.jpg'),
      photo('wardrobe/shirts/b.jpg'),
      photo('wardrobe/c.jpg'),
      photo('wardrobe/notes.txt', 'n', 'text/plain'),
      photo('wardrobe/d.jpg', 'broken bytes'),
    ];
    const progress: LocalIndexProgress[] = [];
    const summary = await runIndexing({ files, name: 'wardrobe', worker, decode, now, onProgress: (p) => progress.push(p) });
    expect(summary).toMatchObject({ name: 'wardrobe', files: 5, indexed: 3, alreadyIndexed: 0, count: 3, cancelled: false, resumed: false, reset: false });
    expect(summary.error).toBeUndefined();
    expect(summary.failed).toEqual([
      { name: 'wardrobe/notes.txt', reason: 'not a photo (.txt): only JPEG, PNG, WebP, GIF, BMP and AVIF photos are indexed' },
      { name: 'wardrobe/d.jpg', reason: 'd.jpg could not be decoded: the file looks damaged or truncated.' },
    ]);
    expect(summary.catalog).toMatchObject({ name: 'wardrobe', count: 3, compatible: true });
    expect(transfers).toHaveLength(3);
    expect(bitmaps.every((b) => b.closed)).toBe(true);

    // progress: per file, monotonic, with a rate and an ETA
    expect(progress.map((p) => p.currentName).filter(Boolean)).toEqual(['wardrobe/shoes/a.jpg', 'wardrobe/shirts/b.jpg', 'wardrobe/c.jpg', 'wardrobe/d.jpg']);
    expect(progress.every((p, i) => i === 0 || p.done >= progress[i - 1]!.done)).toBe(true);
    expect(progress.every((p) => p.total === 4)).toBe(true);
    const mid = progress.find((p) => p.done === 2)!;
    expect(mid.ratePerSecond).toBeGreaterThan(0);
    expect(mid.etaSeconds).toBeCloseTo(2 / mid.ratePerSecond, 5);
    expect(progress.at(-1)).toMatchObject({ done: 4, indexed: 3 });

    const stored = await store.readCatalog(summary.catalogId!);
    expect(stored!.items.map((i) => [i.title, i.category ?? null, i.source])).toEqual([
      ['a', 'shoes', 'wardrobe/shoes/a.jpg'],
      ['b', 'shirts', 'wardrobe/shirts/b.jpg'],
      ['c', null, 'wardrobe/c.jpg'],
    ]);
    expect(stored!.items[0]!.hash).toBe(sha('wardrobe/shoes/a.jpg'));
  });

  it('a re-run skips files already indexed without decoding them, and adds the new ones', async () => {
    const { worker, now } = await setup();
    await runIndexing({ files: [photo('a.jpg'), photo('b.jpg')], name: 'Mine', worker, decode, now });
    decode.mockClear();
    const summary = await runIndexing({
      files: [photo('a.jpg'), photo('renamed-b.jpg', 'b.jpg'), photo('c.jpg'), photo('c-copy.jpg', 'c.jpg')],
      name: 'Mine',
      worker,
      decode,
      now,
    });
    expect(summary).toMatchObject({ indexed: 1, alreadyIndexed: 3, count: 3, resumed: true });
    expect(decode.mock.calls.map(([f]) => f.name)).toEqual(['c.jpg']);
  });

  it('stops cleanly on abort: what was indexed is kept whole, nothing after it starts', async () => {
    const { store, worker, now } = await setup();
    const controller = new AbortController();
    const files = ['a', 'b', 'c', 'd', 'e'].map((n) => photo(`${n}.jpg`));
    const summary = await runIndexing({
      files,
      name: 'Shop',
      worker,
      decode,
      now,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.indexed === 2) controller.abort();
      },
    });
    expect(summary).toMatchObject({ cancelled: true, indexed: 2, count: 2 });
    expect(decode).toHaveBeenCalledTimes(2);
    const stored = await store.readCatalog(summary.catalogId!); // consistent, or it throws
    expect(stored!.items.map((i) => i.fileName)).toEqual(['a.jpg', 'b.jpg']);
    // and it can be opened and searched
    const open = await openLocalCatalog(store, summary.catalogId!, { app: MODELS, urls: { create: () => 'blob:x', revoke: () => undefined } });
    const hits = await open.index.search(vectorOf('b.jpg'), { k: 1 });
    expect(hits[0]).toMatchObject({ index: 1 });
    expect(hits[0]!.score).toBeCloseTo(1, 2);
    open.close();
  });

  it('aborting during a decode drops that photo before it reaches the worker', async () => {
    const { worker, now } = await setup();
    const controller = new AbortController();
    const slowDecode = async (f: File) => {
      const b = await decode(f);
      if (f.name === 'b.jpg') controller.abort();
      return b;
    };
    const summary = await runIndexing({
      files: [photo('a.jpg'), photo('b.jpg'), photo('c.jpg')],
      name: 'Shop',
      worker,
      decode: slowDecode,
      now,
      signal: controller.signal,
    });
    expect(summary).toMatchObject({ cancelled: true, indexed: 1, count: 1 });
    expect(bitmaps.every((b) => b.closed)).toBe(true);
  });

  it('cancelling before any photo leaves no empty catalog', async () => {
    const { api, worker, now } = await setup();
    const controller = new AbortController();
    controller.abort();
    const summary = await runIndexing({ files: [photo('a.jpg')], name: 'Nothing', worker, decode, now, signal: controller.signal });
    expect(summary).toMatchObject({ cancelled: true, indexed: 0, count: 0, catalogId: null });
    expect(await api.listLocalCatalogs()).toEqual([]);
  });

  it('a full disk stops the run with the clear message, keeping what was indexed', async () => {
    const { store, worker, now } = await setup();
    let indexed = 0;
    quotaOn('vectors', () => indexed >= 2);
    const summary = await runIndexing({
      files: ['a', 'b', 'c', 'd'].map((n) => photo(`${n}.jpg`)),
      name: 'Big',
      worker,
      decode,
      now,
      onProgress: (p) => (indexed = p.indexed),
    });
    expect(summary.error).toBe("Your device's storage is full: 2 photos were indexed and kept; free space or index fewer photos.");
    expect(summary).toMatchObject({ indexed: 2, count: 2, cancelled: false });
    expect(decode).toHaveBeenCalledTimes(3); // the third was refused; the fourth never started
    expect((await store.readCatalog(summary.catalogId!))!.items).toHaveLength(2);
  });

  it('a worker failure mid-run ends it with the message; nothing picked but non-photos starts nothing', async () => {
    const { worker, now } = await setup();
    let n = 0;
    const flaky: LocalIndexingCalls = {
      ...worker,
      addLocalPhoto: (...args) => {
        if (++n === 2) return Promise.reject(new Error('The image engine stopped (out of memory) and was restarted. Please try again.'));
        return worker.addLocalPhoto(...args);
      },
    };
    const summary = await runIndexing({ files: [photo('a.jpg'), photo('b.jpg'), photo('c.jpg')], name: 'X', worker: flaky, decode, now });
    expect(summary).toMatchObject({ indexed: 1, count: 1, error: 'The image engine stopped (out of memory) and was restarted. Please try again.' });

    const none = await runIndexing({ files: [photo('a.txt', 'x', 'text/plain')], name: 'Y', worker, decode, now });
    expect(none).toMatchObject({ catalogId: null, indexed: 0, error: 'None of the chosen files is a photo this app can index.' });
    expect(none.failed).toHaveLength(1);
    await expect(runIndexing({ files: [photo('a.jpg')], name: '  ', worker, decode, now })).rejects.toThrow(/name/);
  });
});
