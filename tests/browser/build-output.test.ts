/**
 * What the builds ship: they copy model-artifacts/shipped/ whole, so the app (dist/models/) and the widget
 * (dist/widget/models/) must hold exactly the files the manifest names, and the manifest — nothing else that
 * lands in that folder, and none of the model card, the measurements and the eval CLI's held-out list
 * (model-artifacts/reports/) or the training outputs (model-artifacts/training/), which nobody's browser should download.
 * Of the code: the test and benchmark hooks are in the test build (dist-test/) only, never in the app or the widget.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesUnder } from '../../scripts/lib/files-under.ts';
import { allFiles, parseManifest } from '../../src/shared/manifest.ts';
import { ROOT, TEST_BUILD_DIR } from './harness.ts';

const manifest = parseManifest(JSON.parse(readFileSync(resolve(ROOT, 'model-artifacts/shipped/manifest.json'), 'utf8')));
const expected = ['manifest.json', ...allFiles(manifest).map((f) => f.path)].sort();

describe('the builds ship only the model files the app loads', () => {
  for (const dir of ['dist/models', 'dist/widget/models']) {
    it(dir, () => {
      const built = resolve(ROOT, dir);
      expect(existsSync(built), `${dir} is missing: run \`npm test\` (it builds the app and the widget first)`).toBe(true);
      expect(
        filesUnder(built)
          .map((f) => relative(built, f).replaceAll('\\', '/'))
          .sort(),
      ).toEqual(expected);
    });
  }
});

/** Modules built into test builds only (`vite build --mode test`), each with a string that survives minification. */
const TEST_ONLY_MODULES = [
  { module: 'workers/fault-injection.ts', marker: 'simulated crash while handling a request' },
  { module: 'workers/bench-api.ts', marker: 'lookalikeBench' },
  { module: 'workers/bench-member.ts', marker: 'benchMemberOpen first' },
  { module: 'workers/bench-variants.ts', marker: 'relu-for-hardswish' },
  { module: 'src/shared/fill-storage.ts', marker: 'simulated full disk' },
];

/** The built code and text files under `dir` (scripts, source maps, pages), not the model weights. */
function builtText(dir: string): { file: string; text: string }[] {
  const built = resolve(ROOT, dir);
  return filesUnder(built)
    .filter((f) => /\.(js|mjs|map|html|css|webmanifest)$/.test(f) && !/(^|\/)models\//.test(relative(built, f).replaceAll('\\', '/')))
    .map((f) => ({ file: relative(ROOT, f), text: readFileSync(f, 'utf8') }));
}

describe('the test and benchmark hooks are in the test build only', () => {
  for (const { module, marker } of TEST_ONLY_MODULES) {
    it(`${module} (marker "${marker}")`, () => {
      expect(readFileSync(resolve(ROOT, module), 'utf8'), `${module} no longer holds its marker: update TEST_ONLY_MODULES`).toContain(marker);
      for (const dir of [TEST_BUILD_DIR, 'dist', 'dist/widget']) {
        expect(existsSync(resolve(ROOT, dir)), `${dir} is missing: run \`npm test\` (it builds the app, the widget and the test build first)`).toBe(true);
      }
      // The test build has it (so the marker is one the bundler keeps)…
      expect(
        builtText(TEST_BUILD_DIR).some((f) => f.text.includes(marker)),
        `${TEST_BUILD_DIR}/ lacks "${marker}"`,
      ).toBe(true);
      // …and no shipped bundle does: the app's page, worker and service worker, the widget and its worker (dist/widget/).
      const shipped = builtText('dist')
        .filter((f) => f.text.includes(marker))
        .map((f) => f.file);
      expect(shipped).toEqual([]);
    });
  }
});

describe("onnxruntime-web (the peer benchmark's engine, a devDependency) is in no build", () => {
  it('no bundle, test build included, holds it: the benchmark serves it from node_modules itself', () => {
    const withOrt = [TEST_BUILD_DIR, 'dist']
      .flatMap((dir) => builtText(dir))
      .filter((f) => /onnxruntime|ort-wasm-simd/i.test(f.text))
      .map((f) => f.file);
    expect(withOrt).toEqual([]);
  });
});

describe("docs/embedding.md states the widget's sizes as the build measures them", () => {
  const docs = readFileSync(resolve(ROOT, 'docs/embedding.md'), 'utf8');
  const stated = (row: string, unit: 'kB' | 'MB') => {
    const line = docs.split('\n').find((l) => l.startsWith(`| \`${row}\``));
    const value = line && new RegExp(`\\((\\d+(?:\\.\\d+)?) ${unit}`).exec(line)?.[1];
    if (!value) throw new Error(`docs/embedding.md has no "(<n> ${unit}" in its ${row} row`);
    return Number(value) * (unit === 'kB' ? 1e3 : 1e6);
  };
  const within10 = (doc: number, built: number, what: string) =>
    expect(Math.abs(doc - built) / built, `${what}: docs say ${doc} bytes, the build has ${built}; update docs/embedding.md`).toBeLessThan(0.1);

  it('the module and the models folder', () => {
    within10(stated('lookalike-search.js', 'kB'), readFileSync(resolve(ROOT, 'dist/widget/lookalike-search.js')).length, 'lookalike-search.js');
    const models = filesUnder(resolve(ROOT, 'dist/widget/models')).reduce((n, f) => n + readFileSync(f).length, 0);
    within10(stated('models/', 'MB'), models, 'models/');
  });
});

describe('what a first visit downloads for offline use', () => {
  it("precaches tfjs's SIMD and threaded SIMD wasm builds only (the plain build is fetched, and kept, only by a browser without SIMD)", () => {
    const sw = readFileSync(resolve(ROOT, 'dist/sw.js'), 'utf8');
    const precached = [...new Set(sw.match(/tfjs-backend-wasm[\w-]*\.wasm/g) ?? [])].sort();
    expect(precached).toHaveLength(2);
    expect(precached[0]).toMatch(/^tfjs-backend-wasm-simd-/);
    expect(precached[1]).toMatch(/^tfjs-backend-wasm-threaded-simd-/);
  });
});
