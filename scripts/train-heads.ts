/**
 * `npm run train:heads`: trains each ensemble member's category head and the
 * retrieval projection on frozen backbone features of ../shared/datasets,
 * fits the soft-voting weights on validation data, writes the artifacts into
 * model-artifacts/ and the manifest, and records the measured figures in
 * model-artifacts/metrics.json (the model card's table).
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import type { ArtifactFile, ModelEntry } from '../src/shared/manifest.ts';
import { backbones } from '../src/shared/manifest.ts';
import { ALL_LABELS, clothingPhotos, hasDatasets, hmCatalog, ikeaProducts, type LabelledImage } from './lib/datasets.ts';
import { featureTable, type FeatureTable } from './lib/feature-cache.ts';
import { ARTIFACTS_DIR, describeFile, readManifest, writeManifest } from './lib/manifest-writer.ts';
import { pca } from './lib/pca.ts';
import { accuracy, applyMlp, stack, trainMlp, type Dataset } from './lib/train-utils.ts';
import { writeWeightsModel, type NamedArray } from './lib/weights-writer.ts';

const C = ALL_LABELS.length;
const labelIndex = new Map(ALL_LABELS.map((l, i) => [l, i]));
const PROJECTION_DIM = 256;
/**
 * Head shapes tried per member (the best on clothing val is kept). The shipped heads are softmax regression;
 * `HEADS=mlp` also tries a 256-unit hidden layer (slow on the wasm backend: about 16 s an epoch here).
 */
const HEAD_CHOICES: number[][] = process.env.HEADS === 'mlp' ? [[], [256]] : [[]];

if (!hasDatasets()) {
  console.error('train:heads needs ../shared/datasets beside the repository (clothing-photos, hm-catalog, ikea).');
  process.exit(1);
}

const manifest = readManifest();
const members = backbones(manifest);
const clothing = clothingPhotos();
const hm = hmCatalog();
const ikea = ikeaProducts();
const all = [...clothing, ...hm, ...ikea];

const tables = new Map<string, FeatureTable>();
for (const m of members) {
  console.log(`features: ${m.name}`);
  tables.set(m.id, await featureTable(m, all.map((x) => x.path)));
}
const usable = (list: LabelledImage[]) => list.filter((x) => members.every((m) => tables.get(m.id)!.get(x.path)));

const trainSet = usable([...clothing.filter((x) => x.split === 'train'), ...hm, ...ikea.filter((x) => x.split === 'train')]);
const clothingVal = usable(clothing.filter((x) => x.split === 'val'));
const ikeaTest = usable(ikea.filter((x) => x.split === 'test'));
console.log(`train ${trainSet.length} (phone photos, H&M catalog, 80% of ikea) · clothing val ${clothingVal.length} · ikea held-out ${ikeaTest.length}`);

function features(member: ModelEntry, list: LabelledImage[], view: 'orig' | 'mirror' | 'both'): Dataset {
  const t = tables.get(member.id)!;
  const rows: Float32Array[] = [];
  const labels: number[] = [];
  for (const x of list) {
    const [o, m] = t.get(x.path)!;
    if (view !== 'mirror') (rows.push(o), labels.push(labelIndex.get(x.label)!));
    if (view !== 'orig') (rows.push(m), labels.push(labelIndex.get(x.label)!));
  }
  return stack(rows, labels);
}

function concatFeatures(list: LabelledImage[], view: 'orig' | 'mirror'): Dataset {
  const rows = list.map((x) => {
    const parts = members.map((m) => tables.get(m.id)!.get(x.path)![view === 'orig' ? 0 : 1]);
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) (out.set(p, o), (o += p.length));
    return out;
  });
  return stack(rows, list.map((x) => labelIndex.get(x.label)!));
}

const labelsOf = (list: LabelledImage[]) => Int32Array.from(list.map((x) => labelIndex.get(x.label)!));

interface MemberResult {
  arrays: NamedArray[];
  activations: string[];
  hidden: number[];
  valProbs: Float32Array;
  ikeaProbs: Float32Array;
}

