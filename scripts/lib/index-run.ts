/**
 * `.index-run.json`, written by the indexer next to catalog.json: which items it
 * indexed, in input order, each with its image's content sha256 (the key of its
 * float32 embedding in `.index-state.ndjson`), and the slice, when it indexed one.
 * A partitioned catalog's own order is by partition, so this is what a merge
 * (catalog-merge.ts) reads to put slices back together in input order.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RUN_FILE = '.index-run.json';

/** Slice `index` (0-based) of `count`. */
export interface SliceSpec {
  index: number;
  count: number;
}

export interface IndexRun {
  kind: 'lookalike-index-run';
  version: 1;
  slice?: SliceSpec;
  /** Items in all the inputs after de-duplication (before slicing; failed images included). */
  inputItems: number;
  /** sha256 of those items' ids (one per line): slices of one job have the same. */
  inputDigest?: string;
  /** [item id, image content sha256] of every item in the catalog, in input order. */
  items: [string, string][];
}

/** Most slices a job may be cut into. */
export const MAX_SLICES = 100_000;

/** Reads `i/n` (e.g. `0/8`); throws a RangeError saying what is wrong. */
export function parseSlice(text: string): SliceSpec {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new RangeError(`a slice is written i/n (slice i of n, counted from 0), e.g. 0/8; got "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SLICES) throw new RangeError(`slice ${text}: the number of slices must be 1 to ${MAX_SLICES}`);
  if (index >= count) throw new RangeError(`slice ${text}: slices are counted from 0, so the last of ${count} is ${count - 1}/${count}`);
  return { index, count };
}

/** The items [start, end) of `total` that slice `index` of `count` takes: near-equal contiguous ranges covering all. */
export function sliceRange({ index, count }: SliceSpec, total: number): { start: number; end: number } {
  return { start: Math.floor((index * total) / count), end: Math.floor(((index + 1) * total) / count) };
}

export function writeRunFile(dir: string, run: Omit<IndexRun, 'kind' | 'version'>): void {
  const tmp = join(dir, `${RUN_FILE}.tmp`);
  const body: IndexRun = { kind: 'lookalike-index-run', version: 1, ...run };
  writeFileSync(tmp, `${JSON.stringify(body)}\n`);
  renameSync(tmp, join(dir, RUN_FILE));
}

/** The run file in `dir`; throws an Error saying what is wrong (missing, damaged). */
export function readRunFile(dir: string): IndexRun {
  const file = join(dir, RUN_FILE);
  if (!existsSync(file))
    throw new Error(`${file} is missing: ${dir} was not built by this indexer version (run the same index command there again: every embedding is reused)`);
  let run: Partial<IndexRun>;
  try {
    run = JSON.parse(readFileSync(file, 'utf8')) as Partial<IndexRun>;
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const okSlice =
    run.slice === undefined ||
    (Number.isInteger(run.slice?.index) && Number.isInteger(run.slice?.count) && run.slice.index >= 0 && run.slice.index < run.slice.count);
  if (
    run.kind !== 'lookalike-index-run' ||
    run.version !== 1 ||
    !okSlice ||
    !Number.isInteger(run.inputItems) ||
    (run.inputDigest !== undefined && typeof run.inputDigest !== 'string') ||
    !Array.isArray(run.items) ||
    !run.items.every((x) => Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && typeof x[1] === 'string')
  )
    throw new Error(`${file} is not an index run file (or is damaged): run the same index command there again`);
  return run as IndexRun;
}
