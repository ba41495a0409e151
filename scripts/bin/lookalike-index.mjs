#!/usr/bin/env node
// `lookalike-index <images-dir | items.csv>... --out <dir>`: the catalog indexer as a command.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const tsx = resolve(root, 'node_modules/.bin/tsx');
const r = spawnSync(tsx, [resolve(root, 'scripts/catalog/index-catalog.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
