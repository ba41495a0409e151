/**
 * What the builds ship: they copy model-artifacts/shipped/ whole, so the app (dist/models/) and the widget
 * (dist/widget/models/) must hold exactly the files the manifest names, and the manifest — nothing else that
 * lands in that folder, and none of the model card, the measurements and the eval CLI's held-out list
 * (model-artifacts/reports/) or the training outputs (model-artifacts/training/), which nobody's browser should download.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesUnder } from '../../scripts/lib/files-under.ts';
import { allFiles, parseManifest } from '../../src/shared/manifest.ts';
import { ROOT } from './harness.ts';

const manifest = parseManifest(JSON.parse(readFileSync(resolve(ROOT, 'model-artifacts/shipped/manifest.json'), 'utf8')));
const expected = ['manifest.json', ...allFiles(manifest).map((f) => f.path)].sort();

describe('the builds ship only the model files the app loads', () => {
  for (const dir of ['dist/models', 'dist/widget/models']) {
    it(dir, () => {
      const built = resolve(ROOT, dir);
      expect(existsSync(built), `${dir} is missing: run \`npm test\` (it builds the app and the widget first)`).toBe(true);
      expect(filesUnder(built).map((f) => relative(built, f).replaceAll('\\', '/')).sort()).toEqual(expected);
    });
  }
});
