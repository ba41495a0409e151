/**
 * "Shoppers like you, without sharing": a cluster file, made offline from
 * anonymous events by `scripts/catalog/clusters.ts`, ships with the catalog. On the
 * device the shopper's own profile is matched to the nearest centroid, and
 * that cluster's favourites get a bonus in For-you. Nothing is sent anywhere.
 */
import { LookalikeError, shownValue } from '../shared/errors.ts';
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

/** A catalog's cluster file that is not one this app reads; the message says what is wrong. */
export class ClusterFileError extends LookalikeError {
  override name = 'ClusterFileError';
}

/** What a cluster file may hold (a shop ships tens of clusters with tens of favourites each). */
export const MAX_CLUSTERS = 1000;
export const MAX_FAVOURITES = 1000;
export const MAX_CLUSTER_DIM = 16_384;
const MAX_ITEM_ID_LENGTH = 1000;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Checks a cluster file (e.g. fetched JSON) and returns a copy holding only
 * what was checked; throws ClusterFileError naming the first problem.
 */
export function parseClusterFile(json: unknown): ClusterFile {
  const fail = (msg: string): never => {
    throw new ClusterFileError(`not a Lookalike cluster file: ${msg}`);
  };
  if (!isRecord(json)) return fail('not an object');
  const f = json;
  if (f.format !== CLUSTER_FILE_FORMAT) fail(`format must be "${CLUSTER_FILE_FORMAT}"`);
  if (f.version !== CLUSTER_FILE_VERSION) fail(`version ${shownValue(f.version)} is not supported (expected ${CLUSTER_FILE_VERSION})`);
  const dim = f.dim;
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim <= 0 || dim > MAX_CLUSTER_DIM) fail(`dim must be a whole number from 1 to ${MAX_CLUSTER_DIM}`);
  const space = f.space;
  if (space !== 'catalog-centred' && space !== 'raw') return fail('space must be "catalog-centred" or "raw"');
  const list = f.clusters;
  if (!Array.isArray(list) || list.length === 0) return fail('clusters must be a non-empty array');
  if (list.length > MAX_CLUSTERS) fail(`it has ${list.length.toLocaleString('en')} clusters; at most ${MAX_CLUSTERS}`);
  const clusters = list.map((c: unknown, i): ClusterEntry => {
    if (!isRecord(c)) return fail(`clusters[${i}] is not an object`);
    const centroid = c.centroid;
    if (!Array.isArray(centroid) || centroid.length !== dim || !centroid.every(isFiniteNumber))
      return fail(`clusters[${i}].centroid must be ${String(dim)} finite numbers`);
    const favourites = c.favourites;
    if (!Array.isArray(favourites)) return fail(`clusters[${i}].favourites must be an array`);
    if (favourites.length > MAX_FAVOURITES) fail(`clusters[${i}] has ${favourites.length.toLocaleString('en')} favourites; at most ${MAX_FAVOURITES}`);
    return {
      id: isCount(c.id) ? c.id : i,
      size: isCount(c.size) ? c.size : 0,
      centroid: [...(centroid as number[])],
      favourites: favourites.map((fav: unknown, j): ClusterFavourite => {
        const o = isRecord(fav) ? fav : undefined;
        const itemId = o?.itemId;
        if (!o || typeof itemId !== 'string' || !itemId || !isFiniteNumber(o.score))
          return fail(`clusters[${i}].favourites[${j}] needs an itemId and a score (a number)`);
        if (itemId.length > MAX_ITEM_ID_LENGTH)
          fail(`clusters[${i}].favourites[${j}].itemId is too long (${itemId.length.toLocaleString('en')} characters; at most ${MAX_ITEM_ID_LENGTH})`);
        return { itemId, score: o.score as number, wishlists: isCount(o.wishlists) ? o.wishlists : 0, clicks: isCount(o.clicks) ? o.clicks : 0 };
      }),
    };
  });
  const k = f.k;
  const createdAt = f.createdAt;
  const catalogId = f.catalogId;
  const selection = checkedSelection(f.selection);
  return {
    format: CLUSTER_FILE_FORMAT,
    version: CLUSTER_FILE_VERSION,
    catalogId: typeof catalogId === 'string' && catalogId.length <= MAX_ITEM_ID_LENGTH ? catalogId : null,
    createdAt: typeof createdAt === 'string' && createdAt.length <= 64 ? createdAt : '',
    dim: dim as number,
    space,
    k: isCount(k) ? k : clusters.length,
    selection,
    clusters,
  };
}

/** How k was chosen (shown nowhere in the app, it documents the file): kept when well-formed, else empty. */
function checkedSelection(v: unknown): ClusterFile['selection'] {
  const numbers = (x: unknown): x is number[] => Array.isArray(x) && x.length <= MAX_CLUSTERS && x.every(isFiniteNumber);
  if (
    isRecord(v) &&
    numbers(v.ks) &&
    numbers(v.inertia) &&
    numbers(v.silhouette) &&
    isCount(v.elbowK) &&
    isCount(v.silhouetteK) &&
    isCount(v.chosenK) &&
    typeof v.rule === 'string' &&
    v.rule.length <= 1000
  ) {
    return {
      ks: [...v.ks],
      inertia: [...v.inertia],
      silhouette: [...v.silhouette],
      elbowK: v.elbowK,
      silhouetteK: v.silhouetteK,
      chosenK: v.chosenK,
      rule: v.rule,
    };
  }
  return { ks: [], inertia: [], silhouette: [], elbowK: 0, silhouetteK: 0, chosenK: 0, rule: '' };
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
