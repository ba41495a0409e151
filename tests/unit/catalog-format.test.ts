import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCatalogDir, writeCatalog } from '../../scripts/lib/catalog-files.ts';
import {
  CatalogError,
  checkCompatible,
  checkItems,
  embeddingModelSha256,
  parseCatalogJson,
  parseItemsJson,
  shardByteLength,
} from '../../src/shared/catalog-format.ts';
import { encodeShard, quantize } from '../../src/shared/catalog-shards.ts';
import type { ModelManifest } from '../../src/shared/manifest.ts';
import { loadCatalog } from '../../workers/search/catalog-loader.ts';
import { makeItems, randomUnitVectors } from './search-fixtures.ts';
import { ENSEMBLE, SHA, validCatalogJson } from './catalog-json-fixture.ts';

const mutate = (f: (j: Record<string, unknown>) => void) => {
  const j = structuredClone(validCatalogJson()) as unknown as Record<string, unknown>;
  f(j);
  return j;
};

describe('catalog.json validation', () => {
  it('accepts a valid catalog and passes scenes and complements through', () => {
    expect(parseCatalogJson(validCatalogJson())).toEqual(validCatalogJson());
    const scenes = [{ id: 'rooms/a.jpg', title: 'a', image: 'scenes/1.jpg', thumbnail: 'thumbs/1.jpg', itemIds: ['item-0', 'item-2'] }];
    const complements = { sofa: ['rug', 'lamp'], lamp: [] };
    const c = parseCatalogJson({ ...validCatalogJson(), scenes, complements });
    expect(c.scenes).toEqual(scenes);
    expect(c.complements).toEqual(complements);
  });

  it('passes a verified taste-cluster file through, and refuses one outside the catalog folder', () => {
    const clusters = { path: 'clusters.json', bytes: 120, sha256: SHA };
    expect(parseCatalogJson({ ...validCatalogJson(), clusters }).clusters).toEqual(clusters);
    expect(() => parseCatalogJson({ ...validCatalogJson(), clusters: { ...clusters, path: '../x.json' } })).toThrow(
      /"clusters" must name a file inside the catalog/,
    );
    expect(() => parseCatalogJson({ ...validCatalogJson(), clusters: { path: 'c.json', bytes: 1 } })).toThrow(/"clusters"/);
  });

  it('refuses a newer format version with a clear message', () => {
    expect(() => parseCatalogJson({ ...validCatalogJson(), formatVersion: 3 }, 'https://shop.example/catalog.json')).toThrow(
      'https://shop.example/catalog.json has format version 3, newer than this app reads (2): update the app to open this catalog',
    );
  });

  it.each([
    ['not an object', () => [1, 2], /is not a JSON object/],
    ['no version', () => mutate((j) => delete j.formatVersion), /format version undefined; this app reads versions 1 and 2/],
    ['no name', () => mutate((j) => (j.name = ' ')), /has no name/],
    ['no ensembleId', () => mutate((j) => delete j.ensembleId), /has no ensembleId/],
    ['bad model list', () => mutate((j) => (j.modelSha256 = ['x'])), /modelSha256/],
    ['bad dimension', () => mutate((j) => (j.dimension = 0)), /no valid dimension/],
    ['float dtype', () => mutate((j) => (j.dtype = 'float32')), /dtype "float32"; this app reads "int8"/],
    ['count mismatch', () => mutate((j) => (j.count = 4)), /the shards hold 3 vectors but the catalog has 4/],
    [
      'shard size',
      () => mutate((j) => ((j.shards as { bytes: number }[])[0]!.bytes = 99)),
      /embeddings-000\.bin is listed as 99 bytes; 3 vectors of 8 take 52/,
    ],
    [
      'path escape',
      () => mutate((j) => ((j.items as { path: string }[])[0]!.path = '../x.json')),
      /the path of items\[0\] \("\.\.\/x\.json"\) leads out of the catalog's folder/,
    ],
    ['bad sha', () => mutate((j) => ((j.items as { sha256: string }[])[0]!.sha256 = 'nope')), /items-000\.json has no valid sha256/],
    ['scene without items', () => mutate((j) => (j.scenes = [{ id: 's', title: 's', image: 'x.jpg' }])), /itemIds must be a list/],
    ['bad complements', () => mutate((j) => (j.complements = { sofa: 'rug' })), /complements\["sofa"\] must be a list/],
  ])('refuses a malformed catalog: %s', (_name, make, pattern) => {
    expect(() => parseCatalogJson(make(), 'catalog.json')).toThrow(CatalogError);
    expect(() => parseCatalogJson(make(), 'catalog.json')).toThrow(pattern);
  });

  it('refuses a catalog built with other models, naming both', () => {
    const c = parseCatalogJson(validCatalogJson());
    expect(() => checkCompatible(c, { ensembleId: 'lookalike-ffffffffffffffff', dimension: 8 })).toThrow(
      /catalog\.json \("Test"\) was built with the models "lookalike-0123456789abcdef", but this app runs "lookalike-ffffffffffffffff"/,
    );
    expect(() => checkCompatible(c, { ensembleId: ENSEMBLE, dimension: 256 })).toThrow(/8-dimensional embeddings, but the models give 256/);
    expect(() => checkCompatible(c, { ensembleId: ENSEMBLE, dimension: 8, modelSha256: [SHA, 'b'.repeat(64)] })).toThrow(/optional model/);
    expect(() => checkCompatible(c, { ensembleId: ENSEMBLE, dimension: 8, modelSha256: [SHA] })).not.toThrow();
  });

  it('validates item files and scene references', () => {
    const items = makeItems(3, ['a']);
    expect(parseItemsJson(items, 'items-000.json', 3)).toEqual(items);
    expect(() => parseItemsJson(items, 'items-000.json', 4)).toThrow(/items-000\.json has 3 items where catalog\.json says 4/);
    expect(() => parseItemsJson([{ id: 'x', title: 't', price: '3' }], 'i.json', 1)).toThrow(/"price" must be a number/);
    expect(() => parseItemsJson([{ id: 'x', title: 't', attributes: { n: 1 } }], 'i.json', 1)).toThrow(/attributes/);
    const c = parseCatalogJson({ ...validCatalogJson(), scenes: [{ id: 's', title: 's', image: 'x.jpg', itemIds: ['item-9'] }] });
    expect(() => checkItems(c, items)).toThrow(/scene "s" names item "item-9", which is not in the catalog/);
    expect(() => checkItems(c, [items[0]!, items[0]!])).toThrow(/item id "item-0" appears twice/);
  });

  it('lists the sha256 of the loaded members and the projection', () => {
    const file = (sha: string) => ({ path: 'p', bytes: 1, sha256: sha });
    const manifest = {
      models: [
        { id: 'a', files: [file('2'.repeat(64))] },
        { id: 'vgg', files: [file('3'.repeat(64))] },
      ],
      projection: { files: [file('1'.repeat(64))] },
    } as unknown as ModelManifest;
    expect(embeddingModelSha256(manifest, ['a'])).toEqual(['1'.repeat(64), '2'.repeat(64)]);
  });
});

