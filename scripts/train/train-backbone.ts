/**
 * `npm run train:backbone`: fine-tunes MobileNetV3-S's last blocks (features.6–12) with a softmax layer over the
 * manifest's labels, with image augmentation, in PyTorch on the CPU (scripts/train/train-backbone/finetune.py: tfjs
 * cannot train a convolution's filters here), writes the tensors to model-artifacts/training/mnv3s-finetuned,
 * rebuilds the artifacts with them (`npm run models:build`) and checks that the app's converted network gives the
 * trained network's features. Then `npm run train:heads` trains the heads, vote and projection on the new features.
 * Needs ../shared/datasets and Debian's PyTorch (`apt-get install -y python3-torch python3-torchvision python3-pil`).
 * `--check-only` skips the training: it rebuilds from the committed tensors and runs the check.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MNV3S_TUNED_DIR, qvacGgufPath } from '../lib/mobilenetv3-small-converter.ts';
import { ALL_LABELS, clothingPhotos, furnitureVal, hasDatasets, hmCatalog, ikeaProducts } from '../lib/datasets.ts';
import { loadNodeEmbedder } from '../lib/node-models.ts';
import { toModelInput } from '../../workers/models/preprocess.ts';

const PYTHON = '/usr/bin/python3';
const CODE = resolve(import.meta.dirname, 'train-backbone');
const WORK = resolve(import.meta.dirname, '../../.cache/train-backbone');
/** The recipe: the blocks trained, how often each ikea training product is seen an epoch, and the seed (the rest is finetune.py's defaults). */
const FIRST_TUNED_BLOCK = 6;
const IKEA_WEIGHT = 2;
const SEED = 0;

/** Runs a step; a failed one ends the run with its name (its own output says why). */
function run(what: string, command: string, args: string[], cwd?: string): void {
  const done = spawnSync(command, args, { stdio: 'inherit', cwd });
  if (done.status !== 0) {
    console.error(`train:backbone: ${what} failed (exit ${done.status ?? done.signal})`);
    process.exit(1);
  }
}
const python = (script: string, args: string[]) => run(script, PYTHON, [join(CODE, script), ...args], CODE);

function train(gguf: string): void {
  // 1. The photos and their sets, decoded once (about 1.8 GB, reused while the listing is the same).
  const labelIndex = new Map(ALL_LABELS.map((l, i) => [l, i]));
  const ikea = ikeaProducts();
  const validation = new Set(furnitureVal(ikea.filter((x) => x.split === 'train')));
  const rows = [
    ...clothingPhotos().map((x) => [x.path, x.label, x.split === 'val' ? 'cval' : 'ctrain']),
    ...hmCatalog().map((x) => [x.path, x.label, 'hm']),
    ...ikea.map((x) => [x.path, x.label, x.split === 'test' ? 'itest' : validation.has(x) ? 'ival' : 'itrain']),
  ].map(([path, label, set]) => `"${path!.replaceAll('"', '""')}",${labelIndex.get(label!)},${set}`);
  const listing = `${['path,label,set', ...rows].join('\n')}\n`;
  const listingPath = join(WORK, 'photos.csv');
  const photos = join(WORK, 'photos.npz');
  if (!existsSync(photos) || !existsSync(listingPath) || readFileSync(listingPath, 'utf8') !== listing) {
    writeFileSync(listingPath, listing);
    console.log(`decoding ${rows.length} photos into ${photos}`);
    python('prepare.py', [listingPath, photos]);
  }

  // 2. Fine-tuning (about 9 min on 2 cores).
  python('finetune.py', [
    '--photos',
    photos,
    '--gguf',
    gguf,
    '--member',
    's',
    '--first',
    String(FIRST_TUNED_BLOCK),
    '--ikea-weight',
    String(IKEA_WEIGHT),
    '--seed',
    String(SEED),
    '--write',
    MNV3S_TUNED_DIR,
  ]);
}

const checkOnly = process.argv.includes('--check-only');
if (!checkOnly && !hasDatasets()) {
  console.error('train:backbone needs ../shared/datasets beside the repository (clothing-photos, hm-catalog, ikea).');
  process.exit(1);
}
if (spawnSync(PYTHON, ['-c', 'import torch, torchvision, PIL'], { stdio: 'ignore' }).status !== 0) {
  console.error(
    `train:backbone trains in PyTorch: install it with\n  apt-get install -y python3-torch python3-torchvision python3-pil\n(it runs ${PYTHON}, Debian's Python, which those packages serve).`,
  );
  process.exit(1);
}
const gguf = qvacGgufPath();
mkdirSync(WORK, { recursive: true });
if (!checkOnly) train(gguf);
// 3. The artifacts rebuilt with the trained tensors.
run('npm run models:build', 'npm', ['run', 'models:build']);

// 4. The app's own features of two seeded random photos, against the trained network's in PyTorch (check.py).
const embedder = await loadNodeEmbedder();
const random = [1, 2].map((seed) => tf.randomUniform([224, 224, 3], 0, 255, 'float32', seed).round() as tf.Tensor3D);
const reference: Record<string, unknown> = { photos: await Promise.all(random.map((p) => p.array())) };
for (const m of embedder.members) {
  reference[m.entry.id] = await Promise.all(
    random.map((p) =>
      tf
        .tidy(() => m.features(toModelInput(p, m.entry.inputSize, m.entry.normalization)))
        .array()
        .then((r) => r[0]),
    ),
  );
}
random.forEach((p) => p.dispose());
embedder.dispose();
writeFileSync(join(WORK, 'reference.json'), JSON.stringify(reference));
python('check.py', [join(WORK, 'reference.json'), gguf, MNV3S_TUNED_DIR]);
console.log('the app runs the fine-tuned MobileNetV3-S: now `npm run train:heads`');
