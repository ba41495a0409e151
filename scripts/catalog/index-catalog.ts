/**
 * Indexes product photos into a catalog folder the app can load.
 *
 *   npx tsx scripts/catalog/index-catalog.ts <images-dir | items.csv>... --out <dir>
 *       [--name <name>] [--thumb-size 256] [--scenes <room_items.csv>] [--scene-size 1024]
 *       [--complements <complements.json>] [--currency EUR] [--workers N]
 *       [--partition-size N | --partitioned] [--slice i/n]
 *
 * CSV: a `path` column (absolute, or relative to the CSV's folder) and optional
 * `id` (or `item_id`), `title` (or `name`), `category`, `price`, `url`; other
 * columns are kept as attributes. A folder: every image in it, recursively.
 * Re-running continues where a killed run stopped (.index-state.ndjson in --out).
 * The models run in --workers worker threads (default: one per core; 0: in the main thread).
 * A catalog of more than 50,000 items is written partitioned (format 2: by category, a large
 * category split by k-means into partitions of about --partition-size items, default 1,000);
 * --partitioned partitions a smaller one too, --partition-size 0 never.
 * --slice i/n indexes slice i (from 0) of n of the items into --out; merge the n folders with
 * scripts/catalog/merge-catalogs.ts (npm run index:merge). See docs/catalog-format.md.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CATALOG_WRITE_OPTIONS, readCommandLine } from '../lib/command-line.ts';
import type { WriteOptions } from '../lib/catalog-files.ts';
import { IndexError, indexCatalog, type IndexProgress, type IndexReport, parseSlice, type Problem, type SliceSpec } from '../lib/catalog-indexer.ts';
import { AUTO_PARTITION_ITEMS, DEFAULT_PARTITION_SIZE } from '../lib/catalog-partitions.ts';
import { formatDuration, ProgressBar } from '../lib/progress-bar.ts';

const USAGE = `usage: npx tsx scripts/catalog/index-catalog.ts <images-dir | items.csv>... --out <dir> [--name <name>] [--thumb-size 256]
       [--scenes <csv with room,item_id>] [--scene-size 1024] [--complements <json>] [--currency <code>]
       [--workers N]   threads running the models (default ${availableParallelism()}, one per core; 0: the main thread)
       [--partition-size N]  items per partition (default ${DEFAULT_PARTITION_SIZE.toLocaleString('en')}); a catalog of more than
                       ${AUTO_PARTITION_ITEMS.toLocaleString('en')} items is partitioned; 0: never partition
       [--partitioned] partition whatever the catalog's size
       [--slice i/n]   index only slice i (0 to n-1) of the items; merge the slices with npm run index:merge`;

const PHASES: Record<IndexProgress['phase'], string> = {
  scan: 'reading ',
  embed: 'indexing',
  scenes: 'scenes  ',
  partition: 'k-means ',
  write: 'writing ',
};

function printProblems(title: string, problems: Problem[], limit = 30): void {
  if (problems.length === 0) return;
  process.stderr.write(`${title} (${problems.length}):\n`);
  for (const p of problems.slice(0, limit)) process.stderr.write(`  ${p.name}: ${p.reason}\n`);
  if (problems.length > limit) process.stderr.write(`  … and ${problems.length - limit} more\n`);
}

function summary(report: IndexReport): string {
  const c = report.catalog;
  const shardBytes = c.shards.reduce((n, s) => n + s.bytes, 0);
  return [
    report.slice
      ? `slice ${report.slice.index}/${report.slice.count}: items ${report.slice.start}–${report.slice.end - 1} of ${report.slice.inputItems} (merge the slices with npm run index:merge)`
      : '',
    `catalog "${c.name}": ${report.indexed} items (${report.embedded} embedded now, ${report.reused} reused), dimension ${c.dimension}, ` +
      `${c.shards.length} shard(s) ${(shardBytes / 1e6).toFixed(2)} MB${c.partitions ? ` in ${c.partitions.list.length} partitions` : ''}, models ${c.ensembleId}`,
    report.scenes ? `${report.scenes} scenes${report.droppedSceneItems ? ` (${report.droppedSceneItems} links to items not in the catalog dropped)` : ''}` : '',
    report.embedded && report.embedSeconds > 0
      ? `embedded at ${(report.embedded / report.embedSeconds).toFixed(1)} images/s (${report.timings?.workers ? `${report.timings.workers} worker threads` : 'main thread'})`
      : '',
    `written to ${report.outDir} in ${formatDuration(report.seconds)}`,
  ]
    .filter(Boolean)
    .join('\n');
}

/** --partition-size / --partitioned as write options (shared with merge-catalogs.ts). */
export function partitionOptions(size: string | undefined, force: boolean | undefined): WriteOptions | undefined {
  const n = size === undefined ? undefined : Number(size);
  if (n !== undefined && (!Number.isInteger(n) || n < 0))
    throw new IndexError(`--partition-size must be a whole number of items (0: never partition), got "${size}"`);
  if (n === 0 && force) throw new IndexError('--partitioned and --partition-size 0 contradict each other');
  if (n === 0) return { partitioned: false };
  const out: WriteOptions = {};
  if (n !== undefined) out.partitionSize = n;
  if (force) out.partitioned = true;
  return Object.keys(out).length ? out : undefined;
}

