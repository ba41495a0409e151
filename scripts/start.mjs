#!/usr/bin/env node
// `npm start`: builds the production app, builds the demo catalog once (when
// ../shared/datasets is there), and serves everything on localhost.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit', cwd: root });
if (existsSync(resolve(root, 'scripts/build-demo-catalog.ts'))) {
  execFileSync('npx', ['tsx', 'scripts/build-demo-catalog.ts'], { stdio: 'inherit', cwd: root });
}
const port = process.env.PORT || '4173';
const server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', port], { stdio: 'inherit', cwd: root });
server.on('exit', (code) => process.exit(code ?? 0));
