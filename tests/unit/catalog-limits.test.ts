/**
 * Impossible numbers and prototype keys in catalogs (issue #26): shard scales
 * no unit vector can have, absurd listed file sizes (refused before anything
 * is allocated; downloads keep only the bytes that arrive), and categories
 * named like Object.prototype's members, which must count and rank like any other.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CatalogError, MAX_CATALOG_FILE_BYTES, parseCatalogJson, parseItemsJson, shardByteLength } from '../../src/shared/catalog-format.ts';
import { decodeShard, encodeShard, MAX_SHARD_SCALE, quantize } from '../../src/shared/catalog-shards.ts';
import { IntegrityError } from '../../src/shared/sha256.ts';
import { complementsOf, resolveCompatibility } from '../../src/personal/compatibility.ts';
import { fetchVerified } from '../../workers/artifact-fetch.ts';
import { countCategories, readCatalogText } from '../../workers/catalog-session.ts';
import { categoryPrior } from '../../workers/search/category-prior.ts';
import { SearchIndex } from '../../workers/search/search-index.ts';
import { makeShards, randomUnitVectors } from './search-fixtures.ts';
import { SHA, validCatalogJson } from './catalog-json-fixture.ts';

const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

afterEach(() => vi.unstubAllGlobals());

describe('shard scales', () => {
  const shardWithScale = (scale: number) => {
    const bytes = encodeShard(quantize(randomUnitVectors(3, 8, 1), 3, 8));
    new DataView(bytes.buffer).setFloat32(16 + 4, scale, true); // vector 1's scale
    return bytes;
  };

  it('refuses a scale above 1/127 (no unit vector quantises to it), naming the vector', () => {
    for (const scale of [1, 0.5, 1e38, (1 / 127) * 1.01]) {
      expect(() => decodeShard(shardWithScale(scale), { count: 3, dimension: 8 }, 's.bin')).toThrow(CatalogError);
      expect(() => decodeShard(shardWithScale(scale), { count: 3, dimension: 8 }, 's.bin')).toThrow(
        /s\.bin: vector 1 has the scale .*, more than a unit-length vector can have \(at most 1\/127\)/,
      );
    }
  });

  it('accepts the largest real scale (a unit vector along one axis) and float rounding above it', () => {
    const axis = new Float32Array(8);
    axis[3] = 1;
    const shard = decodeShard(encodeShard(quantize(axis, 1, 8)), { count: 1, dimension: 8 });
    expect(shard.scales[0]).toBeCloseTo(1 / 127, 8);
    expect(() => decodeShard(shardWithScale(Math.fround(1 / 127) * (1 + 1e-6)), { count: 3, dimension: 8 })).not.toThrow();
    expect(MAX_SHARD_SCALE).toBeLessThan((1 / 127) * 1.001);
  });
});

describe('listed file sizes', () => {
  it('refuses a catalog listing a file of absurd size before anything is downloaded or allocated', () => {
    const huge = validCatalogJson();
    huge.items[0]!.bytes = 4_000_000_000;
    expect(() => parseCatalogJson(huge)).toThrow(/items-000\.json is listed as 4,000,000,000 bytes; a catalog file may have at most 268,435,456/);
    // A shard's size follows from its count and dimension: a huge count is caught the same way.
    const many = validCatalogJson();
    many.count = 40_000_000;
    many.shards[0] = { path: 'embeddings-000.bin', bytes: shardByteLength(40_000_000, 8), sha256: SHA, count: 40_000_000 };
    many.items[0]!.count = 40_000_000;
    expect(() => parseCatalogJson(many)).toThrow(/embeddings-000\.bin is listed as .* bytes; a catalog file may have at most/);
    const clusters = { ...validCatalogJson(), clusters: { path: 'clusters.json', bytes: MAX_CATALOG_FILE_BYTES + 1, sha256: SHA } };
    expect(() => parseCatalogJson(clusters)).toThrow(/"clusters" is listed as/);
    expect(() => parseCatalogJson({ ...validCatalogJson(), dimension: 1_000_000 })).toThrow(/1000000-dimensional embeddings; at most 16384 are read/);
  });

  it('a download keeps only the bytes that arrive: a file listed at 900 MB that sends 10 bytes allocates no 900 MB', async () => {
    const file = { path: 'items-000.json', bytes: 900 * 1024 * 1024, sha256: SHA };
    let duringDownload = 0;
    const before = process.memoryUsage().arrayBuffers;
    vi.stubGlobal('fetch', async () => {
      // The stream pulls once as it is made; the second pull comes when the download reads: measure there.
      let pulls = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (++pulls === 1) return controller.enqueue(new Uint8Array(5));
          duringDownload = process.memoryUsage().arrayBuffers;
          controller.enqueue(new Uint8Array(5));
          controller.close();
        },
      });
      return new Response(body);
    });
    await expect(fetchVerified('https://shop.example/c/', file)).rejects.toThrow(/items-000\.json is damaged: truncated \(10 of 943718400 bytes\)/);
    expect(duringDownload - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('a server sending more than listed is cut off there, with a message', async () => {
    const good = new Uint8Array(1000);
    const file = { path: 'items-000.json', bytes: 1000, sha256: createHash('sha256').update(good).digest('hex') };
    let pulls = 0;
    // 50 chunks of 600 bytes (finite, so a reader that never stops still ends).
    vi.stubGlobal(
      'fetch',
      async () => new Response(new ReadableStream<Uint8Array>({ pull: (c) => (++pulls > 50 ? c.close() : c.enqueue(new Uint8Array(600))) })),
    );
    await expect(fetchVerified('https://shop.example/c/', file)).rejects.toThrow(IntegrityError);
    expect(pulls).toBeLessThan(10);
    pulls = 0;
    await expect(fetchVerified('https://shop.example/c/', file)).rejects.toThrow(/items-000\.json is damaged: more than the 1000 bytes expected/);
    vi.stubGlobal('fetch', async () => new Response(new Uint8Array(5000), { headers: { 'content-length': '5000' } }));
    await expect(fetchVerified('https://shop.example/c/', file)).rejects.toThrow(/5000 bytes where 1000 were expected/);
  });

  it('refuses a listed size no file can have before any request', async () => {
    const fetch = vi.fn();
    vi.stubGlobal('fetch', fetch);
    await expect(fetchVerified('https://shop.example/c/', { path: 'x.bin', bytes: 2 ** 40, sha256: SHA })).rejects.toThrow(
      /x\.bin is listed as 1099511627776 bytes/,
    );
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe('catalog.json itself', () => {
  it('is read up to the largest size a catalog file may have, and refused beyond it unread', async () => {
    const url = 'https://shop.example/c/catalog.json';
    expect(await readCatalogText(new Response('{"formatVersion": 1}'), url)).toBe('{"formatVersion": 1}');
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({ pull: (c) => ((pulled += 16 << 20), c.enqueue(new Uint8Array(16 << 20))) });
    await expect(readCatalogText(new Response(endless), url)).rejects.toThrow(
      /The catalog at https:\/\/shop\.example\/c\/catalog\.json is larger than any catalog\.json can be/,
    );
    expect(pulled).toBeLessThanOrEqual(MAX_CATALOG_FILE_BYTES + (64 << 20));
    await expect(readCatalogText(new Response('{}', { headers: { 'content-length': String(2 ** 33) } }), url)).rejects.toThrow(CatalogError);
  });
});

describe('categories named like Object.prototype members are data like any other', () => {
  it('counts them per category', () => {
    const items = PROTOTYPE_NAMES.flatMap((c, i) => Array.from({ length: i + 1 }, () => ({ category: c })));
    const counts = countCategories([...items, { category: 'sofa' }, {}]);
    expect(Object.keys(counts).sort()).toEqual([...PROTOTYPE_NAMES, 'sofa'].sort());
    PROTOTYPE_NAMES.forEach((c, i) => expect(counts[c]).toBe(i + 1));
    expect(counts.sofa).toBe(1);
    // Crossing to the page (structured clone) keeps them as plain own keys.
    const copy = structuredClone(counts);
    PROTOTYPE_NAMES.forEach((c, i) => expect(Object.hasOwn(copy, c) && copy[c]).toBe(i + 1));
  });

  it('the category prior adds 0 for them, not NaN ("category +NaN")', async () => {
    const dim = 8;
    const n = PROTOTYPE_NAMES.length + 2;
    const vectors = randomUnitVectors(n, dim, 5);
    const items = [...PROTOTYPE_NAMES, 'sofa', 'lamp'].map((category, i) => ({ id: `i${i}`, category }));
    const index = new SearchIndex({ items, shards: makeShards(vectors, n, dim, n) }, { path: 'typed-array' });
    const prior = categoryPrior(['sofa', 'lamp'], [0.75, 0.25], 0.5);
    const hits = await index.search(vectors.subarray(0, dim), { k: n, categoryPrior: prior });
    expect(hits).toHaveLength(n);
    for (const h of hits) {
      expect(Number.isFinite(h.prior)).toBe(true);
      expect(h.prior).toBe(items[h.index]!.category === 'sofa' ? 0.375 : items[h.index]!.category === 'lamp' ? 0.125 : 0);
    }
    // A plain object as prior (any caller's) is read by its own keys only.
    const plain = await index.search(vectors.subarray(0, dim), { k: n, categoryPrior: { weight: 1, probabilities: { sofa: 1 } } });
    for (const h of plain) expect(h.prior).toBe(items[h.index]!.category === 'sofa' ? 1 : 0);
  });

  it('items and catalog complements keep them as own keys', () => {
    const complements = JSON.parse('{"__proto__": ["lamp"], "constructor": ["rug"], "sofa": ["toString"]}') as Record<string, string[]>;
    const parsed = parseCatalogJson({ ...validCatalogJson(), complements }).complements!;
    expect(Object.keys(parsed).sort()).toEqual(['__proto__', 'constructor', 'sofa']);
    expect(complementsOf('__proto__', resolveCompatibility(parsed))).toEqual(['lamp']);
    expect(complementsOf('constructor', resolveCompatibility(parsed))).toEqual(['rug']);
    expect(complementsOf('toString', resolveCompatibility(parsed))).toEqual([]);
    const [item] = parseItemsJson(
      JSON.parse('[{"id": "a", "title": "A", "category": "constructor", "attributes": {"__proto__": "x", "color": "red"}}]'),
      'i.json',
      1,
    );
    expect(item!.category).toBe('constructor');
    expect(Object.keys(item!.attributes!).sort()).toEqual(['__proto__', 'color']);
    // biome-ignore lint/suspicious/noProto: the test reads the own key a hostile catalog named __proto__
    expect(item!.attributes!.__proto__).toBe('x');
  });
});