describe('loading a catalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lookalike-catalog-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const dim = 16;
  const vectors = randomUnitVectors(7, dim, 5);
  const items = makeItems(7, ['sofa', 'lamp']);
  const meta = writeCatalog(
    dir,
    {
      name: 'Seven',
      ensembleId: ENSEMBLE,
      modelSha256: [SHA],
      dimension: dim,
      items,
      vectors: Array.from({ length: 7 }, (_, i) => vectors.subarray(i * dim, (i + 1) * dim)),
      scenes: [{ id: 'room', title: 'Room', image: 'scenes/r.jpg', itemIds: ['item-1'] }],
      complements: { sofa: ['lamp'] },
    },
    { maxShardBytes: shardByteLength(3, dim), itemsPerFile: 4 },
  );

  it('writes shards of the given size limit and item files, and reads them back', async () => {
    expect(meta.shards.map((s) => s.count)).toEqual([3, 3, 1]);
    expect(meta.items.map((s) => s.count)).toEqual([4, 3]);
    const loaded = await readCatalogDir(dir, { ensembleId: ENSEMBLE, dimension: dim });
    expect(loaded.items).toEqual(items);
    expect(loaded.meta.scenes?.[0]?.itemIds).toEqual(['item-1']);
    expect(loaded.meta.complements).toEqual({ sofa: ['lamp'] });
    const reference = quantize(vectors, 7, dim);
    expect(Array.from(loaded.shards.flatMap((s) => Array.from(s.codes)))).toEqual(Array.from(reference.codes));
  });

  it('refuses another ensemble before reading any other file', async () => {
    const json = JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8'));
    let reads = 0;
    await expect(
      loadCatalog(json, async () => (reads++, new ArrayBuffer(0)), { ensembleId: 'lookalike-other', dimension: dim }, 'catalog.json'),
    ).rejects.toThrow(/built with the models "lookalike-0123456789abcdef", but this app runs "lookalike-other"/);
    expect(reads).toBe(0);
  });

  it('refuses a damaged shard, naming it', async () => {
    const path = join(dir, 'embeddings-001.bin');
    const original = readFileSync(path);
    const damaged = Buffer.from(original);
    damaged[40]! ^= 1;
    writeFileSync(path, damaged);
    try {
      await expect(readCatalogDir(dir)).rejects.toThrow(/embeddings-001\.bin is damaged: sha256/);
    } finally {
      writeFileSync(path, original);
    }
  });

  it('refuses a bad catalog.json naming the file', async () => {
    const other = mkdtempSync(join(tmpdir(), 'lookalike-bad-'));
    try {
      writeFileSync(join(other, 'catalog.json'), '{"formatVersion": 3}');
      await expect(readCatalogDir(other)).rejects.toThrow(/catalog\.json has format version 3, newer than this app reads \(2\)/);
      writeFileSync(join(other, 'catalog.json'), '{oops');
      await expect(readCatalogDir(other)).rejects.toThrow(/catalog\.json is not valid JSON/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('encodes the same bytes the writer hashed', () => {
    const bytes = readFileSync(join(dir, meta.shards[0]!.path));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(meta.shards[0]!.sha256);
    expect(encodeShard(quantize(vectors.subarray(0, 3 * dim), 3, dim))).toEqual(new Uint8Array(bytes));
  });
});