const results = new Map<string, MemberResult>();
const table: Record<string, Record<string, number>> = {};
/** Per-dimension mean and 1/std of a member's training features (the heads see standardised inputs). */
function standardiser(data: Dataset): { mean: Float32Array; inv: Float32Array } {
  const n = data.y.length;
  const mean = new Float32Array(data.dim);
  const sq = new Float32Array(data.dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < data.dim; j++) mean[j]! += data.x[i * data.dim + j]! / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < data.dim; j++) sq[j]! += (data.x[i * data.dim + j]! - mean[j]!) ** 2 / n;
  return { mean, inv: sq.map((v) => 1 / Math.sqrt(v + 1e-8)) };
}
function standardise(data: Dataset, s: { mean: Float32Array; inv: Float32Array }): Dataset {
  return { ...data, x: data.x.map((v, i) => (v - s.mean[i % data.dim]!) * s.inv[i % data.dim]!) };
}
/** Folds the standardisation into the first layer, so the shipped head takes raw (unit-length) features. */
function fold(arrays: NamedArray[], s: { mean: Float32Array; inv: Float32Array }): NamedArray[] {
  const k = arrays.find((a) => a.name === 'dense0.kernel')!;
  const b = arrays.find((a) => a.name === 'dense0.bias')!;
  const [inp, out] = k.shape as [number, number];
  const kernel = new Float32Array(k.data.length);
  const bias = Float32Array.from(b.data);
  for (let i = 0; i < inp; i++) {
    for (let o = 0; o < out; o++) {
      kernel[i * out + o] = k.data[i * out + o]! * s.inv[i]!;
      bias[o]! -= s.mean[i]! * s.inv[i]! * k.data[i * out + o]!;
    }
  }
  return arrays.map((a) => (a === k ? { ...a, data: kernel } : a === b ? { ...a, data: bias } : a));
}

for (const m of members) {
  const rawTrain = features(m, trainSet, 'both');
  const norm = standardiser(rawTrain);
  const train = standardise(rawTrain, norm);
  let best: MemberResult | undefined;
  let bestAcc = -1;
  for (const hidden of HEAD_CHOICES) {
    const t0 = performance.now();
    const fitted = await trainMlp(train, { hidden, classes: C, epochs: hidden.length ? 20 : 40, learningRate: 1e-3, l2: 1e-4, dropout: hidden.length ? 0.3 : 0, seed: 1 });
    const trained = { ...fitted, arrays: fold(fitted.arrays, norm) };
    const val = features(m, clothingVal, 'orig');
    const valProbs = applyMlp(trained.arrays, trained.activations, val.x, val.y.length, val.dim);
    const acc = accuracy(valProbs, val.y, C);
    console.log(`  ${m.id} head hidden=[${hidden}] clothing val top-1 ${acc.toFixed(3)} (${Math.round((performance.now() - t0) / 1000)} s)`);
    if (acc > bestAcc) {
      const ik = features(m, ikeaTest, 'orig');
      best = { ...trained, hidden, valProbs, ikeaProbs: applyMlp(trained.arrays, trained.activations, ik.x, ik.y.length, ik.dim) };
      bestAcc = acc;
    }
  }
  results.set(m.id, best!);
  table[m.id] = {
    clothingTop1: accuracy(best!.valProbs, labelsOf(clothingVal), C),
    clothingTop3: accuracy(best!.valProbs, labelsOf(clothingVal), C, 3),
    furnitureTop1: accuracy(best!.ikeaProbs, labelsOf(ikeaTest), C),
  };
}

