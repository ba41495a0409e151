/**
 * Property-based tests (fast-check) of every parser of outside data (issue
 * #26): catalog.json, the shard decoder, item files, scenes, cluster files,
 * the personal-data import and the ranking settings. Inputs are valid files
 * with fields replaced by hostile values (URL-parser tricks, prototype names,
 * strings beyond the limits, wrong types, random JSON) and plain random data.
 * Each parser either refuses with its own error kind and a plain message, or
 * accepts with every field within bounds; never an internal TypeError or
 * RangeError. Seeded, a few hundred cases each, so a failure reproduces.
 */
import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CatalogError,
  MAX_ATTRIBUTES,
  MAX_CATALOG_FILE_BYTES,
  MAX_DIMENSION,
  MAX_ID_LENGTH,
  MAX_SCENE_ITEMS,
  MAX_TEXT_LENGTH,
  parseCatalogJson,
  parseItemsJson,
  shardByteLength,
} from '../../src/shared/catalog-format.ts';
import { decodeShard, encodeShard, MAX_SHARD_SCALE, quantize } from '../../src/shared/catalog-shards.ts';
import { catalogFileUrl, MAX_PRODUCT_LINK_LENGTH, productLinkUrl } from '../../src/shared/catalog-urls.ts';
import { ClusterFileError, MAX_CLUSTER_DIM, MAX_CLUSTERS, MAX_FAVOURITES, parseClusterFile } from '../../src/personal/clusters.ts';
import { PersonalImportError } from '../../src/personal/errors.ts';
import { EXPORT_FORMAT, MAX_IMPORT_ID_LENGTH, MAX_SETTING_KEY_LENGTH, parsePersonalDataExport } from '../../src/personal/export.ts';
import { DB_VERSION, EVENT_TYPES, RANKING_SETTINGS_KEY } from '../../src/personal/schema.ts';
import { resolveRankingSettings, validateRankingPatch } from '../../src/personal/settings.ts';
import { randomUnitVectors } from './search-fixtures.ts';

const SEED = 26;
const RUNS = 300;
const SHA = 'ab'.repeat(32);
const CATALOG_URLS = ['https://shop.example/catalogs/sofas/catalog.json', 'http://127.0.0.1:4173/catalog/test/catalog.json'];

/** Strings that trip naive checks: URL-parser tricks, prototype names, control characters. */
const NASTY = [
  ' https://other.example/t.jpg',
  'ht\ttps://other.example/t.jpg',
  '\n//other.example/t.jpg',
  '//other.example/t.jpg',
  '\\\\other.example\\t.jpg',
  'https://other.example/t.jpg',
  'javascript:alert(1)',
  'data:image/png;base64,AAAA',
  '../x.json',
  'a/%2e%2e/%2e%2e/x',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'onboarding:',
  'onboarding:__proto__',
  'ranking',
  '',
  ' ',
  '\u0000',
  '<img src=x onerror=alert(1)>',
  'thumbs/a.jpg',
  'embeddings-000.bin',
];

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  // Around and beyond the limits (ids 1000, texts 2000, paths 1024, setting keys 1011).
  { weight: 1, arbitrary: fc.constantFrom(999, 1000, 1001, 1011, 1012, 1024, 1025, 2000, 2001, 5000).map((n) => 'x'.repeat(n)) },
);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1e300, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 4_000_000_000),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constant(JSON.parse('{"__proto__": {"x": 1}, "constructor": 2}')),
);
/** A valid value most of the time, else anything. */
const maybe = <T>(valid: fc.Arbitrary<T>, weight = 5): fc.Arbitrary<T | unknown> => fc.oneof({ weight, arbitrary: valid }, { weight: 1, arbitrary: anyValue });
/** What the app really receives is JSON: objects made by JSON.parse (own "__proto__" keys included). */
const asJson = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

