#!/usr/bin/env node
// `npm start`: builds the production app and the embeddable widget, builds the demo catalog once (when
// ../shared/datasets is there, and again only when the models change), and
// serves everything on localhost, printing the URL.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const datasets = resolve(root, '../shared/datasets');
const demo = resolve(root, '.cache/demo-catalog');

const readJson = (file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
};

execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit', cwd: root });
// The widget and its example shop page (dist/widget/, dist/examples/), after the app (which empties dist/).
execFileSync('npx', ['vite', 'build', '-c', 'vite.widget.config.ts', '--logLevel', 'warn'], { stdio: 'inherit', cwd: root });

if (existsSync(resolve(datasets, 'ikea/products.csv')) && existsSync(resolve(datasets, 'hm-catalog/items.csv'))) {
  const ensembleId = readJson(resolve(root, 'model-artifacts/shipped/manifest.json'))?.ensembleId;
  if (readJson(resolve(demo, 'catalog.json'))?.ensembleId !== ensembleId) {
    console.log('Building the demo catalog from ../shared/datasets: once, and again only when the models change; about 15 minutes on 2 cores, progress below…');
    execFileSync(
      'npx',
      ['tsx', 'scripts/catalog/index-catalog.ts', resolve(datasets, 'ikea/products.csv'), resolve(datasets, 'hm-catalog/items.csv'), '--scenes', resolve(datasets, 'ikea/room_items.csv'), '--out', demo, '--name', 'Demo: IKEA furniture and H&M clothing'],
      { stdio: 'inherit', cwd: root },
    );
  }
} else {
  console.log('No ../shared/datasets here: the app opens on its "add a catalog" screen.');
}

const port = process.env.PORT || '4173';
// --strictPort: the addresses printed below are the ones served (a busy port is an error that says so).
const server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', port, '--strictPort'], { stdio: ['inherit', 'pipe', 'inherit'], cwd: root });
let announced = false;
server.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const local = !announced && /Local:\s+(http:\/\/\S+?)\/?(\s|$)/.exec(chunk.toString().replace(/\x1b\[[0-9;]*m/g, ''));
  if (local) {
    announced = true;
    console.log(`\n  Lookalike:  ${local[1]}/\n  The widget on an example shop page:  ${local[1]}/examples/host-page/\n`);
  }
});
server.on('exit', (code) => process.exit(code ?? 0));
