/**
 * Search quality on real photos against an indexed catalog.
 *
 *   npx tsx scripts/eval/eval-search.ts --catalog <dir> --queries <csv> [--root <dir>] [--split val]
 *       → mean precision@10: a result counts when its category is the query photo's `category`
 *   npx tsx scripts/eval/eval-search.ts --catalog <dir> --pairs <room_items.csv> [--queries <csv>] [--root <dir>]
 *       → recall@10/@50/@100 over all (room, item_id) pairs
 *
 * Query image paths are relative to --root (default: the queries CSV's folder,
 * or the pairs CSV's). Options: --k (precision cut-off, default 10), --limit N
 * (first N queries), --qe n (average query expansion), --category-prior w
 * (the weight of the soft vote's category prior; default: the app's, 0 = cosine
 * only), --filter-category (category mode: search only the query's category; an
 * upper bound, not a product feature).
 * The last line printed is machine-readable.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { embeddingModelSha256 } from '../../src/shared/catalog-format.ts';
import { parseCsvTable } from '../../src/shared/csv.ts';
import { LookalikeError } from '../../src/shared/errors.ts';
import { SearchIndex } from '../../workers/search/search-index.ts';
import { readCatalogDir } from '../lib/catalog-files.ts';
import { decodeImage, fileReader, loadNodeEmbedder } from '../lib/node-models.ts';
import { ProgressBar } from '../lib/progress-bar.ts';
import { perObjectResults, precisionAtK, recallAtK, wholeImageResults, type ResultsForPhoto } from '../lib/search-eval.ts';
import { findModel } from '../../src/shared/manifest.ts';
import { DEFAULT_CATEGORY_PRIOR } from '../../workers/search/category-prior.ts';
import { Detector } from '../../workers/models/detector.ts';
import { GraphCache } from '../../workers/models/load-backbone.ts';

const USAGE =
  'usage: npx tsx scripts/eval/eval-search.ts --catalog <dir> (--queries <csv> [--split val] | --pairs <csv> [--queries <csv>]) [--root <dir>] [--k 10] [--limit N] [--qe n] [--category-prior w]';
const RECALL_KS = [10, 50, 100];

class UsageError extends LookalikeError {
  override name = 'UsageError';
}

function readTable(path: string) {
  return parseCsvTable(readFileSync(path, 'utf8'), path);
}

function column(table: { header: string[] }, names: string[], file: string): number {
  const k = names.map((n) => table.header.indexOf(n)).find((i) => i >= 0);
  if (k === undefined) throw new UsageError(`${file} has no ${names.map((n) => `"${n}"`).join(' or ')} column (columns: ${table.header.join(', ')})`);
  return k;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      catalog: { type: 'string' },
      queries: { type: 'string' },
      root: { type: 'string' },
      pairs: { type: 'string' },
      split: { type: 'string' },
      k: { type: 'string', default: '10' },
      limit: { type: 'string' },
      qe: { type: 'string' },
      'category-prior': { type: 'string' },
      'filter-category': { type: 'boolean', default: false },
      'whole-image': { type: 'boolean', default: false },
    },
  });
  if (!values.catalog || (!values.queries && !values.pairs)) throw new UsageError(USAGE);
  const k = Number(values.k);
  const limit = values.limit ? Number(values.limit) : Infinity;
  const qe = values.qe ? Number(values.qe) : 0;
  const priorWeight = values['category-prior'] !== undefined ? Number(values['category-prior']) : DEFAULT_CATEGORY_PRIOR;
  if (!(priorWeight >= 0)) throw new UsageError(`--category-prior must be a number ≥ 0, got "${values['category-prior']}"`);

  const embedder = await loadNodeEmbedder();
  const app = {
    ensembleId: embedder.manifest.ensembleId,
    dimension: embedder.dimension,
    modelSha256: embeddingModelSha256(
      embedder.manifest,
      embedder.members.map((m) => m.entry.id),
    ),
  };
  const catalog = await readCatalogDir(values.catalog, app);
  const index = new SearchIndex(catalog);
  const categoryOf = new Map(catalog.items.map((i) => [i.id, i.category]));
  process.stderr.write(
    `catalog "${catalog.meta.name}": ${catalog.items.length} items, ${catalog.meta.dimension}-d, ${index.path} path; models ${app.ensembleId}${qe ? `; query expansion n=${qe}` : ''}; category prior ${priorWeight}\n`,
  );
  const bar = new ProgressBar();
  const started = performance.now();

  const run = async (paths: string[], resultsFor: (path: string) => ResultsForPhoto) => {
    const out = new Map<string, string[]>();
    const failed: string[] = [];
    for (const [n, path] of paths.entries()) {
      let image: Awaited<ReturnType<typeof decodeImage>> | undefined;
      try {
        image = await decodeImage(path);
        out.set(path, await resultsFor(path)(image));
      } catch (error) {
        failed.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        image?.dispose();
      }
      const seconds = (performance.now() - started) / 1000;
      bar.update({ label: 'queries', done: n + 1, total: paths.length, rate: (n + 1) / seconds, etaSeconds: ((paths.length - n - 1) * seconds) / (n + 1) });
    }
    bar.done();
    for (const f of failed) process.stderr.write(`skipped ${f}\n`);
    return out;
  };
  const expansion = { priorWeight, ...(qe > 0 ? { expansion: { n: qe } } : {}) };

  if (values.pairs) {
    const pairsTable = readTable(values.pairs);
    const roomCol = column(pairsTable, ['room', 'path'], values.pairs);
    const itemCol = column(pairsTable, ['item_id', 'id'], values.pairs);
    const root = values.root ?? dirname(resolve(values.queries ?? values.pairs));
    const abs = (p: string) => (isAbsolute(p) ? p : resolve(root, p));
    let rooms = [...new Set(pairsTable.rows.map((r) => r[roomCol]!))];
    if (values.queries) {
      const q = readTable(values.queries);
      const pc = column(q, ['path', 'room'], values.queries);
      const wanted = new Set(q.rows.map((r) => r[pc]!));
      rooms = rooms.filter((r) => wanted.has(r));
    }
    rooms = rooms.slice(0, limit);
    const kept = new Set(rooms);
    const pairs = pairsTable.rows.filter((r) => kept.has(r[roomCol]!)).map((r) => ({ photo: abs(r[roomCol]!), itemId: r[itemCol]! }));
    const missing = pairs.filter((p) => !categoryOf.has(p.itemId)).length;
    const kMax = Math.max(...RECALL_KS);
    // Rooms are searched as the app does: per detected object, lists interleaved (--whole-image: one query per photo).
    const detector = values['whole-image'] ? undefined : await Detector.load(findModel(embedder.manifest, 'detector'), fileReader(), new GraphCache());
    const resultsFor = detector ? perObjectResults(embedder, detector, index, kMax, expansion) : wholeImageResults(embedder, index, kMax, expansion);
    process.stderr.write(detector ? 'rooms: searched per detected object (lists interleaved by rank)\n' : 'rooms: whole image\n');
    const results = await run(rooms.map(abs), () => resultsFor);
    const recalls = RECALL_KS.map((kk) => recallAtK(pairs, results, kk));
    process.stderr.write(
      `${results.size} photos, ${pairs.length} (photo, item) pairs${missing ? `, ${missing} of whose items are not in the catalog (counted as misses)` : ''}\n`,
    );
    process.stderr.write(`${RECALL_KS.map((kk, i) => `recall@${kk} ${recalls[i]!.toFixed(4)}`).join('  ')}\n`);
    process.stdout.write(`${RECALL_KS.map((kk, i) => `recall@${kk}=${recalls[i]!.toFixed(2)}`).join(' ')}\n`);
    return;
  }

  const file = values.queries!;
  const table = readTable(file);
  const pathCol = column(table, ['path'], file);
  const catCol = column(table, ['category'], file);
  const splitCol = table.header.indexOf('split');
  if (values.split && splitCol < 0) throw new UsageError(`${file} has no "split" column, so --split cannot be used`);
  const root = values.root ?? dirname(resolve(file));
  const rows = table.rows.filter((r) => !values.split || r[splitCol] === values.split).slice(0, limit);
  const categoryOfPath = new Map(rows.map((r) => [resolve(root, r[pathCol]!), r[catCol]!]));
  const results = await run([...categoryOfPath.keys()], (path) =>
    wholeImageResults(embedder, index, k, values['filter-category'] ? { ...expansion, filter: { categories: [categoryOfPath.get(path)!] } } : expansion),
  );
  const perCategory = new Map<string, number[]>();
  for (const [path, ids] of results) {
    const category = categoryOfPath.get(path)!;
    const p = precisionAtK(
      ids.map((id) => categoryOf.get(id)),
      category,
      k,
    );
    perCategory.set(category, [...(perCategory.get(category) ?? []), p]);
  }
  const all = [...perCategory.values()].flat();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  for (const [category, ps] of [...perCategory].sort())
    process.stderr.write(`  ${category.padEnd(12)} ${ps.length.toString().padStart(4)} queries  precision@${k} ${mean(ps).toFixed(3)}\n`);
  process.stderr.write(`${all.length} queries${values.split ? ` (split ${values.split})` : ''}: precision@${k} ${mean(all).toFixed(4)}\n`);
  process.stdout.write(`precision@${k}=${mean(all).toFixed(2)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof UsageError ? '' : 'error: '}${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
