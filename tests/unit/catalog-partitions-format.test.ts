/** Format 2 (partitioned catalogs): what catalog.json's `partitions` must say, and the layout derived from it. */
import { describe, expect, it } from 'vitest';
import { parseCatalogJson, partitionLayout, shardByteLength, type CatalogJson } from '../../src/shared/catalog-format.ts';
import { ENSEMBLE, SHA } from './catalog-json-fixture.ts';

const D = 8;
const shard = (path: string, count: number) => ({ path, bytes: shardByteLength(count, D), sha256: SHA, count });
const items = (path: string, count: number) => ({ path, bytes: 10, sha256: SHA, count });

/** Two partitions: "sofa/000" (5 items in two shards, one item file) and "lamp/000" (2 items). */
function partitioned(): CatalogJson {
  return {
    formatVersion: 2,
    name: 'Big shop',
    ensembleId: ENSEMBLE,
    modelSha256: [SHA],
    dimension: D,
    dtype: 'int8',
    count: 7,
    shards: [shard('partitions/0000/embeddings-000.bin', 3), shard('partitions/0000/embeddings-001.bin', 2), shard('partitions/0001/embeddings-000.bin', 2)],
    items: [items('partitions/0000/items-000.json', 5), items('partitions/0001/items-000.json', 2)],
    partitions: {
      centroids: shard('centroids.bin', 2),
      list: [
        { id: 'sofa/000', category: 'sofa', count: 5 },
        { id: 'lamp/000', category: 'lamp', count: 2 },
      ],
    },
  };
}

// Loosely typed on purpose: the tests write what a hostile or broken catalog.json could hold.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Json = any;

const mutate = (f: (j: Json) => void) => {
  const j: Json = structuredClone(partitioned());
  f(j);
  return j;
};

describe('catalog format 2: partitions', () => {
  it('reads a partitioned catalog and lays out each partition with its first item and its own files', () => {
    const meta = parseCatalogJson(partitioned());
    expect(meta).toEqual(partitioned());
    expect(partitionLayout(meta)).toEqual([
      { id: 'sofa/000', category: 'sofa', count: 5, start: 0, shards: partitioned().shards.slice(0, 2), items: partitioned().items.slice(0, 1) },
      { id: 'lamp/000', category: 'lamp', count: 2, start: 5, shards: partitioned().shards.slice(2), items: partitioned().items.slice(1) },
    ]);
  });

  it("keeps the shop's probe budgets", () => {
    const json = mutate((j) => Object.assign(j.partitions, { probeItems: 20000, firstItems: 4000 }));
    expect(parseCatalogJson(json).partitions).toMatchObject({ probeItems: 20000, firstItems: 4000 });
  });

  it('still reads format 1, which has no layout', () => {
    const flat = mutate((j) => {
      j.formatVersion = 1;
      delete j.partitions;
    });
    expect(partitionLayout(parseCatalogJson(flat))).toBeUndefined();
  });

  it.each([
    ['format 2 without partitions', (j: Json) => delete j.partitions, /format version 2 but no "partitions" object/],
    ['partitions in a format-1 catalog', (j: Json) => (j.formatVersion = 1), /lists partitions but has format version 1/],
    ['no partitions listed', (j: Json) => (j.partitions.list = []), /"partitions.list" must be a non-empty list/],
    ['counts that do not add up', (j: Json) => (j.partitions.list[1].count = 3), /the partitions hold 8 items but the catalog has 7/],
    [
      'a shard holding items of two partitions',
      (j: Json) => {
        j.partitions.list[0].count = 4;
        j.partitions.list[1].count = 3;
      },
      /partitions\/0000\/embeddings-001\.bin holds items of partition "sofa\/000" and of the next one/,
    ],
    [
      'an item file holding items of two partitions',
      (j: Json) => {
        j.items = [items('all.json', 7)];
      },
      /all\.json holds items of partition "sofa\/000" and of the next one/,
    ],
    ['a centroid per partition', (j: Json) => (j.partitions.centroids = shard('centroids.bin', 3)), /holds 3 centroids but there are 2 partitions/],
    ['a centroid file of the wrong size', (j: Json) => (j.partitions.centroids.bytes += 1), /centroids\.bin is listed as \d+ bytes; 2 centroids of 8 take \d+/],
    ['a centroid file outside the catalog', (j: Json) => (j.partitions.centroids.path = '../c.bin'), /partitions\.centroids/],
    ['duplicate partition ids', (j: Json) => (j.partitions.list[1].id = 'sofa/000'), /duplicate partition id "sofa\/000"/],
    ['a partition without items', (j: Json) => (j.partitions.list[1].count = 0), /"lamp\/000"\) has no valid item count/],
    ['a partition category that is not text', (j: Json) => (j.partitions.list[0].category = 7), /"category" must be a string/],
    ['a probe budget that is not a count of items', (j: Json) => (j.partitions.probeItems = 0.5), /"partitions.probeItems" must be a whole number/],
    ['a first-answer budget of no items', (j: Json) => (j.partitions.firstItems = 0), /"partitions.firstItems" must be a whole number/],
    ['the centroid file listed twice', (j: Json) => (j.partitions.centroids.path = j.shards[0].path), /is listed twice/],
  ])('refuses %s, naming the problem', (_, change, message) => {
    expect(() => parseCatalogJson(mutate(change), 'https://shop.example/catalog.json')).toThrow(message);
  });
});
