/** A small, valid catalog.json for the catalog parser's tests: 3 items of 8 dimensions in one shard and one item file. */
import { shardByteLength, type CatalogJson } from '../../src/shared/catalog-format.ts';

/** A well-formed sha256 (the tests that use it do not read the files). */
export const SHA = 'a'.repeat(64);
export const ENSEMBLE = 'lookalike-0123456789abcdef';

export function validCatalogJson(): CatalogJson {
  return {
    formatVersion: 1,
    name: 'Test',
    ensembleId: ENSEMBLE,
    modelSha256: [SHA],
    dimension: 8,
    dtype: 'int8',
    count: 3,
    shards: [{ path: 'embeddings-000.bin', bytes: shardByteLength(3, 8), sha256: SHA, count: 3 }],
    items: [{ path: 'items-000.json', bytes: 10, sha256: SHA, count: 3 }],
  };
}
