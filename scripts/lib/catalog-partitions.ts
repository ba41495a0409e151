/**
 * Cuts a catalog into partitions (format 2, docs/catalog-format.md "Partitions"):
 * items are grouped by category; a group larger than the partition size is split
 * by spherical k-means on its vectors. Deterministic: same items and vectors, same
 * partitions. Writing the files is catalog-files.ts's job.
 */
import type { CatalogItem } from '../../src/shared/catalog-format.ts';
import { assignNearest, trainCentroids } from './kmeans.ts';

/** Items per partition the indexer aims at (a category larger than this is split by k-means). */
export const DEFAULT_PARTITION_SIZE = 1000;
/** `partitioned: 'auto'` partitions a catalog of more than this many items. */
export const AUTO_PARTITION_ITEMS = 50_000;
/** The k-means seed: fixed, so two runs over the same items write the same catalog. */
export const PARTITION_SEED = 1;
/** Rows assigned to their nearest centroid between two progress reports. */
const ASSIGN_CHUNK = 20_000;
/** How an uncategorised group's partitions are named (their entries have no `category`). */
const UNCATEGORISED_LABEL = 'uncategorised';
/** Longest category text kept in a partition id (ids are labels; the category itself is in `category`). */
const MAX_LABEL_LENGTH = 80;

export interface PlannedPartition {
  id: string;
  category?: string;
  /** Indices into the item list, in input order. */
  indices: number[];
}

export interface PartitionPlanOptions {
  /** Items per partition aimed at (default DEFAULT_PARTITION_SIZE). */
  partitionSize?: number;
  seed?: number;
  /** Called before each group that k-means splits: `done` items of `total` already clustered. */
  onProgress?: (p: { done: number; total: number; group: string; clusters: number }) => void;
}

/** A label for partition ids: letters, digits and `._-` kept, anything else (a `/`, spaces, controls) becomes `_`. */
export function partitionLabel(category: string | undefined): string {
  if (category === undefined) return UNCATEGORISED_LABEL;
  const label = category
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._-]+/gu, '_')
    .slice(0, MAX_LABEL_LENGTH);
  return label.replace(/^_+$/, '') || '_';
}

/** Code-unit order (not locale order): the same on every machine. */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The partitions of `items` (vectors: one unit vector per item, same order): one group per category
 * (sorted by category name; items without a category last), a group of more than `partitionSize`
 * items split into ceil(n / partitionSize) k-means clusters (in centroid order, empty ones dropped).
 * Within a partition items keep their input order. Ids: `<label>/<nnn>`, unique.
 */
export function planPartitions(
  items: readonly CatalogItem[],
  vectors: readonly Float32Array[],
  dimension: number,
  options: PartitionPlanOptions = {},
): PlannedPartition[] {
  const size = options.partitionSize ?? DEFAULT_PARTITION_SIZE;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`the partition size must be a positive whole number, got ${size}`);
  const groups = new Map<string | undefined, number[]>();
  items.forEach((item, i) => {
    const key = item.category || undefined;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(i);
  });
  const keys = [...groups.keys()].sort((a, b) => (a === undefined ? 1 : b === undefined ? -1 : byCodeUnits(a, b)));
  const large = keys.reduce((n, k) => n + (groups.get(k)!.length > size ? groups.get(k)!.length : 0), 0);
  let clustered = 0;
  const labels = new Set<string>();
  const out: PlannedPartition[] = [];
  for (const key of keys) {
    const group = groups.get(key)!;
    // Two categories may sanitise to the same label: the later one gets a suffix.
    let label = partitionLabel(key);
    for (let n = 2; labels.has(label); n++) label = `${partitionLabel(key)}~${n}`;
    labels.add(label);
    let parts: number[][];
    if (group.length <= size) parts = [group];
    else {
      const k = Math.ceil(group.length / size);
      options.onProgress?.({ done: clustered, total: large, group: key ?? UNCATEGORISED_LABEL, clusters: k });
      const rows = new Float32Array(group.length * dimension);
      group.forEach((i, r) => rows.set(vectors[i]!, r * dimension));
      const centroids = trainCentroids(rows, group.length, dimension, k, { seed: options.seed ?? PARTITION_SEED });
      const kk = centroids.length / dimension;
      // Assigned in chunks, so a category of a million items moves the progress bar.
      const assignment = new Int32Array(group.length);
      for (let r = 0; r < group.length; r += ASSIGN_CHUNK) {
        const n = Math.min(ASSIGN_CHUNK, group.length - r);
        assignment.set(assignNearest(rows.subarray(r * dimension, (r + n) * dimension), n, dimension, centroids, kk), r);
        if (r + n < group.length) options.onProgress?.({ done: clustered + r + n, total: large, group: key ?? UNCATEGORISED_LABEL, clusters: k });
      }
      parts = Array.from({ length: kk }, () => []);
      group.forEach((i, r) => parts[assignment[r]!]!.push(i));
      parts = parts.filter((p) => p.length > 0);
      clustered += group.length;
    }
    parts.forEach((indices, c) => {
      const partition: PlannedPartition = { id: `${label}/${String(c).padStart(3, '0')}`, indices };
      if (key !== undefined) partition.category = key;
      out.push(partition);
    });
  }
  if (large > 0) options.onProgress?.({ done: clustered, total: large, group: '', clusters: 0 });
  return out;
}

/** The normalised mean of the given vectors (a zero vector when they cancel out). */
export function meanDirection(vectors: readonly Float32Array[], indices: readonly number[], dimension: number): Float32Array {
  const sum = new Float64Array(dimension);
  for (const i of indices) {
    const v = vectors[i]!;
    for (let j = 0; j < dimension; j++) sum[j]! += v[j]!;
  }
  let norm = 0;
  for (let j = 0; j < dimension; j++) norm += sum[j]! * sum[j]!;
  norm = Math.sqrt(norm);
  return Float32Array.from(sum, (x) => (norm > 0 ? x / norm : 0));
}
