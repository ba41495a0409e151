/**
 * Types of the local-catalog modules (worker side). What crosses to the page
 * is in src/shared/worker-api/local-catalog.ts.
 */

/** The models a local catalog's vectors were computed with (what checkCompatible compares). */
export interface LocalAppModels {
  ensembleId: string;
  dimension: number;
  /** embeddingModelSha256(manifest, loaded member ids): sorted sha256 of the files that shape the embedding. */
  modelSha256: readonly string[];
}