/** A refusal in plain words by the module's own error kind. */
function expectPlainRefusal(error: unknown, kind: new (...args: never[]) => Error): void {
  if (!(error instanceof kind)) throw new Error(`expected a ${kind.name}, got ${String(error)}`, { cause: error });
  expect(error.message.length).toBeGreaterThan(10);
  expect(error.message.length).toBeLessThan(2000);
  expect(error.message).not.toMatch(/is not iterable|Cannot read prop|is not a function|Maximum call stack|Symbol\(|\[object Object\]/);
}

function refusedOr<T>(parse: () => T, kind: new (...args: never[]) => Error, checkAccepted: (value: T) => void): void {
  let value: T;
  try {
    value = parse();
  } catch (error) {
    expectPlainRefusal(error, kind);
    return;
  }
  checkAccepted(value);
}

const within = (s: unknown, max: number, nonEmpty = false) => typeof s === 'string' && s.length <= max && (!nonEmpty || s.length > 0);

/** A file path a catalog may name: it resolves inside the catalog's folder on its origin, wherever the catalog is. */
function expectSafePath(path: unknown): void {
  for (const url of CATALOG_URLS) {
    const href = catalogFileUrl(path, url);
    expect(href, `path ${JSON.stringify(path)}`).toBeDefined();
    const resolved = new URL(href!);
    const folder = new URL('.', url);
    expect(resolved.origin).toBe(folder.origin);
    expect(resolved.pathname.startsWith(folder.pathname)).toBe(true);
  }
}

// ---------------------------------------------------------------- catalog.json

/** A path that is fine most of the time, hostile otherwise. */
const pathArb = (prefix: string) =>
  fc.oneof({ weight: 4, arbitrary: fc.nat(100_000).map((n) => `${prefix}${n}.bin`) }, { weight: 1, arbitrary: hostileString });
/** Valid nearly always: a catalog has many fields, and each should be the one wrong field often enough. */
const rarely = <T>(valid: fc.Arbitrary<T>) => maybe(valid, 25);
const fileEntry = (d: number) =>
  fc.nat({ max: 6 }).chain((count) =>
    fc.record({
      path: rarely(pathArb('shards/embeddings-')),
      bytes: rarely(fc.constant(shardByteLength(count, d))),
      sha256: rarely(fc.constant(SHA)),
      count: rarely(fc.constant(count)),
    }),
  );
const sceneArb = fc.record(
  {
    id: rarely(fc.oneof(fc.string({ maxLength: 8 }), hostileString)),
    title: rarely(fc.string({ maxLength: 10 })),
    image: rarely(pathArb('scenes/')),
    thumbnail: rarely(pathArb('thumbs/')),
    itemIds: rarely(fc.array(hostileString, { maxLength: 4 })),
  },
  { requiredKeys: ['id', 'title', 'image', 'itemIds'] },
);
const catalogJsonArb = fc.integer({ min: 1, max: 32 }).chain((d) =>
  fc
    .record(
      {
        formatVersion: rarely(fc.constant(1)),
        name: rarely(fc.string({ minLength: 1, maxLength: 10 })),
        ensembleId: rarely(fc.constant('lookalike-0123456789abcdef')),
        modelSha256: rarely(fc.constant([SHA])),
        dimension: rarely(fc.constant(d)),
        dtype: rarely(fc.constant('int8')),
        shards: rarely(fc.array(fileEntry(d), { minLength: 1, maxLength: 3 })),
        scenes: rarely(fc.array(sceneArb, { maxLength: 3 })),
        complements: rarely(fc.dictionary(hostileString, rarely(fc.array(hostileString, { maxLength: 3 })), { maxKeys: 4 })),
        clusters: rarely(fc.record({ path: rarely(pathArb('clusters-')), bytes: rarely(fc.nat()), sha256: rarely(fc.constant(SHA)) })),
        currency: rarely(fc.constantFrom('EUR', 'SEK')),
        createdAt: rarely(fc.constant('2026-01-01')),
      },
      { requiredKeys: ['formatVersion', 'name', 'ensembleId', 'modelSha256', 'dimension', 'dtype', 'shards'] },
    )
    .map((json) => {
      // Consistent counts and item files most of the time, so that many catalogs are accepted and their fields checked.
      const shards = Array.isArray(json.shards) ? (json.shards as { count?: unknown }[]) : [];
      const count = shards.reduce((n, s) => n + (typeof s.count === 'number' ? s.count : 0), 0);
      return asJson({ ...json, count, items: [{ path: `items-${shards.length}.json`, bytes: 100, sha256: SHA, count }] });
    }),
);

describe('catalog.json (property-based)', () => {
  it('is refused with a CatalogError in plain words, or accepted with every field within bounds', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof({ weight: 5, arbitrary: catalogJsonArb }, { weight: 1, arbitrary: anyValue }), (json) => {
        refusedOr(
          () => parseCatalogJson(json),
          CatalogError,
          (c) => {
            accepted++;
            expect(within(c.name, MAX_TEXT_LENGTH, true)).toBe(true);
            expect(Number.isInteger(c.dimension) && c.dimension >= 1 && c.dimension <= MAX_DIMENSION).toBe(true);
            expect(Number.isSafeInteger(c.count) && c.count >= 0).toBe(true);
            for (const f of [...c.shards, ...c.items, ...(c.clusters ? [c.clusters] : [])]) {
              expectSafePath(f.path);
              expect(Number.isSafeInteger(f.bytes) && f.bytes >= 0 && f.bytes <= MAX_CATALOG_FILE_BYTES).toBe(true);
            }
            for (const s of c.shards) expect(s.bytes).toBe(shardByteLength(s.count, c.dimension));
            for (const scene of c.scenes ?? []) {
              expect(within(scene.id, MAX_ID_LENGTH, true) && within(scene.title, MAX_TEXT_LENGTH)).toBe(true);
              expectSafePath(scene.image);
              if (scene.thumbnail !== undefined) expectSafePath(scene.thumbnail);
              expect(scene.itemIds.length).toBeLessThanOrEqual(MAX_SCENE_ITEMS);
              for (const id of scene.itemIds) expect(within(id, MAX_ID_LENGTH, true)).toBe(true);
            }
            for (const [category, list] of Object.entries(c.complements ?? {})) {
              expect(within(category, MAX_TEXT_LENGTH)).toBe(true);
              expect(Array.isArray(list) && list.every((x) => within(x, MAX_TEXT_LENGTH))).toBe(true);
            }
          },
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(accepted).toBeGreaterThan(5); // the generator reaches acceptance, so the bounds above are exercised
  });

  it('scenes: a valid catalog with hostile scenes is refused in plain words or keeps only safe paths and bounded ids', () => {
    const base = { formatVersion: 1, name: 'S', ensembleId: 'e', modelSha256: [SHA], dimension: 4, dtype: 'int8', count: 0, shards: [], items: [] };
    fc.assert(
      fc.property(maybe(fc.array(sceneArb, { maxLength: 5 })), (scenes) => {
        refusedOr(
          () => parseCatalogJson(asJson({ ...base, scenes })),
          CatalogError,
          (c) => {
            for (const scene of c.scenes ?? []) {
              expectSafePath(scene.image);
              if (scene.thumbnail !== undefined) expectSafePath(scene.thumbnail);
              expect(within(scene.id, MAX_ID_LENGTH, true)).toBe(true);
            }
          },
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------- item files

const itemArb = fc.record(
  {
    id: maybe(fc.string({ minLength: 1, maxLength: 8 })),
    title: maybe(fc.string({ maxLength: 10 })),
    category: maybe(fc.constantFrom('sofa', 'constructor', '__proto__', 'toString')),
    price: maybe(fc.double({ noNaN: true, noDefaultInfinity: true })),
    url: maybe(fc.oneof(hostileString, fc.constantFrom('https://shop.example/p/1', 'p/1.html', ' JaVaScRiPt:alert(1)'))),
    thumbnail: maybe(hostileString),
    source: maybe(fc.string({ maxLength: 5 })),
    attributes: maybe(fc.dictionary(hostileString, maybe(fc.string({ maxLength: 5 })), { maxKeys: 4 })),
  },
  { requiredKeys: ['id', 'title'] },
);

describe('item files (property-based)', () => {
  it('are refused with a CatalogError in plain words, or accepted with every field within bounds and only safe URLs', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.oneof({ weight: 5, arbitrary: fc.array(itemArb, { maxLength: 4 }) }, { weight: 1, arbitrary: anyValue }),
        fc.boolean(),
        (raw, rightCount) => {
          const json = asJson(raw);
          const expected = rightCount && Array.isArray(json) ? json.length : 3;
          refusedOr(
            () => parseItemsJson(json, 'items-000.json', expected),
            CatalogError,
            (items) => {
              accepted++;
              expect(items).toHaveLength(expected);
              for (const item of items) {
                expect(within(item.id, MAX_ID_LENGTH, true) && within(item.title, MAX_TEXT_LENGTH)).toBe(true);
                for (const key of ['category', 'source'] as const) if (item[key] !== undefined) expect(within(item[key], MAX_TEXT_LENGTH)).toBe(true);
                if (item.price !== undefined) expect(Number.isFinite(item.price)).toBe(true);
                if (item.thumbnail !== undefined) expectSafePath(item.thumbnail);
                if (item.url !== undefined) {
                  expect(within(item.url, MAX_PRODUCT_LINK_LENGTH)).toBe(true);
                  const link = productLinkUrl(item.url, CATALOG_URLS[0]!);
                  if (link !== undefined) expect(['http:', 'https:']).toContain(new URL(link).protocol);
                }
                if (item.attributes) {
                  expect(Object.keys(item.attributes).length).toBeLessThanOrEqual(MAX_ATTRIBUTES);
                  for (const v of Object.values(item.attributes)) expect(within(v, MAX_TEXT_LENGTH)).toBe(true);
                }
              }
            },
          );
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    expect(accepted).toBeGreaterThan(20);
  });
});

// ---------------------------------------------------------------- shards

const shardBytesArb = fc.oneof(
  // A real shard, then damaged: a byte overwritten, a float32 scale replaced by any bit pattern, or cut short.
  fc
    .record({
      count: fc.integer({ min: 1, max: 5 }),
      dim: fc.integer({ min: 1, max: 16 }),
      seed: fc.nat(),
      edit: fc.constantFrom('none', 'byte', 'scale', 'truncate', 'extend'),
      at: fc.nat(),
      value: fc.nat({ max: 0xffffffff }),
    })
    .map(({ count, dim, seed, edit, at, value }) => {
      const bytes = encodeShard(quantize(randomUnitVectors(count, dim, seed), count, dim));
      if (edit === 'byte') bytes[at % bytes.length] = value & 255;
      if (edit === 'scale') new DataView(bytes.buffer).setUint32(16 + 4 * (at % count), value, true);
      const out = edit === 'truncate' ? bytes.slice(0, at % bytes.length) : edit === 'extend' ? new Uint8Array([...bytes, 1, 2, 3, 4]) : bytes;
      return { bytes: out, expected: { count, dimension: dim } };
    }),
  fc.record({ bytes: fc.uint8Array({ maxLength: 200 }), expected: fc.record({ count: fc.nat(5), dimension: fc.integer({ min: 1, max: 16 }) }) }),
);

describe('shard decoder (property-based)', () => {
  it('refuses with a CatalogError in plain words, or decodes vectors no longer than unit length', () => {
    let accepted = 0;
    fc.assert(
      fc.property(shardBytesArb, fc.boolean(), ({ bytes, expected }, aligned) => {
        // Unaligned views are copied by the decoder; aligned ones are read in place.
        const data = aligned ? bytes : new Uint8Array([0, ...bytes]).subarray(1);
        refusedOr(
          () => decodeShard(data, expected, 'embeddings-000.bin'),
          CatalogError,
          (shard) => {
            accepted++;
            expect(shard.count).toBe(expected.count);
            expect(shard.codes.length).toBe(expected.count * expected.dimension);
            for (let i = 0; i < shard.count; i++) {
              const s = shard.scales[i]!;
              expect(Number.isFinite(s) && s >= 0 && s <= MAX_SHARD_SCALE).toBe(true);
              let norm = 0;
              for (let j = 0; j < shard.dimension; j++) norm = Math.max(norm, Math.abs(s * shard.codes[i * shard.dimension + j]!));
              expect(norm).toBeLessThanOrEqual(1.001);
            }
          },
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(accepted).toBeGreaterThan(20);
  });
});

// ---------------------------------------------------------------- cluster files

const clusterFileArb = fc.integer({ min: 1, max: 8 }).chain((dim) =>
  fc.record({
    format: maybe(fc.constant('lookalike-clusters')),
    version: maybe(fc.constant(1)),
    catalogId: maybe(fc.oneof(fc.constant(null), hostileString)),
    createdAt: maybe(fc.constant('2026-01-01')),
    dim: maybe(fc.constant(dim)),
    space: maybe(fc.constantFrom('raw', 'catalog-centred')),
    k: maybe(fc.nat(5)),
    selection: maybe(fc.constant({ ks: [1, 2], inertia: [1, 0.5], silhouette: [0, 0.3], elbowK: 2, silhouetteK: 2, chosenK: 2, rule: 'silhouette' })),
    clusters: maybe(
      fc.array(
        fc.record({
          id: maybe(fc.nat(10)),
          size: maybe(fc.nat(100)),
          centroid: maybe(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: dim, maxLength: dim })),
          favourites: maybe(
            fc.array(
              fc.record({
                itemId: maybe(hostileString),
                score: maybe(fc.double({ noNaN: true, min: 0, max: 10 })),
                wishlists: maybe(fc.nat(5)),
                clicks: maybe(fc.nat(5)),
              }),
              { maxLength: 3 },
            ),
          ),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    ),
  }),
);

describe('cluster files (property-based)', () => {
  it('are refused with a ClusterFileError in plain words, or accepted with every field within bounds', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof({ weight: 5, arbitrary: clusterFileArb }, { weight: 1, arbitrary: anyValue }), (raw) => {
        refusedOr(
          () => parseClusterFile(asJson(raw)),
          ClusterFileError,
          (file) => {
            accepted++;
            expect(Number.isInteger(file.dim) && file.dim >= 1 && file.dim <= MAX_CLUSTER_DIM).toBe(true);
            expect(['raw', 'catalog-centred']).toContain(file.space);
            expect(file.clusters.length >= 1 && file.clusters.length <= MAX_CLUSTERS).toBe(true);
            for (const c of file.clusters) {
              expect(c.centroid.length === file.dim && c.centroid.every(Number.isFinite)).toBe(true);
              expect(Number.isSafeInteger(c.id) && Number.isSafeInteger(c.size)).toBe(true);
              expect(c.favourites.length).toBeLessThanOrEqual(MAX_FAVOURITES);
              for (const f of c.favourites) expect(within(f.itemId, 1000, true) && Number.isFinite(f.score)).toBe(true);
            }
          },
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(accepted).toBeGreaterThan(20);
  });
});

// ---------------------------------------------------------------- ranking settings

const rankingPatchArb = fc.oneof(
  fc.record(
    {
      weights: maybe(
        fc.dictionary(
          fc.oneof(fc.constantFrom('wishlist', 'preference', 'click', 'view', 'dismiss'), hostileString),
          maybe(fc.double({ min: -100, max: 100, noNaN: true })),
          { maxKeys: 4 },
        ),
      ),
      halfLifeDays: maybe(fc.double({ min: 0.01, max: 3650, noNaN: true })),
      beta: maybe(fc.double({ min: 0, max: 1, noNaN: true })),
      gamma: maybe(fc.double({ min: 0, max: 10, noNaN: true })),
      confidenceSaturation: maybe(fc.double({ min: 0.001, max: 1000, noNaN: true })),
      clusterWeight: maybe(fc.double({ min: 0, max: 1, noNaN: true })),
    },
    { requiredKeys: [] },
  ),
  fc.dictionary(hostileString, anyValue, { maxKeys: 4 }),
  anyValue,
);

function expectSettingsInBounds(patch: unknown): void {
  const s = resolveRankingSettings(patch as Parameters<typeof resolveRankingSettings>[0]);
  expect(s.halfLifeDays >= 0.01 && s.halfLifeDays <= 3650).toBe(true);
  expect(s.beta >= 0 && s.beta <= 1).toBe(true);
  expect(s.confidenceSaturation >= 0.001 && s.confidenceSaturation <= 1000).toBe(true);
  expect(s.clusterWeight >= 0 && s.clusterWeight <= 1).toBe(true);
  for (const w of Object.values(s.weights)) expect(Number.isFinite(w) && Math.abs(w) <= 100).toBe(true);
  expect(Object.keys(s).sort()).toEqual(['beta', 'clusterWeight', 'confidenceSaturation', 'halfLifeDays', 'weights']);
}

describe('ranking settings (property-based)', () => {
  it('are refused with plain problems, or accepted as a patch that keeps every setting within its range', () => {
    fc.assert(
      fc.property(rankingPatchArb, (raw) => {
        const checked = validateRankingPatch(asJson(raw));
        if (checked.ok) expectSettingsInBounds(checked.patch);
        else {
          expect(checked.problems.length >= 1 && checked.problems.length <= 20).toBe(true);
          for (const p of checked.problems) {
            expect(p.length).toBeLessThan(300);
            expect(p).not.toMatch(/is not iterable|Cannot read prop|is not a function|\[object Object\]/);
          }
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------- personal-data import

const eventArb = fc.record(
  {
    type: maybe(fc.constantFrom(...EVENT_TYPES), 20),
    catalogId: maybe(fc.constantFrom('shop', 'local:abc'), 20),
    itemId: maybe(fc.string({ minLength: 1, maxLength: 6 }), 20),
    at: maybe(fc.nat(), 20),
    id: fc.option(maybe(fc.integer({ min: 1, max: 1000 }), 20), { nil: undefined }),
  },
  { requiredKeys: ['type', 'catalogId', 'itemId', 'at'] },
);
const pairArb = (timeKey: string) =>
  fc.record({
    catalogId: maybe(fc.constantFrom('shop', 'home'), 20),
    itemId: maybe(fc.string({ minLength: 1, maxLength: 6 }), 20),
    [timeKey]: maybe(fc.nat(), 20),
  });
const settingArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({ key: fc.constant(RANKING_SETTINGS_KEY), value: rankingPatchArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      key: maybe(
        fc.oneof(
          fc.constantFrom('onboarding:shop', 'onboarding:home'),
          hostileString.map((s) => `onboarding:${s}`),
        ),
      ),
      value: maybe(fc.constantFrom('done', 'skipped')),
    }),
  },
  { weight: 1, arbitrary: fc.record({ key: anyValue, value: anyValue }) },
);
const exportArb = fc.record(
  {
    format: maybe(fc.constant(EXPORT_FORMAT)),
    schemaVersion: maybe(fc.constantFrom(1, 2, DB_VERSION)),
    exportedAt: maybe(fc.constant('2026-01-01T00:00:00.000Z')),
    events: maybe(fc.array(eventArb, { maxLength: 3 })),
    wishlist: maybe(fc.array(pairArb('addedAt'), { maxLength: 3 })),
    preferences: maybe(fc.array(pairArb('pickedAt'), { maxLength: 3 })),
    settings: maybe(fc.array(settingArb, { maxLength: 3 })),
  },
  { requiredKeys: ['format', 'schemaVersion'] },
);

describe('personal-data import (property-based)', () => {
  it('is refused with a PersonalImportError in plain words, or accepted with every record within bounds', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof({ weight: 5, arbitrary: exportArb }, { weight: 1, arbitrary: anyValue }), fc.boolean(), (raw, asText) => {
        const input = asText ? JSON.stringify(raw ?? null) : asJson(raw);
        refusedOr(
          () => parsePersonalDataExport(input),
          PersonalImportError,
          (data) => {
            accepted++;
            for (const e of data.events) {
              expect(EVENT_TYPES).toContain(e.type);
              expect(within(e.catalogId, MAX_IMPORT_ID_LENGTH, true) && within(e.itemId, MAX_IMPORT_ID_LENGTH, true)).toBe(true);
              expect(Number.isFinite(e.at) && e.at >= 0 && e.at <= 8.64e15).toBe(true);
            }
            for (const r of [...data.wishlist, ...data.preferences])
              expect(within(r.catalogId, MAX_IMPORT_ID_LENGTH, true) && within(r.itemId, MAX_IMPORT_ID_LENGTH, true)).toBe(true);
            for (const s of data.settings) {
              expect(within(s.key, MAX_SETTING_KEY_LENGTH, true)).toBe(true);
              if (s.key === RANKING_SETTINGS_KEY) expectSettingsInBounds(s.value);
              else {
                expect(s.key.startsWith('onboarding:') && s.key.length > 'onboarding:'.length).toBe(true);
                expect(['done', 'skipped']).toContain(s.value);
              }
            }
          },
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(accepted).toBeGreaterThan(5);
  });
});
