/**
 * Measures what weight quantisation costs MobileNetV3-Small: the same photos
 * through float32, float16 (shipped) and per-tensor uint8 weights — feature
 * cosine to float32, and the shipped category head's top-1 on clothing-photos val
 * (this member alone, whole photo).
 * `npx tsx scripts/measure-quantisation.ts [--limit 300]`; writes model-artifacts/quantisation.json.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { findModel } from '../src/shared/manifest.ts';
import { loadDenseStack } from '../workers/models/dense-stack.ts';
import { GraphCache, loadBackbone } from '../workers/models/load-backbone.ts';
import { toModelInput } from '../workers/models/preprocess.ts';
import { l2NormalizeRows } from '../workers/models/embedder.ts';
import { convertMobileNetV3Small, shippedTuning } from './convert-mobilenetv3-small.ts';
import { ALL_LABELS, clothingPhotos } from './lib/datasets.ts';
import { describeFile, readManifest, ARTIFACTS_DIR } from './lib/manifest-writer.ts';
import { decodeImage, fileReader, useWasmBackend } from './lib/node-models.ts';

const { values } = parseArgs({ options: { limit: { type: 'string', default: '300' } } });
await useWasmBackend();
const manifest = readManifest();
const shipped = findModel(manifest, 'mnv3s');
const photos = clothingPhotos().filter((p) => p.split === 'val').slice(0, Number(values.limit));
const head = await loadDenseStack(manifest.heads!.find((h) => h.modelId === 'mnv3s')!.files, fileReader(), 'head');

const tuning = shippedTuning();
const variants: Record<string, { entry: typeof shipped; root: string }> = { float16: { entry: shipped, root: ARTIFACTS_DIR } };
for (const q of ['float32', 'uint8'] as const) {
  const root = mkdtempSync(join(tmpdir(), `mnv3s-${q}-`));
  await convertMobileNetV3Small(join(root, 'mnv3s'), q, tuning);
  variants[q] = { entry: { ...shipped, files: ['mnv3s/model.json', 'mnv3s/weights.bin'].map((p) => describeFile(p, root)), weightDtype: q }, root };
}

const features: Record<string, Float32Array[]> = {};
const top1: Record<string, number> = {};
for (const [name, v] of Object.entries(variants)) {
  const backbone = await loadBackbone(v.entry, fileReader(v.root), new GraphCache());
  features[name] = [];
  let hits = 0;
  for (const p of photos) {
    const image = await decodeImage(p.path);
    const [f, probs] = tf.tidy(() => {
      const input = toModelInput(image, 224, v.entry.normalization);
      // The shipped head reads the features, or several pooled layers of the same pass (as Embedder.compute).
      const [feat, ...taps] = head.input === 'taps' ? backbone.pooledTaps!(input, ['features', ...head.taps!]).map(l2NormalizeRows) : [l2NormalizeRows(backbone.features(input))];
      return [feat!.dataSync() as Float32Array, head.apply(taps.length ? tf.concat(taps, 1) : feat!).dataSync() as Float32Array];
    });
    image.dispose();
    features[name].push(f);
    if (ALL_LABELS[probs.indexOf(Math.max(...probs))] === p.label) hits++;
  }
  top1[name] = hits / photos.length;
  backbone.dispose();
}
const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const report = {
  model: 'mnv3s',
  photos: photos.length,
  bytes: Object.fromEntries(Object.entries(variants).map(([k, v]) => [k, v.entry.files.reduce((n, f) => n + f.bytes, 0)])),
  meanCosineToFloat32: Object.fromEntries(Object.keys(variants).map((k) => [k, features[k]!.reduce((s, f, i) => s + cos(f, features.float32![i]!), 0) / photos.length])),
  top1,
};
console.log(JSON.stringify(report, null, 2));
writeFileSync(join(ARTIFACTS_DIR, 'quantisation.json'), JSON.stringify(report, null, 2) + '\n');