const parseCommandLine = (argv: string[]) =>
  parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...CATALOG_WRITE_OPTIONS,
      'thumb-size': { type: 'string' },
      scenes: { type: 'string' },
      'scene-size': { type: 'string' },
      complements: { type: 'string' },
      currency: { type: 'string' },
      workers: { type: 'string' },
      slice: { type: 'string' },
    },
  });

async function main(argv: string[]): Promise<number> {
  const parsed = readCommandLine(argv, parseCommandLine, USAGE, 'no input given');
  if (typeof parsed === 'number') return parsed;
  const { values, positionals, out } = parsed;
  const int = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new IndexError(`--${name} must be a positive whole number, got "${v}"`);
    return n;
  };
  let complements: Record<string, string[]> | undefined;
  if (values.complements) {
    try {
      complements = JSON.parse(readFileSync(values.complements, 'utf8')) as Record<string, string[]>;
    } catch (error) {
      throw new IndexError(`${values.complements}: not a readable JSON file (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  const bar = new ProgressBar();
  const controller = new AbortController();
  process.once('SIGINT', () => {
    bar.done();
    process.stderr.write('interrupted: what was embedded so far is kept in .index-state.ndjson; run the same command again to continue\n');
    controller.abort();
    process.exit(130);
  });
  const thumbSize = int(values['thumb-size'], 'thumb-size');
  const sceneSize = int(values['scene-size'], 'scene-size');
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 0))
    throw new IndexError(`--workers must be a whole number, 0 (the main thread) or more, got "${values.workers}"`);
  const write = partitionOptions(values['partition-size'], values.partitioned);
  let slice: SliceSpec | undefined;
  if (values.slice !== undefined) {
    try {
      slice = parseSlice(values.slice);
    } catch (error) {
      throw new IndexError(`--slice: ${(error as Error).message}`);
    }
  }
  const report = await indexCatalog(
    {
      inputs: positionals,
      out,
      ...(values.name ? { name: values.name } : {}),
      ...(thumbSize ? { thumbSize } : {}),
      ...(values.scenes ? { scenes: values.scenes } : {}),
      ...(sceneSize ? { sceneSize } : {}),
      ...(complements ? { complements } : {}),
      ...(values.currency ? { currency: values.currency } : {}),
      ...(workers !== undefined ? { workers } : {}),
      ...(write ? { write } : {}),
      ...(slice ? { slice } : {}),
      signal: controller.signal,
    },
    (p) => {
      const note = p.phase === 'embed' ? `reused ${p.reused}, bad ${p.failed}` : p.phase === 'partition' ? p.current : undefined;
      bar.update({
        label: PHASES[p.phase],
        done: p.done,
        total: p.total,
        ...(p.rate !== undefined ? { rate: p.rate } : {}),
        ...(p.etaSeconds !== undefined ? { etaSeconds: p.etaSeconds } : {}),
        ...(note ? { note } : {}),
      });
      if (p.done === p.total) bar.done();
    },
  );
  bar.done();
  if (report.state.discarded) process.stderr.write(`note: ${report.state.discarded}; it was set aside and everything re-embedded\n`);
  printProblems('rows skipped', report.skipped);
  printProblems('images that could not be indexed', report.failed);
  process.stdout.write(`${summary(report)}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof IndexError) {
        printProblems('rows skipped', error.skipped);
        printProblems('images that could not be indexed', error.failed);
        process.stderr.write(`error: ${error.message}\n`);
      } else if (error instanceof Error && ['CatalogError', 'CsvError'].includes(error.name)) process.stderr.write(`error: ${error.message}\n`);
      else process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
