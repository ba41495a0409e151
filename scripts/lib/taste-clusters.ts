/**
 * "Shoppers like you, without sharing": clusters anonymous shoppers by taste,
 * offline, into a small file the app ships with the catalog.
 * The command is scripts/catalog/clusters.ts (`npm run clusters`).
 *
 * events.csv: `user,item_id,event` (event: view, click, wishlist, dismiss;
 * also wishlist_add, preference). Each user's taste vector is built exactly as
 * on the device (src/personal/profile.ts: the catalog's centred taste space,
 * default weights, no decay: the file has no times). KMeans (k-means++ init, seeded, best of several restarts) for
 * each k; the inertia (elbow) and mean silhouette curves are printed, k is
 * chosen by the rule in `chooseK`. The file holds unit centroids and each
 * cluster's most wishlisted/clicked items (src/personal/clusters.ts reads it).
 */
import { parseCsvTable } from '../../src/shared/csv.ts';
import { l2Normalize } from '../../src/shared/vector.ts';
import { CLUSTER_FILE_FORMAT, CLUSTER_FILE_VERSION, type ClusterEntry, type ClusterFile } from '../../src/personal/clusters.ts';
import { profileFromSignals, type SignalKind, type WeightedSignal } from '../../src/personal/profile.ts';
import { DEFAULT_RANKING_SETTINGS, type SignalWeights } from '../../src/personal/settings.ts';
import { RAW_SPACE, type TasteSpace } from '../../src/personal/taste-space.ts';
import type { EmbeddingLookup } from '../../src/personal/types.ts';
import { mulberry32, sample, type Rng } from './ranking-sim.ts';

// ---- events ------------------------------------------------------------------

export interface AnonEvent {
  user: string;
  itemId: string;
  kind: SignalKind;
}

const EVENT_NAMES: Record<string, SignalKind | null> = {
  view: 'view',
  click: 'click',
  wishlist: 'wishlist',
  wishlist_add: 'wishlist',
  add_to_wishlist: 'wishlist',
  preference: 'preference',
  like: 'preference',
  dismiss: 'dismiss',
  wishlist_remove: null, // the user's wishlist at the end is not known; removals are ignored
};

/** Parses `user,item_id,event` (extra columns ignored). Throws naming the line of a bad row. */
export function parseEventsCsv(text: string, fileName = 'events.csv'): { events: AnonEvent[]; ignored: number } {
  const table = parseCsvTable(text, fileName);
  const col = (name: string) => {
    const i = table.header.findIndex((h) => h.toLowerCase() === name);
    if (i < 0) throw new Error(`${fileName}: no "${name}" column (header: ${table.header.join(',')})`);
    return i;
  };
  const [u, it, ev] = [col('user'), col('item_id'), col('event')];
  const events: AnonEvent[] = [];
  let ignored = 0;
  table.rows.forEach((row, r) => {
    const name = row[ev]!.trim().toLowerCase();
    if (!Object.hasOwn(EVENT_NAMES, name))
      throw new Error(`${fileName}, line ${table.lines[r]}: unknown event "${row[ev]}" (expected ${Object.keys(EVENT_NAMES).join(', ')})`);
    const kind = EVENT_NAMES[name]!;
    const user = row[u]!.trim();
    const itemId = row[it]!.trim();
    if (!user || !itemId) throw new Error(`${fileName}, line ${table.lines[r]}: empty user or item_id`);
    if (kind === null) ignored++;
    else events.push({ user, itemId, kind });
  });
  return { events, ignored };
}

