#!/usr/bin/env node
// `npm start`: builds the production app and the embeddable widget, builds the demo catalog once (when
// ../shared/datasets is there, and again only when the models or its inputs change), and
// serves everything on localhost, printing the URL.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const datasets = resolve(root, '../shared/datasets');
const demo = resolve(root, '.cache/demo-catalog');

execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit', cwd: root });
// The widget and its example shop page (dist/widget/, dist/examples/), after the app (which empties dist/).
execFileSync('npx', ['vite', 'build', '-c', 'vite.widget.config.ts', '--logLevel', 'warn'], { stdio: 'inherit', cwd: root });

if (existsSync(resolve(datasets, 'ikea/products.csv')) && existsSync(resolve(datasets, 'hm-catalog/items.csv'))) {
  // Indexes only when the models or the demo's inputs changed (scripts/catalog/demo-catalog.ts).
  execFileSync('npx', ['tsx', 'scripts/catalog/demo-catalog.ts', '--datasets', datasets, '--out', demo], { stdio: 'inherit', cwd: root });
} else {
  console.log('No ../shared/datasets here: the app opens on its "add a catalog" screen.');
}

const port = process.env.PORT || '4173';
// --strictPort: the addresses printed below are the ones served (a busy port is an error that says so).
const server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', port, '--strictPort'], { stdio: ['inherit', 'pipe', 'inherit'], cwd: root });
let announced = false;
server.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const local = !announced && /Local:\s+(http:\/\/\S+?)\/?(\s|$)/.exec(stripVTControlCharacters(chunk.toString()));
  if (local) {
    announced = true;
    console.log(`\n  Lookalike:  ${local[1]}/\n  The widget on an example shop page:  ${local[1]}/examples/host-page/\n`);
  }
});
server.on('exit', (code) => process.exit(code ?? 0));