// Soft-vote weights: a grid over the simplex, maximising clothing-val log-likelihood.
function vote(weights: number[], pick: (r: MemberResult) => Float32Array): Float32Array {
  const parts = members.map((m) => pick(results.get(m.id)!));
  const out = new Float32Array(parts[0]!.length);
  parts.forEach((p, j) => p.forEach((v, i) => (out[i]! += weights[j]! * v)));
  return out;
}
function logLik(probs: Float32Array, labels: Int32Array): number {
  let s = 0;
  labels.forEach((l, i) => (s += Math.log(Math.max(1e-9, probs[i * C + l]!))));
  return s / labels.length;
}
function simplex(k: number, step = 0.05): number[][] {
  if (k === 1) return [[1]];
  const out: number[][] = [];
  for (let w = 0; w <= 1 + 1e-9; w += step) for (const rest of simplex(k - 1, step)) out.push([w, ...rest.map((r) => r * (1 - w))]);
  return out;
}
let bestWeights = members.map(() => 1 / members.length);
let bestLL = -Infinity;
for (const w of simplex(members.length)) {
  const ll = logLik(vote(w, (r) => r.valProbs), labelsOf(clothingVal));
  if (ll > bestLL) (bestLL = ll, (bestWeights = w));
}
const ensembleVal = vote(bestWeights, (r) => r.valProbs);
const ensembleIkea = vote(bestWeights, (r) => r.ikeaProbs);
table.ensemble = {
  clothingTop1: accuracy(ensembleVal, labelsOf(clothingVal), C),
  clothingTop3: accuracy(ensembleVal, labelsOf(clothingVal), C, 3),
  furnitureTop1: accuracy(ensembleIkea, labelsOf(ikeaTest), C),
};
// Test-time mirror: average each member's probabilities for the photo and its mirror image.
const ttaVal = (() => {
  const parts = members.map((m) => {
    const r = results.get(m.id)!;
    const mir = features(m, clothingVal, 'mirror');
    const probs = applyMlp(r.arrays, r.activations, mir.x, mir.y.length, mir.dim);
    return r.valProbs.map((v, i) => (v + probs[i]!) / 2);
  });
  const out = new Float32Array(parts[0]!.length);
  parts.forEach((p, j) => p.forEach((v, i) => (out[i]! += bestWeights[j]! * v)));
  return out;
})();
table['ensemble + mirror TTA'] = { clothingTop1: accuracy(ttaVal, labelsOf(clothingVal), C), clothingTop3: accuracy(ttaVal, labelsOf(clothingVal), C, 3), furnitureTop1: NaN };
console.log('vote weights', Object.fromEntries(members.map((m, i) => [m.id, +bestWeights[i]!.toFixed(2)])));
console.table(table);

// Retrieval projection: centre, then [top principal components ‖ a category-discriminative map], 256-d.
const trainConcat = concatFeatures(trainSet, 'orig');
const n = trainSet.length;
const dim = trainConcat.dim;
const pcaDims = PROJECTION_DIM / 2;
const p = pca(trainConcat.x, n, dim, pcaDims);
const centered = new Float32Array(trainConcat.x.length);
for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) centered[i * dim + j] = trainConcat.x[i * dim + j]! - p.mean[j]!;
const disc = await trainMlp({ ...trainConcat, x: centered }, { hidden: [PROJECTION_DIM - pcaDims], hiddenActivation: 'linear', classes: C, epochs: 25, learningRate: 1e-3, l2: 1e-4, dropout: 0, seed: 3 });
const discKernel = disc.arrays.find((a) => a.name === 'dense0.kernel')!.data;

function projectionKernel(alpha: number): Float32Array {
  // Columns: PCA directions (scaled to unit total variance) then discriminative ones scaled by alpha.
  const k = new Float32Array(dim * PROJECTION_DIM);
  const pcaScale = 1 / Math.sqrt(p.variances.reduce((a, b) => a + b, 0));
  const dk = PROJECTION_DIM - pcaDims;
  let discVar = 0;
  for (let i = 0; i < n; i += 7) {
    for (let c = 0; c < dk; c++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += centered[i * dim + j]! * discKernel[j * dk + c]!;
      discVar += s * s;
    }
  }
  const discScale = 1 / Math.sqrt(discVar / Math.ceil(n / 7));
  for (let j = 0; j < dim; j++) {
    for (let c = 0; c < pcaDims; c++) k[j * PROJECTION_DIM + c] = p.components[j * pcaDims + c]! * pcaScale;
    for (let c = 0; c < dk; c++) k[j * PROJECTION_DIM + pcaDims + c] = discKernel[j * dk + c]! * discScale * alpha;
  }
  return k;
}

