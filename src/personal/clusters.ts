/**
 * "Shoppers like you, without sharing": a cluster file, made offline from
 * anonymous events by `scripts/catalog/clusters.ts`, ships with the catalog. On the
 * device the shopper's own profile is matched to the nearest centroid, and
 * that cluster's favourites get a bonus in For-you. Nothing is sent anywhere.
 */
import { l2Normalize } from '../shared/vector.ts';
import type { TasteProfile } from './profile.ts';

export const CLUSTER_FILE_FORMAT = 'lookalike-clusters';
export const CLUSTER_FILE_VERSION = 1;

export interface ClusterFavourite {
  itemId: string;
  /** Σ over the cluster's shoppers of wishlist·w_wishlist + clicks·w_click, divided by the cluster's size. */
  score: number;
  wishlists: number;
  clicks: number;
}

export interface ClusterEntry {
  id: number;
  /** Shoppers in the cluster. */
  size: number;
  /** Unit-length centroid in the catalog's embedding space. */
  centroid: number[];
  /** Best first. */
  favourites: ClusterFavourite[];
}

export interface ClusterFile {
  format: typeof CLUSTER_FILE_FORMAT;
  version: typeof CLUSTER_FILE_VERSION;
  catalogId: string | null;
  createdAt: string;
  dim: number;
  /**
   * The space of the centroids: 'catalog-centred' (embeddings minus the
   * catalog's mean, as the app's profile) or 'raw' (plain embeddings).
   */
  space: 'catalog-centred' | 'raw';
  k: number;
  /** How k was chosen: inertia (elbow) and mean silhouette for each k tried. */
  selection: { ks: number[]; inertia: number[]; silhouette: number[]; elbowK: number; silhouetteK: number; chosenK: number; rule: string };
  clusters: ClusterEntry[];
}

export interface ClusterAssignment {
  clusterId: number;
  /** Cosine of the profile to the centroid. */
  similarity: number;
  /** Item → favourite score scaled to 0…1 (best = 1), for `forYou({ clusterFavourites })`. */
  favourites: Map<string, number>;
}

/** Checks a cluster file (e.g. fetched JSON); throws a TypeError naming the first problem. */
export function parseClusterFile(json: unknown): ClusterFile {
  const fail = (msg: string): never => {
    throw new TypeError(`not a Lookalike cluster file: ${msg}`);
  };
  if (typeof json !== 'object' || json === null) return fail('not an object');
  const f = json as Record<string, unknown>;
  if (f['format'] !== CLUSTER_FILE_FORMAT) fail(`format must be "${CLUSTER_FILE_FORMAT}"`);
  if (f['version'] !== CLUSTER_FILE_VERSION) fail(`version ${String(f['version'])} is not supported (expected ${CLUSTER_FILE_VERSION})`);
  const dim = f['dim'];
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim <= 0) fail('dim must be a positive integer');
  if (f['space'] !== 'catalog-centred' && f['space'] !== 'raw') fail('space must be "catalog-centred" or "raw"');
  if (!Array.isArray(f['clusters']) || f['clusters'].length === 0) fail('clusters must be a non-empty array');
  (f['clusters'] as unknown[]).forEach((c, i) => {
    if (typeof c !== 'object' || c === null) return fail(`clusters[${i}] is not an object`);
    const e = c as Record<string, unknown>;
    if (!Array.isArray(e['centroid']) || e['centroid'].length !== dim || !e['centroid'].every((x) => typeof x === 'number' && Number.isFinite(x)))
      fail(`clusters[${i}].centroid must be ${String(dim)} finite numbers`);
    if (!Array.isArray(e['favourites'])) fail(`clusters[${i}].favourites must be an array`);
    (e['favourites'] as unknown[]).forEach((fav, j) => {
      const o = fav as Record<string, unknown> | null;
      if (!o || typeof o['itemId'] !== 'string' || typeof o['score'] !== 'number') fail(`clusters[${i}].favourites[${j}] needs itemId and score`);
    });
  });
  return json as ClusterFile;
}

const centroidCache = new WeakMap<ClusterEntry, Float32Array>();
function centroidOf(c: ClusterEntry): Float32Array {
  let v = centroidCache.get(c);
  if (!v) centroidCache.set(c, (v = l2Normalize(Float32Array.from(c.centroid))));
  return v;
}

/**
 * The cluster nearest (cosine) to the shopper's profile; null without a
 * profile, or when the file's dimension or space does not match the profile's.
 */
export function assignCluster(profile: TasteProfile, file: ClusterFile): ClusterAssignment | null {
  const v = profile.vector;
  if (!v || v.length !== file.dim) return null;
  if ((file.space === 'catalog-centred') !== (profile.space.mean !== null)) return null;
  let best: ClusterEntry | null = null;
  let bestSim = -Infinity;
  for (const c of file.clusters) {
    const cv = centroidOf(c);
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]! * cv[i]!;
    if (s > bestSim) {
      bestSim = s;
      best = c;
    }
  }
  return best ? { clusterId: best.id, similarity: bestSim, favourites: favouriteScores(best) } : null;
}

/** The cluster's favourites as item → score/maxScore (0…1). */
export function favouriteScores(cluster: ClusterEntry): Map<string, number> {
  const max = cluster.favourites.reduce((m, f) => Math.max(m, f.score), 0);
  return new Map(max > 0 ? cluster.favourites.map((f) => [f.itemId, f.score / max]) : []);
}