/** One taste vector per user (users without a positive signal on a known item are left out). */
export function userTasteVectors(
  events: readonly AnonEvent[],
  embedding: EmbeddingLookup,
  weights: SignalWeights = DEFAULT_RANKING_SETTINGS.weights,
  space: TasteSpace = RAW_SPACE,
): { users: string[]; vectors: Float32Array[] } {
  const byUser = new Map<string, WeightedSignal[]>();
  for (const e of events) {
    let list = byUser.get(e.user);
    if (!list) byUser.set(e.user, (list = []));
    if (weights[e.kind] !== 0) list.push({ itemId: e.itemId, kind: e.kind, weight: weights[e.kind] });
  }
  const users: string[] = [];
  const vectors: Float32Array[] = [];
  for (const user of [...byUser.keys()].sort()) {
    const p = profileFromSignals(byUser.get(user)!, embedding, 1, space);
    if (p.vector) {
      users.push(user);
      vectors.push(p.vector);
    }
  }
  return { users, vectors };
}

// ---- KMeans --------------------------------------------------------------------

function dist2(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return s;
}

export interface KMeansResult {
  k: number;
  centroids: Float32Array[];
  labels: Int32Array;
  /** Σ squared distance of each point to its centroid. */
  inertia: number;
  iterations: number;
}

/** k-means++ seeding: the first centre at random, each next one with probability ∝ squared distance. */
export function kmeansPlusPlus(points: readonly Float32Array[], k: number, rng: Rng): Float32Array[] {
  const centres = [Float32Array.from(points[Math.floor(rng() * points.length)]!)];
  const d2 = points.map((p) => dist2(p, centres[0]!));
  while (centres.length < k) {
    const total = d2.reduce((a, b) => a + b, 0);
    let r = rng() * total;
    let idx = 0;
    if (total > 0) {
      for (; idx < d2.length - 1; idx++) {
        r -= d2[idx]!;
        if (r <= 0) break;
      }
    } else idx = Math.floor(rng() * points.length);
    const c = Float32Array.from(points[idx]!);
    centres.push(c);
    for (let i = 0; i < points.length; i++) d2[i] = Math.min(d2[i]!, dist2(points[i]!, c));
  }
  return centres;
}

/** Lloyd's algorithm from k-means++ seeds; the best of `restarts` runs (lowest inertia). Deterministic for a seed. */
export function kmeans(points: readonly Float32Array[], k: number, seed: number, restarts = 4, maxIterations = 100): KMeansResult {
  if (k < 1 || k > points.length) throw new RangeError(`k=${k} needs 1…${points.length} points`);
  let best: KMeansResult | null = null;
  for (let run = 0; run < restarts; run++) {
    const result = lloyd(points, kmeansPlusPlus(points, k, mulberry32(seed * 7919 + run * 104729 + k)), maxIterations);
    if (!best || result.inertia < best.inertia) best = result;
  }
  return best!;
}

function lloyd(points: readonly Float32Array[], centroids: Float32Array[], maxIterations: number): KMeansResult {
  const n = points.length;
  const k = centroids.length;
  const dim = points[0]!.length;
  const labels = new Int32Array(n).fill(-1);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let bj = 0;
      let bd = Infinity;
      for (let j = 0; j < k; j++) {
        const d = dist2(points[i]!, centroids[j]!);
        if (d < bd) [bd, bj] = [d, j];
      }
      if (labels[i] !== bj) {
        labels[i] = bj;
        changed++;
      }
    }
    if (changed === 0 && iterations > 0) break;
    const sums = Array.from({ length: k }, () => new Float64Array(dim));
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      const s = sums[labels[i]!]!;
      const p = points[i]!;
      for (let d = 0; d < dim; d++) s[d]! += p[d]!;
      counts[labels[i]!]!++;
    }
    for (let j = 0; j < k; j++) {
      if (counts[j] === 0) {
        // empty cluster: restart it at the point farthest from its centroid
        let far = 0;
        let fd = -1;
        for (let i = 0; i < n; i++) {
          const d = dist2(points[i]!, centroids[labels[i]!]!);
          if (d > fd) [fd, far] = [d, i];
        }
        centroids[j] = Float32Array.from(points[far]!);
        labels[far] = j;
        continue;
      }
      const c = new Float32Array(dim);
      for (let d = 0; d < dim; d++) c[d] = sums[j]![d]! / counts[j]!;
      centroids[j] = c;
    }
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += dist2(points[i]!, centroids[labels[i]!]!);
  return { k, centroids, labels, inertia, iterations };
}

