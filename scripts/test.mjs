#!/usr/bin/env node
// `npm test`: typechecks every realm and lints (Biome), then makes sure Debian's Chromium is there (installing it with apt-get when
// this machine allows), unpacks Debian darknet's photos for the EfficientNet-Lite tests when it can, builds the production app, the embeddable widget and the test build (the app with its
// fault-injection and benchmark hooks, in dist-test/), then runs every Vitest project (unit tests, and browser
// tests against the built app in real Chromium; build-output.test.ts checks the hooks are in the test build only).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (isRoot && hasApt) {
    console.log("Chromium is missing: installing Debian's chromium with apt-get…");
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // Waits for another apt-get (an unattended upgrade, a parallel install) to let go of the lock.
    const waitForLock = ['-o', 'DPkg::Lock::Timeout=600'];
    const install = () => spawnSync('apt-get', [...waitForLock, 'install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
    let r = install();
    if (r.status !== 0) {
      spawnSync('apt-get', [...waitForLock, 'update'], { stdio: 'inherit', env });
      r = install();
    }
    if (r.status === 0 && existsSync(CHROMIUM)) return;
  }
  console.error(`Browser tests need Chromium at ${CHROMIUM}: run "sudo apt-get install -y chromium" (or set CHROMIUM_PATH) and try again.`);
  process.exit(1);
}

/**
 * The EfficientNet-Lite tests check ImageNet labels on the photos Debian's darknet package ships. Installing it
 * would pull in OpenCV, so the package is downloaded and unpacked into .cache/darknet instead (as any user, no
 * root needed); where that fails, those tests skip and say why.
 */
function ensureDarknetPhotos() {
  const installed = '/usr/share/darknet/data/dog.jpg';
  const dir = new URL('../.cache/darknet/', import.meta.url).pathname;
  if (existsSync(installed) || existsSync(`${dir}usr/share/darknet/data/dog.jpg`)) return;
  if (spawnSync('sh', ['-c', 'command -v apt-get && command -v dpkg-deb'], { stdio: 'ignore' }).status !== 0) return;
  console.log("Debian darknet's photos are missing: unpacking the darknet package into .cache/darknet…");
  mkdirSync(dir, { recursive: true });
  const download = spawnSync('apt-get', ['download', 'darknet'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
  if (download.status !== 0 || !deb) return console.log('Could not download darknet with apt-get: the EfficientNet-Lite photo tests will skip.');
  spawnSync('dpkg-deb', ['-x', deb, '.'], { cwd: dir, stdio: 'inherit' });
}

if (!existsSync(new URL('../node_modules/.bin/vitest', import.meta.url))) {
  console.error('The dependencies are not installed: run "npm install" first (README, Quick start).');
  process.exit(1);
}
/** Runs a check before the tests; a failure ends `npm test` with the check's own output and a line saying which. */
function check(what, command, args) {
  const r = spawnSync(command, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`npm test stopped: ${what} failed (fix it, or see the command above).`);
    process.exit(r.status ?? 1);
  }
}
check('the typecheck (npm run typecheck)', 'npx', ['tsc', '-b', 'tsconfig.json']);
check('the linter and formatter (npm run lint; npm run format fixes formatting)', 'npx', ['biome', 'ci', '.']);
ensureChromium();
ensureDarknetPhotos();
execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
// After the app: it empties dist/, the widget goes to dist/widget/ (docs/embedding.md).
execFileSync('npx', ['vite', 'build', '-c', 'vite.widget.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
// `npm run build:test`: the tests that cause faults through window.lookalike.debug serve this one (tests/browser/harness.ts).
execFileSync('npx', ['vite', 'build', '--mode', 'test', '--outDir', 'dist-test', '--logLevel', 'warn'], { stdio: 'inherit' });
const vitest = spawnSync('npx', ['vitest', 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
// Vitest lists skipped files without their titles, so say here why the dataset tests were skipped.
if (!existsSync(new URL('../../shared/datasets/clothing-photos/labels.csv', import.meta.url))) {
  console.log('Skipped: the tests that need ../shared/datasets (the shared photo datasets) beside the repository; put it there to run them.');
}
process.exit(vitest.status ?? 1);