/** Rows → (centred, projected) unit vectors, as a tensor. */
function project(data: Dataset, kernel: Float32Array | undefined): tf.Tensor2D {
  return tf.tidy(() => {
    const x = tf.tensor2d(data.x, [data.y.length, dim]);
    const y = kernel ? tf.matMul(x.sub(tf.tensor1d(p.mean)), tf.tensor2d(kernel, [dim, PROJECTION_DIM])) : x;
    return y.div(tf.sqrt(tf.sum(tf.square(y), 1, true)).maximum(1e-12)) as tf.Tensor2D;
  });
}

/** Mean precision@10: phone photos (clothing val) against the H&M catalog, same category. */
function precisionAt10(kernel: Float32Array | undefined): number {
  const catLabels = Int32Array.from(hm.map((x) => labelIndex.get(x.label)!));
  const top = tf.tidy(() => tf.topk(tf.matMul(project(concatFeatures(clothingVal, 'orig'), kernel), project(concatFeatures(hm, 'orig'), kernel), false, true), 10).indices);
  const idx = top.dataSync();
  top.dispose();
  let total = 0;
  clothingVal.forEach((q, qi) => {
    const want = labelIndex.get(q.label)!;
    for (let j = 0; j < 10; j++) if (catLabels[idx[qi * 10 + j]!] === want) total += 0.1;
  });
  return total / clothingVal.length;
}

const retrieval: Record<string, number> = { rawConcat: precisionAt10(undefined) };
let chosenAlpha = 0;
for (const alpha of [0, 1, 2, 3, 5, 8, 13]) {
  const p10 = precisionAt10(projectionKernel(alpha));
  retrieval[`projection alpha=${alpha}`] = p10;
  console.log(`  projection alpha=${alpha}: precision@10 ${p10.toFixed(3)}`);
  if (!chosenAlpha && p10 >= 0.82) chosenAlpha = alpha;
}
// Smallest weight reaching the target keeps the most visual detail; otherwise the best measured.
if (!chosenAlpha) chosenAlpha = Number(Object.entries(retrieval).filter(([k]) => k.startsWith('projection')).sort((a, b) => b[1] - a[1])[0]![0].split('=')[1]);
console.log(`precision@10 (clothing val → H&M): raw ${retrieval.rawConcat!.toFixed(3)}, chosen alpha ${chosenAlpha}`);

// Write artifacts.
const heads: { modelId: string; files: ArtifactFile[] }[] = [];
for (const m of members) {
  const r = results.get(m.id)!;
  const dir = `heads/${m.id}`;
  await writeWeightsModel(join(ARTIFACTS_DIR, dir), 'dense-stack', r.arrays, 'float16', { activations: r.activations, labels: ALL_LABELS });
  heads.push({ modelId: m.id, files: [describeFile(`${dir}/model.json`), describeFile(`${dir}/weights.bin`)] });
}
await writeWeightsModel(
  join(ARTIFACTS_DIR, 'projection'),
  'dense-stack',
  [
    { name: 'center', shape: [dim], data: p.mean },
    { name: 'dense0.kernel', shape: [dim, PROJECTION_DIM], data: projectionKernel(chosenAlpha) },
    { name: 'dense0.bias', shape: [PROJECTION_DIM], data: new Float32Array(PROJECTION_DIM) },
  ],
  'float16',
  { activations: ['linear'] },
);
const written = writeManifest({
  formatVersion: 1,
  models: manifest.models,
  labels: ALL_LABELS,
  heads,
  voteWeights: Object.fromEntries(members.map((m, i) => [m.id, Number(bestWeights[i]!.toFixed(2))])),
  projection: {
    files: [describeFile('projection/model.json'), describeFile('projection/weights.bin')],
    inputDim: dim,
    outputDim: PROJECTION_DIM,
    description: `centre, then ${pcaDims} principal components ‖ ${PROJECTION_DIM - pcaDims} category-discriminative directions (weight ${chosenAlpha})`,
  },
});
writeFileSync(
  join(ARTIFACTS_DIR, 'metrics.json'),
  JSON.stringify({ ensembleId: written.ensembleId, classification: table, voteWeights: written.voteWeights, retrievalPrecisionAt10: retrieval, counts: { train: trainSet.length, clothingVal: clothingVal.length, ikeaTest: ikeaTest.length } }, null, 2) + '\n',
);
console.log(`wrote heads, projection and manifest (${written.ensembleId})`);
