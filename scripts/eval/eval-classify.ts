/**
 * `npm run eval -- --root <dir> --labels <csv with path,category> [--split val] [--limit N]`
 * Classifies every listed image with the shipped ensemble as the app does (Node, wasm backend; the crop and mirror views included),
 * prints each member's and the ensemble's top-1/top-3 and a confusion matrix;
 * the last line is `top1=0.xxx top3=0.xxx`. Works on any folder and CSV.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCsv } from '../../src/shared/csv.ts';
import { decodeImage, loadNodeEmbedder } from '../lib/node-models.ts';

const { values } = parseArgs({
  options: { root: { type: 'string' }, labels: { type: 'string' }, split: { type: 'string' }, limit: { type: 'string' } },
});
if (!values.root || !values.labels) {
  console.error('usage: npm run eval -- --root <images dir> --labels <csv with path,category> [--split val] [--limit N]');
  process.exit(2);
}
const root = resolve(values.root);
let rows = parseCsv(readFileSync(values.labels, 'utf8'), values.labels).filter((r) => r.path && r.category);
if (values.split) rows = rows.filter((r) => r.split === values.split);
if (values.limit) rows = rows.slice(0, Number(values.limit));
if (rows.length === 0) {
  console.error(`${values.labels}: no rows with path and category${values.split ? ` in split ${values.split}` : ''}`);
  process.exit(2);
}

const embedder = await loadNodeEmbedder();
const labels = embedder.labels;
if (!labels.length) {
  console.error('The shipped models have no category heads: run `npm run train:heads` first.');
  process.exit(2);
}
const unknown = [...new Set(rows.map((r) => r.category!))].filter((c) => !labels.includes(c));
if (unknown.length) console.warn(`categories the models do not know (counted as misses): ${unknown.join(', ')}`);

type Tally = { top1: number; top3: number };
const memberIds = embedder.members.map((m) => m.entry.id);
const tallies = new Map<string, Tally>([...memberIds, 'ensemble'].map((id) => [id, { top1: 0, top3: 0 }]));
const confusion = new Map<string, Map<string, number>>();
let done = 0;
let failed = 0;
let cropViews = 0;
const started = performance.now();

function rank(p: Float32Array): string[] {
  return Array.from(p, (v, i) => [v, i] as const)
    .sort((a, b) => b[0] - a[0])
    .map(([, i]) => labels[i]!);
}

for (const row of rows) {
  const truth = row.category!;
  try {
    const image = await decodeImage(resolve(root, row.path!));
    const out = await embedder.run(image);
    image.dispose();
    if (out.cropView) cropViews++;
    const score = (id: string, probs: Float32Array) => {
      const ranked = rank(probs);
      const t = tallies.get(id)!;
      if (ranked[0] === truth) t.top1++;
      if (ranked.slice(0, 3).includes(truth)) t.top3++;
      return ranked[0]!;
    };
    for (const id of memberIds) score(id, out.memberProbabilities![id]!);
    const predicted = score('ensemble', out.probabilities!);
    const line = confusion.get(truth) ?? new Map<string, number>();
    line.set(predicted, (line.get(predicted) ?? 0) + 1);
    confusion.set(truth, line);
  } catch (error) {
    failed++;
    console.warn(`${row.path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (++done % 100 === 0) process.stderr.write(`  ${done}/${rows.length} (${(done / ((performance.now() - started) / 1000)).toFixed(1)} img/s)\n`);
}

const n = rows.length - failed;
console.log(`\n${n} images classified${failed ? `, ${failed} unreadable` : ''}`);
const view = embedder.manifest.cropView;
if (view)
  console.log(`crop view [${view.box.join(', ')}] averaged in for ${cropViews} of them (whole-photo vote mostly ${view.labels.length} of the categories)`);
if (embedder.manifest.mirrorView) console.log('mirror view: every view classified together with its mirror image');
console.log('');
console.log('model'.padEnd(12) + 'top-1'.padStart(8) + 'top-3'.padStart(8));
for (const [id, t] of tallies) console.log(id.padEnd(12) + (t.top1 / n).toFixed(3).padStart(8) + (t.top3 / n).toFixed(3).padStart(8));

const present = labels.filter((l) => confusion.has(l) || [...confusion.values()].some((m) => m.has(l)));
console.log('\nconfusion (rows: true category, columns: ensemble prediction)');
const w = Math.max(8, ...present.map((l) => l.length)) + 1;
console.log(''.padEnd(w) + present.map((l) => l.slice(0, 6).padStart(7)).join(''));
for (const truth of present) {
  const line = confusion.get(truth);
  if (!line) continue;
  console.log(truth.padEnd(w) + present.map((p) => String(line.get(p) ?? 0).padStart(7)).join(''));
}
const e = tallies.get('ensemble')!;
console.log(`top1=${(e.top1 / n).toFixed(3)} top3=${(e.top3 / n).toFixed(3)}`);
embedder.dispose();
