/**
 * `npx tsx scripts/research/finetune-probe/reference-features.ts`: the app's own pooled features (Node, wasm) of
 * two seeded random 224×224 photos for each member, preprocessed by workers/models/preprocess.ts, written to
 * .cache/finetune-probe/reference.json for check.py.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadNodeEmbedder } from '../../lib/node-models.ts';
import { toModelInput } from '../../../workers/models/preprocess.ts';

const out = resolve(import.meta.dirname, '../../../.cache/finetune-probe');
const embedder = await loadNodeEmbedder();
const photos = [1, 2].map((seed) => tf.randomUniform([224, 224, 3], 0, 255, 'float32', seed).round() as tf.Tensor3D);
const reference: Record<string, unknown> = { photos: await Promise.all(photos.map((p) => p.array())) };
for (const m of embedder.members) {
  reference[m.entry.id] = await Promise.all(
    photos.map((p) => tf.tidy(() => m.features(toModelInput(p, m.entry.inputSize, m.entry.normalization))).array().then((rows) => rows[0])),
  );
}
mkdirSync(out, { recursive: true });
writeFileSync(resolve(out, 'reference.json'), JSON.stringify(reference));
console.log(`wrote ${resolve(out, 'reference.json')} (${embedder.members.map((m) => m.entry.id).join(', ')})`);
photos.forEach((p) => p.dispose());
embedder.dispose();
