/**
 * Measures what weight quantisation costs MobileNetV3-Small: the same photos
 * through float32, float16 (shipped) and per-tensor uint8 weights — feature
 * cosine to float32, and the shipped category head's top-1 on clothing-photos val
 * (this member alone, whole photo).
 * `npx tsx scripts/eval/measure-quantisation.ts [--limit 300]`; writes model-artifacts/reports/quantisation.json.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { findModel, type ModelManifest } from '../../src/shared/manifest.ts';
import { Embedder } from '../../workers/models/ensemble.ts';
import { convertMobileNetV3Small, shippedTuning } from '../lib/mobilenetv3-small-converter.ts';
import { clothingPhotos } from '../lib/datasets.ts';
import { describeFile, readManifest } from '../lib/manifest-writer.ts';
import { REPORTS_DIR, SHIPPED_DIR } from '../lib/model-artifacts.ts';
import { decodeImage, fileReader, useWasmBackend } from '../lib/node-models.ts';

const { values } = parseArgs({ options: { limit: { type: 'string', default: '300' } } });
await useWasmBackend();
const manifest = readManifest();
const shipped = findModel(manifest, 'mnv3s');
const photos = clothingPhotos()
  .filter((p) => p.split === 'val')
  .slice(0, Number(values.limit));

const tuning = shippedTuning();
const variants: Record<string, { entry: typeof shipped; root: string }> = { float16: { entry: shipped, root: SHIPPED_DIR } };
for (const q of ['float32', 'uint8'] as const) {
  const root = mkdtempSync(join(tmpdir(), `mnv3s-${q}-`));
  await convertMobileNetV3Small(join(root, 'mnv3s'), q, tuning);
  variants[q] = { entry: { ...shipped, files: ['mnv3s/model.json', 'mnv3s/weights.bin'].map((p) => describeFile(p, root)), weightDtype: q }, root };
}

const { projection: _projection, voteWeights: _vote, cropView: _crop, mirrorView: _mirror, ...withoutEnsemble } = manifest;
const features: Record<string, Float32Array[]> = {};
const top1: Record<string, number> = {};
for (const [name, v] of Object.entries(variants)) {
  // The app's own pass (Embedder.compute) with this member alone: its shipped head, no projection, no vote, no views.
  const alone: ModelManifest = { ...withoutEnsemble, models: [v.entry], heads: manifest.heads!.filter((h) => h.modelId === 'mnv3s') };
  const variantFiles = fileReader(v.root);
  const shippedFiles = fileReader();
  const embedder = await Embedder.load(alone, (file) => (v.entry.files.includes(file) ? variantFiles : shippedFiles)(file));
  features[name] = [];
  let hits = 0;
  for (const p of photos) {
    const image = await decodeImage(p.path);
    const [f, probs] = tf.tidy(() => {
      const out = embedder.compute(image, { embed: true, classify: true, mirror: false });
      return [out.embedding!.dataSync() as Float32Array, out.members[0]!.dataSync() as Float32Array];
    });
    image.dispose();
    features[name].push(f);
    if (embedder.labels[probs.indexOf(Math.max(...probs))] === p.label) hits++;
  }
  top1[name] = hits / photos.length;
  embedder.dispose();
}
const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const report = {
  model: 'mnv3s',
  photos: photos.length,
  bytes: Object.fromEntries(Object.entries(variants).map(([k, v]) => [k, v.entry.files.reduce((n, f) => n + f.bytes, 0)])),
  meanCosineToFloat32: Object.fromEntries(
    Object.keys(variants).map((k) => [k, features[k]!.reduce((s, f, i) => s + cos(f, features.float32![i]!), 0) / photos.length]),
  ),
  top1,
};
console.log(JSON.stringify(report, null, 2));
writeFileSync(join(REPORTS_DIR, 'quantisation.json'), `${JSON.stringify(report, null, 2)}\n`);
