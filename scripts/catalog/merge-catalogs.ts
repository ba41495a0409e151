/**
 * Merges indexer output folders into one catalog: the slices of one job
 * (`index-catalog.ts --slice i/n`, merged in slice order whatever the order
 * named), or whole catalogs built with the same models (merged in the order named).
 *
 *   npx tsx scripts/catalog/merge-catalogs.ts <dir>... --out <dir> [--name <name>]
 *       [--partition-size N | --partitioned]
 *
 * Each folder needs its catalog.json, .index-state.ndjson (the float32 embeddings)
 * and .index-run.json. Refuses folders built with other models, an incomplete set
 * of slices, or an item id in two folders. See docs/catalog-format.md.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CATALOG_WRITE_OPTIONS, readCommandLine } from '../lib/command-line.ts';
import { mergeCatalogs, type MergeProgress } from '../lib/catalog-merge.ts';
import { AUTO_PARTITION_ITEMS, DEFAULT_PARTITION_SIZE } from '../lib/catalog-partitions.ts';
import { formatDuration, ProgressBar } from '../lib/progress-bar.ts';
import { partitionOptions } from './index-catalog.ts';

const USAGE = `usage: npx tsx scripts/catalog/merge-catalogs.ts <dir>... --out <dir> [--name <name>]
       [--partition-size N]  items per partition (default ${DEFAULT_PARTITION_SIZE.toLocaleString('en')}); a catalog of more than
                       ${AUTO_PARTITION_ITEMS.toLocaleString('en')} items is partitioned; 0: never partition
       [--partitioned] partition whatever the catalog's size`;

const PHASES: Record<MergeProgress['phase'], string> = { read: 'reading ', files: 'merging ', partition: 'k-means ', write: 'writing ' };

const parseCommandLine = (argv: string[]) =>
  parseArgs({
    args: argv,
    allowPositionals: true,
    options: CATALOG_WRITE_OPTIONS,
  });

async function main(argv: string[]): Promise<number> {
  const parsed = readCommandLine(argv, parseCommandLine, USAGE, 'no folders to merge');
  if (typeof parsed === 'number') return parsed;
  const { values, positionals, out } = parsed;
  const write = partitionOptions(values['partition-size'], values.partitioned);
  const bar = new ProgressBar();
  const report = await mergeCatalogs({ dirs: positionals, out, ...(values.name ? { name: values.name } : {}), ...(write ? { write } : {}) }, (p) => {
    bar.update({ label: PHASES[p.phase], done: p.done, total: p.total, ...(p.current ? { note: p.current } : {}) });
    if (p.done === p.total) bar.done();
  });
  bar.done();
  const c = report.catalog;
  process.stdout.write(
    `catalog "${c.name}": ${report.items} items from ${positionals.length} folders` +
      `${c.partitions ? ` in ${c.partitions.list.length} partitions` : ''}, ${c.shards.length} shard(s), ${report.files} thumbnail/scene files brought over\n` +
      `written to ${report.outDir} in ${formatDuration(report.seconds)}\n`,
  );
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof Error && ['MergeError', 'IndexError', 'CatalogError'].includes(error.name)) process.stderr.write(`error: ${error.message}\n`);
      else process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