/** Pairwise Euclidean distances of the points (upper and lower triangle). */
export function distanceMatrix(points: readonly Float32Array[]): Float32Array {
  const n = points.length;
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = Math.sqrt(dist2(points[i]!, points[j]!));
      m[i * n + j] = d;
      m[j * n + i] = d;
    }
  }
  return m;
}

/** Mean silhouette (−1…1) of a labelling, from a distance matrix. Singleton clusters count 0. */
export function silhouette(dist: Float32Array, labels: ArrayLike<number>, k: number): number {
  const n = labels.length;
  const sizes = new Int32Array(k);
  for (let i = 0; i < n; i++) sizes[labels[i]!]!++;
  let total = 0;
  const sums = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    for (let j = 0; j < n; j++) if (j !== i) sums[labels[j]!]! += dist[i * n + j]!;
    const own = labels[i]!;
    if (sizes[own]! <= 1) continue;
    const a = sums[own]! / (sizes[own]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c]! > 0) b = Math.min(b, sums[c]! / sizes[c]!);
    if (!Number.isFinite(b)) continue;
    total += (b - a) / Math.max(a, b);
  }
  return total / n;
}

/**
 * The elbow of a decreasing inertia curve: the k farthest below the straight
 * line from the first to the last point (both axes scaled to 0…1).
 */
export function elbowK(ks: readonly number[], inertia: readonly number[]): number {
  const [x0, x1] = [ks[0]!, ks.at(-1)!];
  const [y0, y1] = [inertia[0]!, inertia.at(-1)!];
  let best = ks[0]!;
  let bestGap = -Infinity;
  ks.forEach((k, i) => {
    const x = (k - x0) / (x1 - x0 || 1);
    const y = (inertia[i]! - y1) / (y0 - y1 || 1);
    const gap = 1 - x - y; // the chord runs from (0, 1) to (1, 0)
    if (gap > bestGap) [bestGap, best] = [gap, k];
  });
  return best;
}

export const CHOOSE_K_RULE = 'the elbow k if its silhouette is within 0.02 of the best silhouette, else the best-silhouette k';

/** Elbow and silhouette together: see CHOOSE_K_RULE. */
export function chooseK(ks: readonly number[], inertia: readonly number[], sil: readonly number[]): { elbowK: number; silhouetteK: number; chosenK: number } {
  const elbow = elbowK(ks, inertia);
  let si = 0;
  sil.forEach((s, i) => {
    if (s > sil[si]!) si = i;
  });
  const silhouetteK = ks[si]!;
  const chosenK = sil[ks.indexOf(elbow)]! >= sil[si]! - 0.02 ? elbow : silhouetteK;
  return { elbowK: elbow, silhouetteK, chosenK };
}

// ---- the cluster file ------------------------------------------------------------

export interface BuildOptions {
  seed?: number;
  kMin?: number;
  kMax?: number;
  /** Favourites kept per cluster. */
  top?: number;
  restarts?: number;
  /** At most this many users for the silhouette (it costs n²). */
  silhouetteSample?: number;
  catalogId?: string | null;
  weights?: SignalWeights;
  /** The taste space (the catalog's centred space, as on the device: `tasteSpaceOf(catalog)`); raw cosines when left out. */
  space?: TasteSpace;
  log?: (line: string) => void;
  now?: Date;
}

