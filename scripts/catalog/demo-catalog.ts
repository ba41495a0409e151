/**
 * `npm start`'s demo catalog: the IKEA and H&M items of ../shared/datasets with prices and links to the app's demo
 * product page (scripts/lib/demo-catalog-inputs.ts) and IKEA's room scenes, indexed into .cache/demo-catalog/
 * (served at catalog/demo/). Does nothing when the catalog there was built from the same inputs with the current
 * models; otherwise (re-)indexes, reusing the embeddings of photos already indexed.
 *
 *   npx tsx scripts/catalog/demo-catalog.ts [--datasets ../shared/datasets] [--out .cache/demo-catalog]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_INPUTS_VERSION, writeDemoInputs } from '../lib/demo-catalog-inputs.ts';
import { readManifest } from '../lib/manifest-writer.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    datasets: { type: 'string', default: resolve(ROOT, '../shared/datasets') },
    out: { type: 'string', default: resolve(ROOT, '.cache/demo-catalog') },
  },
});
const datasets = resolve(values.datasets!);
const out = resolve(values.out!);
const stampFile = join(out, 'demo-inputs.json');
const wanted = { inputsVersion: DEMO_INPUTS_VERSION, ensembleId: readManifest().ensembleId };

const readJson = (file: string): unknown => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
};

if (JSON.stringify(readJson(stampFile)) === JSON.stringify(wanted) && existsSync(join(out, 'catalog.json'))) process.exit(0);

console.log(
  'Building the demo catalog from ../shared/datasets: once, and again only when the models change; 5,800 photos, a few minutes on 2 free cores the first time (the models run in a worker thread per core), progress below…',
);
const [ikea, hm] = writeDemoInputs(datasets, resolve(ROOT, '.cache/demo-inputs'));
execFileSync(
  'npx',
  [
    'tsx',
    'scripts/catalog/index-catalog.ts',
    ikea!,
    hm!,
    '--scenes',
    join(datasets, 'ikea/room_items.csv'),
    '--out',
    out,
    '--name',
    'Demo: IKEA furniture and H&M clothing',
    '--currency',
    'EUR',
  ],
  { stdio: 'inherit', cwd: ROOT },
);
writeFileSync(stampFile, `${JSON.stringify(wanted)}\n`);