/** The whole pipeline: taste vectors → KMeans for each k → choose k → the cluster file. */
export function buildClusterFile(events: readonly AnonEvent[], embedding: EmbeddingLookup, options: BuildOptions = {}): ClusterFile {
  const { seed = 1, top = 20, restarts = 4, silhouetteSample = 2000, log = () => {} } = options;
  const weights = options.weights ?? DEFAULT_RANKING_SETTINGS.weights;
  const space = options.space ?? RAW_SPACE;
  const { users, vectors } = userTasteVectors(events, embedding, weights, space);
  if (vectors.length < 3) throw new Error(`only ${vectors.length} users have a usable taste vector (wishlist/click on items with embeddings): need at least 3`);
  const kMin = Math.max(2, options.kMin ?? 2);
  const kMax = Math.min(options.kMax ?? 10, vectors.length - 1);
  if (kMax < kMin) throw new Error(`k range ${kMin}…${kMax} is empty for ${vectors.length} users`);
  log(`${users.length} users with a taste vector (dim ${vectors[0]!.length}), ${events.length} events`);

  const sampleIdx =
    vectors.length > silhouetteSample ? sample(mulberry32(seed), [...vectors.keys()], silhouetteSample).sort((a, b) => a - b) : [...vectors.keys()];
  const dist = distanceMatrix(sampleIdx.map((i) => vectors[i]!));
  const ks: number[] = [];
  const inertia: number[] = [];
  const sil: number[] = [];
  const fits = new Map<number, KMeansResult>();
  for (let k = kMin; k <= kMax; k++) {
    const fit = kmeans(vectors, k, seed, restarts);
    fits.set(k, fit);
    ks.push(k);
    inertia.push(fit.inertia);
    sil.push(
      silhouette(
        dist,
        sampleIdx.map((i) => fit.labels[i]!),
        k,
      ),
    );
  }
  const choice = chooseK(ks, inertia, sil);
  log('  k   inertia (elbow)   silhouette');
  ks.forEach((k, i) => {
    const marks = [k === choice.elbowK ? 'elbow' : '', k === choice.silhouetteK ? 'best silhouette' : '', k === choice.chosenK ? '← chosen' : '']
      .filter(Boolean)
      .join(', ');
    log(`${String(k).padStart(3)}   ${inertia[i]!.toFixed(2).padStart(15)}   ${sil[i]!.toFixed(3).padStart(10)}   ${marks}`);
  });
  log(`chosen k=${choice.chosenK} (${CHOOSE_K_RULE})`);

  const fit = fits.get(choice.chosenK)!;
  const clusterOf = new Map(users.map((u, i) => [u, fit.labels[i]!]));
  const clusters: ClusterEntry[] = fit.centroids.map((c, id) => ({
    id,
    size: 0,
    centroid: Array.from(l2Normalize(c), (x) => Math.round(x * 1e6) / 1e6),
    favourites: [],
  }));
  for (const l of fit.labels) clusters[l]!.size++;
  // distinct (user, item) wishlists and clicks per cluster
  const seen = new Set<string>();
  const counts = clusters.map(() => new Map<string, { wishlists: number; clicks: number }>());
  for (const e of events) {
    if (e.kind !== 'wishlist' && e.kind !== 'click') continue;
    const c = clusterOf.get(e.user);
    const key = `${e.kind}\u0000${e.user}\u0000${e.itemId}`;
    if (c === undefined || seen.has(key)) continue;
    seen.add(key);
    const m = counts[c]!;
    const entry = m.get(e.itemId) ?? { wishlists: 0, clicks: 0 };
    if (e.kind === 'wishlist') entry.wishlists++;
    else entry.clicks++;
    m.set(e.itemId, entry);
  }
  clusters.forEach((cluster, i) => {
    cluster.favourites = [...counts[i]!]
      .map(([itemId, { wishlists, clicks }]) => ({
        itemId,
        wishlists,
        clicks,
        score: Math.round(((weights.wishlist * wishlists + weights.click * clicks) / cluster.size) * 1e4) / 1e4,
      }))
      .sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : 1))
      .slice(0, top);
  });
  return {
    format: CLUSTER_FILE_FORMAT,
    version: CLUSTER_FILE_VERSION,
    catalogId: options.catalogId ?? null,
    createdAt: (options.now ?? new Date()).toISOString(),
    dim: vectors[0]!.length,
    space: space.mean ? 'catalog-centred' : 'raw',
    k: choice.chosenK,
    selection: { ks, inertia, silhouette: sil, ...choice, rule: CHOOSE_K_RULE },
    clusters,
  };
}
