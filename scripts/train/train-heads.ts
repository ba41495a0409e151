/**
 * `npm run train:heads`: trains each ensemble member's category head and the
 * retrieval projection on frozen backbone features of ../shared/datasets,
 * fits the soft-voting weights on validation data, decides whether the crop view
 * (CROP_VIEW) and the mirror view ship, writes the artifacts into
 * model-artifacts/shipped/ and the manifest, and records the measured figures in
 * model-artifacts/reports/metrics.json (the model card's table).
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { join, relative } from 'node:path';
import type { ArtifactFile, CropView, ModelEntry } from '../../src/shared/manifest.ts';
import { backbones, opensCropView } from '../../src/shared/manifest.ts';
import {
  ALL_LABELS,
  CLOTHING_LABELS,
  DATASETS_DIR,
  clothingPhotos,
  furnitureVal as furnitureValOf,
  hasDatasets,
  hmCatalog,
  ikeaProducts,
  type LabelledImage,
} from '../lib/datasets.ts';
import { featureTable, type FeatureKind, type FeatureTable } from '../lib/feature-cache.ts';
import { fineTuneHead, pooledFeatures, type HeadInputMaps, type Standardiser } from '../lib/finetune-head.ts';
import { fileReader } from '../lib/node-models.ts';
import { createDenseStack } from '../../workers/models/dense-stack.ts';
import { GraphCache, loadBackbone } from '../../workers/models/load-backbone.ts';
import { describeFile, readManifest, writeManifest } from '../lib/manifest-writer.ts';
import { REPORTS_DIR, SHIPPED_DIR } from '../lib/model-artifacts.ts';
import { pca } from '../lib/pca.ts';
import { accuracy, stack, trainMlp, type Dataset } from '../lib/train-utils.ts';
import { roundToFloat16 } from '../lib/float16.ts';
import { writeWeightsModel, type NamedArray } from '../lib/weights-writer.ts';

const C = ALL_LABELS.length;
const labelIndex = new Map(ALL_LABELS.map((l, i) => [l, i]));
const PROJECTION_DIM = 256;
/**
 * Heads ship in float16, except the first layer (arrays of UINT8_MIN_VALUES or more) of the heads listed here,
 * which ships in per-tensor uint8 quantised from its float16 values, to keep the whole model download within 10 MB.
 * Measured with the eval CLI on the shipped MLP heads (model card, "Quantisation"): uint8 moves the MobileNetV3-S
 * head's ensemble figures by under 0.5 points, but costs 1.4 points of held-out furniture top-1 on MobileNetV3-L's.
 */
const UINT8_HEADS = new Set(['mnv3s']);
const UINT8_MIN_VALUES = 100_000;
const headQuantization = (modelId: string) => (a: NamedArray) => (UINT8_HEADS.has(modelId) && a.data.length >= UINT8_MIN_VALUES ? 'uint8' : 'float16');
/**
 * Heads tried per member (the one with the best mean of clothing-val and furniture-val top-1 is kept):
 * - `linear`: softmax regression on the pooled features;
 * - `multi-tap`: softmax regression on several pooled layers of the same pass (HEAD_TAPS);
 * - `multi-tap MLP`: the same with a 256-unit ReLU hidden layer;
 * - `fine-tuned`: the backbone's last 1×1 conv fine-tuned with a softmax layer.
 * `HEADS=linear` trains only the two softmax regressions.
 */
type HeadKind = 'linear' | 'multi-tap' | 'multi-tap MLP' | 'fine-tuned';
const HEAD_KINDS: HeadKind[] = process.env.HEADS === 'linear' ? ['linear', 'multi-tap'] : ['linear', 'multi-tap', 'multi-tap MLP', 'fine-tuned'];
const FINE_TUNE_EPOCHS = 6;
/**
 * What a member's multi-tap head reads: its features and earlier layers of the same pass (no extra backbone
 * compute), the expanded 1×1 convs of its last blocks. MobileNetV3-L: expanded_conv_11–14 (14 is the feature
 * node); MobileNetV3-S: features.9–11 and the features (the last 1×1 conv).
 */
const HEAD_TAPS: Record<string, string[]> = {
  mnv3l075: ['features', ...[13, 12, 11].map((i) => `tower_0/MobilenetV3/expanded_conv_${i}/expand/hard_swish/mul_1`)],
  mnv3s: ['features', ...[11, 10, 9].map((i) => `features.${i}.expand`)],
};

/**
 * The crop view the app may classify clothing with (src/shared/manifest.ts CropView): the centre 80% of the photo.
 * Multi-tap heads also train on this crop of the clothing photos, so they know the view;
 * it ships only when it raises the validation score (the mean of clothing-val and furniture-val top-1).
 */
const CROP_VIEW: CropView = { box: [0.1, 0.1, 0.9, 0.9], labels: CLOTHING_LABELS };

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
  tables.set(
    m.id,
    await featureTable(
      m,
      all.map((x) => x.path),
    ),
  );
}
const usable = (list: LabelledImage[]) => list.filter((x) => members.every((m) => tables.get(m.id)!.get(x.path)));

const trainSet = usable([...clothing.filter((x) => x.split === 'train'), ...hm, ...ikea.filter((x) => x.split === 'train')]);
const clothingVal = usable(clothing.filter((x) => x.split === 'val'));
const ikeaTest = usable(ikea.filter((x) => x.split === 'test'));
/**
 * Furniture validation (scripts/lib/datasets.ts): the heads do not train on it; with clothing val it chooses each
 * member's head and fits the vote weights. (The retrieval projection still trains on the whole training set.)
 */
const furnitureVal = usable(furnitureValOf(ikea.filter((x) => x.split === 'train'))); // the same split as train:backbone's
const furnitureValSet = new Set(furnitureVal);
const headTrainSet = trainSet.filter((x) => !furnitureValSet.has(x));
console.log(
  `train ${trainSet.length} (phone photos, H&M catalog, 80% of ikea; heads: ${headTrainSet.length}) · clothing val ${clothingVal.length} · furniture val ${furnitureVal.length} · ikea held-out ${ikeaTest.length}`,
);

function features(t: FeatureTable, list: LabelledImage[], view: 'orig' | 'mirror' | 'both'): Dataset {
  const rows: Float32Array[] = [];
  const labels: number[] = [];
  for (const x of list) {
    const [o, m] = t.get(x.path)!;
    if (view !== 'mirror') rows.push(o), labels.push(labelIndex.get(x.label)!);
    if (view !== 'orig') rows.push(m), labels.push(labelIndex.get(x.label)!);
  }
  return stack(rows, labels);
}

function concatFeatures(list: LabelledImage[], view: 'orig' | 'mirror'): Dataset {
  const rows = list.map((x) => {
    const parts = members.map((m) => tables.get(m.id)!.get(x.path)![view === 'orig' ? 0 : 1]);
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) out.set(p, o), (o += p.length);
    return out;
  });
  return stack(
    rows,
    list.map((x) => labelIndex.get(x.label)!),
  );
}

const labelsOf = (list: LabelledImage[]) => Int32Array.from(list.map((x) => labelIndex.get(x.label)!));

interface MemberResult {
  arrays: NamedArray[];
  /** The head's model.json config: its layers' activations, and for a multi-tap head the taps it reads. */
  config: { activations: string[]; taps?: string[] };
  /** What was trained (see HEAD_KINDS). */
  kind: HeadKind;
  /**
   * Probabilities of the whole photo and of its mirror image, and (heads that read taps) of the CROP_VIEW crop
   * of the photo and of the crop's mirror image.
   */
  views: { whole: EvalProbs; wholeMirror: EvalProbs; crop?: EvalProbs; cropMirror?: EvalProbs };
}
/** One view's probabilities for the clothing val photos, furniture val and the held-out ikea products. */
interface EvalProbs {
  valProbs: Float32Array;
  furnitureValProbs: Float32Array;
  ikeaProbs: Float32Array;
}

const results = new Map<string, MemberResult>();
const table: Record<string, Record<string, number>> = {};
/** Per-dimension mean and 1/std of training rows (the heads see standardised inputs). */
function standardiser(x: Float32Array, dim: number): Standardiser {
  const n = x.length / dim;
  const mean = new Float32Array(dim);
  const sq = new Float32Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j]! += x[i * dim + j]! / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) sq[j]! += (x[i * dim + j]! - mean[j]!) ** 2 / n;
  return { mean, inv: sq.map((v) => 1 / Math.sqrt(v + 1e-8)) };
}
function standardise(data: Dataset, s: Standardiser): Dataset {
  return { ...data, x: data.x.map((v, i) => (v - s.mean[i % data.dim]!) * s.inv[i % data.dim]!) };
}
/** Folds the standardisation into dense0, so the shipped head takes raw features (or, fine-tuned, the raw map). */
function fold(arrays: NamedArray[], s: Standardiser): NamedArray[] {
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

/** Runs a trained head exactly as the app does (workers/models/dense-stack.ts) over rows of the given shape. */
function headProbabilities(arrays: NamedArray[], config: MemberResult['config'], rows: Float32Array, rowShape: number[]): Float32Array {
  const weights = new Map(arrays.map((a) => [a.name, tf.tensor(a.data, a.shape)] as const));
  const head = createDenseStack(weights, { ...config }, 'candidate head');
  const n = rows.length / rowShape.reduce((a, b) => a * b, 1);
  const out = tf.tidy(() => head.apply(tf.tensor(rows, [n, ...rowShape])).dataSync() as Float32Array);
  head.dispose();
  return out;
}

/** The chosen view ('orig' or 'mirror') of each photo's cached rows, stacked. */
function rowsOf(t: FeatureTable, list: LabelledImage[], view: 0 | 1): Float32Array {
  const first = t.get(list[0]!.path)![view];
  const out = new Float32Array(list.length * first.length);
  list.forEach((x, i) => out.set(t.get(x.path)![view], i * first.length));
  return out;
}

/** One view's probabilities (0: the photo, 1: its mirror image) on every evaluation set. */
function evaluate(probs: (list: LabelledImage[], view: 0 | 1) => Float32Array, view: 0 | 1): EvalProbs {
  return { valProbs: probs(clothingVal, view), furnitureValProbs: probs(furnitureVal, view), ikeaProbs: probs(ikeaTest, view) };
}
const wholeViews = (probs: (list: LabelledImage[], view: 0 | 1) => Float32Array) => ({ whole: evaluate(probs, 0), wholeMirror: evaluate(probs, 1) });

/**
 * Dense layers (softmax regression, or with `hidden` an MLP) on a table's standardised rows; the standardisation
 * is folded into the shipped weights. With `crop` (the same rows for the CROP_VIEW crop), the photos of the crop
 * view's categories also train as that crop (not its mirror image: measured better), and the crop's probabilities
 * are measured.
 */
async function denseHead(
  t: FeatureTable,
  trainList: LabelledImage[],
  kind: HeadKind,
  hidden: number[],
  taps?: string[],
  crop?: FeatureTable,
): Promise<MemberResult> {
  const whole = features(t, trainList, 'both');
  const cropped =
    crop &&
    features(
      crop,
      trainList.filter((x) => CROP_VIEW.labels.includes(x.label)),
      'orig',
    );
  const rawTrain = cropped ? { x: concatRows(whole.x, cropped.x), y: Int32Array.from([...whole.y, ...cropped.y]), dim: whole.dim } : whole;
  const norm = standardiser(rawTrain.x, rawTrain.dim);
  const epochs = hidden.length ? 30 : 40;
  const fitted = await trainMlp(standardise(rawTrain, norm), { hidden, classes: C, epochs, learningRate: 1e-3, l2: 1e-4, dropout: 0, seed: 1 });
  const arrays = fold(fitted.arrays, norm);
  const config = { activations: fitted.activations, ...(taps ? { taps } : {}) };
  const probs = (list: LabelledImage[], view: 0 | 1) => headProbabilities(arrays, config, rowsOf(t, list, view), [rawTrain.dim]);
  const cropProbs = (list: LabelledImage[], view: 0 | 1) => headProbabilities(arrays, config, rowsOf(crop!, list, view), [rawTrain.dim]);
  return { arrays, config, kind, views: { ...wholeViews(probs), ...(crop ? { crop: evaluate(cropProbs, 0), cropMirror: evaluate(cropProbs, 1) } : {}) } };
}

function concatRows(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * A member's taps or head-input table, read from the cache once: each head kind is trained twice (candidate,
 * then refit), and the MLP candidate reads the same taps as the linear one (hundreds of MB each).
 */
const extraTables = new Map<string, Promise<FeatureTable>>();
function memberTable(m: ModelEntry, kind: FeatureKind): Promise<FeatureTable> {
  const key = `${m.id} ${JSON.stringify(kind)}`;
  if (!extraTables.has(key))
    extraTables.set(
      key,
      featureTable(
        m,
        all.map((x) => x.path),
        kind,
      ),
    );
  return extraTables.get(key)!;
}

/** Dense layers on the member's HEAD_TAPS (each pooled and L2-normalised, concatenated), trained with the crop view. */
async function multiTapHead(m: ModelEntry, trainList: LabelledImage[], kind: HeadKind, hidden: number[]): Promise<MemberResult | undefined> {
  const taps = HEAD_TAPS[m.id];
  if (!taps) return undefined;
  return denseHead(await memberTable(m, { taps }), trainList, kind, hidden, taps, await memberTable(m, { taps, crop: CROP_VIEW.box }));
}

/** The member's last 1×1 conv fine-tuned with its head, on head-input maps (scripts/lib/finetune-head.ts). */
async function fineTunedHead(m: ModelEntry, trainList: LabelledImage[]): Promise<MemberResult | undefined> {
  const backbone = await loadBackbone(m, fileReader(), new GraphCache());
  const conv =
    backbone.lastConv && backbone.featuresAndHeadInput
      ? {
          kernel: (await backbone.lastConv.kernel.data()) as Float32Array,
          bias: (await backbone.lastConv.bias.data()) as Float32Array,
          shape: backbone.lastConv.kernel.shape,
        }
      : undefined;
  backbone.dispose();
  if (!conv) return undefined;
  const channels = conv.shape[2];
  const maps = await memberTable(m, 'headInput');
  const rowLength = maps.get(trainList[0]!.path)![0].length;
  const positions = rowLength / channels;
  const trainMaps: HeadInputMaps = { x: new Float32Array(trainList.length * 2 * rowLength), n: trainList.length, positions, channels };
  trainList.forEach((x, i) => {
    const [o, mirror] = maps.get(x.path)!;
    trainMaps.x.set(o, i * 2 * rowLength);
    trainMaps.x.set(mirror, (i * 2 + 1) * rowLength);
  });
  const labels = labelsOf(trainList);
  // Stage 1: a softmax layer on the untouched conv's (standardised) features, both views.
  const pooled = pooledFeatures(trainMaps, conv.kernel, conv.bias);
  const dim = conv.bias.length;
  const norm = standardiser(pooled, dim);
  const start = await trainMlp(standardise({ x: pooled, y: Int32Array.from(Array.from(labels).flatMap((l) => [l, l])), dim }, norm), {
    hidden: [],
    classes: C,
    epochs: 40,
    learningRate: 1e-3,
    l2: 1e-4,
    dropout: 0,
    seed: 1,
  });
  // Stage 2: the conv and the softmax layer together.
  const t0 = performance.now();
  const tuned = await fineTuneHead(
    trainMaps,
    labels,
    { convKernel: conv.kernel, convBias: conv.bias, denseKernel: start.arrays[0]!.data, denseBias: start.arrays[1]!.data },
    norm,
    { classes: C, epochs: FINE_TUNE_EPOCHS, convLearningRate: 1.5e-3, headLearningRate: 3e-4, l2: 1e-4, dropout: 0.2, batch: 128, seed: 1 },
    (epoch) => console.log(`  ${m.id} fine-tuning epoch ${epoch + 1}/${FINE_TUNE_EPOCHS} (${Math.round((performance.now() - t0) / 1000)} s)`),
  );
  const arrays = fold(tuned, norm);
  const config = { activations: ['softmax'] };
  const probs = (list: LabelledImage[], view: 0 | 1) => headProbabilities(arrays, config, rowsOf(maps, list, view), [1, positions, channels]);
  return { arrays, config, kind: 'fine-tuned', views: wholeViews(probs) };
}

const valLabels = labelsOf(clothingVal);
const furnitureValLabels = labelsOf(furnitureVal);
/** How a head is chosen: the mean of its clothing-val and furniture-val top-1. */
const validationScore = (r: MemberResult) =>
  (accuracy(r.views.whole.valProbs, valLabels, C) + accuracy(r.views.whole.furnitureValProbs, furnitureValLabels, C)) / 2;
/** Trains one kind of head for a member on the given photos (undefined: this member cannot have that kind). */
const trainHead: Record<HeadKind, (m: ModelEntry, list: LabelledImage[]) => Promise<MemberResult | undefined>> = {
  linear: (m, list) => denseHead(tables.get(m.id)!, list, 'linear', []),
  'multi-tap': (m, list) => multiTapHead(m, list, 'multi-tap', []),
  'multi-tap MLP': (m, list) => multiTapHead(m, list, 'multi-tap MLP', [256]),
  'fine-tuned': fineTunedHead,
};
const headTable: Record<string, Record<string, number>> = {};
/** Each member's chosen head as trained without the furniture val (what the choice and the vote weights see). */
const chosen = new Map<string, MemberResult>();
for (const m of members) {
  const candidates: MemberResult[] = [];
  for (const kind of HEAD_KINDS) {
    const head = await trainHead[kind](m, headTrainSet);
    if (head) candidates.push(head);
  }
  for (const { kind, views } of candidates) {
    headTable[`${m.id} ${kind}`] = {
      clothingTop1: accuracy(views.whole.valProbs, valLabels, C),
      clothingTop3: accuracy(views.whole.valProbs, valLabels, C, 3),
      furnitureValTop1: accuracy(views.whole.furnitureValProbs, furnitureValLabels, C),
      furnitureTop1: accuracy(views.whole.ikeaProbs, labelsOf(ikeaTest), C),
    };
  }
  const best = candidates.reduce((a, b) => (validationScore(b) > validationScore(a) ? b : a));
  console.log(`  ${m.id}: ${candidates.map((c) => `${c.kind} ${validationScore(c).toFixed(3)}`).join(', ')} (mean val top-1) → ${best.kind}`);
  chosen.set(m.id, best);
}
console.table(headTable);

// Soft-vote weights: a grid over the simplex, maximising the mean of clothing-val and furniture-val log-likelihoods.
function vote(heads: Map<string, MemberResult>, weights: number[], pick: (r: MemberResult) => Float32Array): Float32Array {
  const parts = members.map((m) => pick(heads.get(m.id)!));
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
  const ll =
    (logLik(
      vote(chosen, w, (r) => r.views.whole.valProbs),
      valLabels,
    ) +
      logLik(
        vote(chosen, w, (r) => r.views.whole.furnitureValProbs),
        furnitureValLabels,
      )) /
    2;
  if (ll > bestLL) (bestLL = ll), (bestWeights = w);
}
const ikeaLabels = labelsOf(ikeaTest);
// The crop view, as the app applies it (workers/models/ensemble.ts): the rows whose whole-photo vote puts more
// than half its probability on CROP_VIEW.labels average each member's probabilities with the crop's.
function cropGate(wholeVote: Float32Array): boolean[] {
  return Array.from({ length: wholeVote.length / C }, (_, i) => opensCropView(CROP_VIEW, ALL_LABELS, wholeVote, i));
}
function withCropView(whole: Float32Array, crop: Float32Array, gate: boolean[]): Float32Array {
  return whole.map((v, k) => (gate[Math.floor(k / C)] ? (v + crop[k]!) / 2 : v));
}
/** The views the app may classify a photo with (manifest cropView, mirrorView). */
interface Views {
  crop: boolean;
  mirror: boolean;
}
/** A member's probabilities for the photo or its crop, averaged with the mirror image's with `mirror` (as Embedder.compute). */
function viewProbs(r: MemberResult, set: keyof EvalProbs, of: 'whole' | 'crop', mirror: boolean): Float32Array {
  const own = r.views[of]![set];
  if (!mirror) return own;
  const flipped = r.views[of === 'whole' ? 'wholeMirror' : 'cropMirror']![set];
  return own.map((v, i) => (v + flipped[i]!) / 2);
}
/** The soft vote over one evaluation set from each member's whole photo (with its mirror image with `mirror`). */
const wholeVote = (heads: Map<string, MemberResult>, set: keyof EvalProbs, mirror: boolean) =>
  vote(heads, bestWeights, (r) => viewProbs(r, set, 'whole', mirror));
/** The soft vote over one evaluation set with the given views, as workers/models/ensemble.ts computes it. */
function shippedVote(heads: Map<string, MemberResult>, set: keyof EvalProbs, views: Views): Float32Array {
  const whole = wholeVote(heads, set, views.mirror);
  return views.crop
    ? withCropView(
        whole,
        vote(heads, bestWeights, (r) => viewProbs(r, set, 'crop', views.mirror)),
        cropGate(whole),
      )
    : whole;
}
/** The validation score of the chosen heads with the given views (the mean of clothing-val and furniture-val top-1). */
const viewScore = (views: Views) =>
  (accuracy(shippedVote(chosen, 'valProbs', views), valLabels, C) + accuracy(shippedVote(chosen, 'furnitureValProbs', views), furnitureValLabels, C)) / 2;
// The crop view first, then the mirror view on top of what was decided: each ships only if it raises the score.
const canCrop = members.every((m) => chosen.get(m.id)!.views.crop);
const cropView = canCrop ? { without: viewScore({ crop: false, mirror: false }), with: viewScore({ crop: true, mirror: false }) } : undefined;
const useCropView = cropView !== undefined && cropView.with > cropView.without;
const mirrorView = { without: useCropView ? cropView.with : viewScore({ crop: false, mirror: false }), with: viewScore({ crop: useCropView, mirror: true }) };
const useMirrorView = mirrorView.with > mirrorView.without;
console.log(
  `crop view: validation score ${cropView ? `${cropView.without.toFixed(3)} without, ${cropView.with.toFixed(3)} with` : 'n/a (a chosen head reads no taps)'} → ${useCropView ? 'ships' : 'not used'}`,
);
console.log(
  `mirror view: validation score ${mirrorView.without.toFixed(3)} without, ${mirrorView.with.toFixed(3)} with → ${useMirrorView ? 'ships' : 'not used'}`,
);
const shippedViews: Views = { crop: useCropView, mirror: useMirrorView };
/** The validation scores each view was decided on (metrics.json). */
const viewDecisions = { cropView: cropView && { ...cropView, ships: useCropView }, mirrorView: { ...mirrorView, ships: useMirrorView } };
/** The soft vote's figures on held-out data: clothing val, and the held-out ikea products. */
function ensembleFigures(heads: Map<string, MemberResult>, views = shippedViews) {
  const val = shippedVote(heads, 'valProbs', views);
  return {
    clothingTop1: accuracy(val, valLabels, C),
    clothingTop3: accuracy(val, valLabels, C, 3),
    furnitureTop1: accuracy(shippedVote(heads, 'ikeaProbs', views), ikeaLabels, C),
  };
}
/** A member's own figures with the shipped views, the crop view where the ensemble's vote opens it (as `npm run eval` reports members). */
function memberFigures(heads: Map<string, MemberResult>, r: MemberResult) {
  const own = (set: keyof EvalProbs) => {
    const whole = viewProbs(r, set, 'whole', useMirrorView);
    if (!useCropView) return whole;
    return withCropView(whole, viewProbs(r, set, 'crop', useMirrorView), cropGate(wholeVote(heads, set, useMirrorView)));
  };
  return {
    clothingTop1: accuracy(own('valProbs'), valLabels, C),
    clothingTop3: accuracy(own('valProbs'), valLabels, C, 3),
    furnitureTop1: accuracy(own('ikeaProbs'), ikeaLabels, C),
  };
}
table['ensemble, heads before refit'] = ensembleFigures(chosen);

// Refit: once the kind of head and the vote weights are chosen, each chosen head is trained again on the whole
// training set (furniture val included), so no training photo is left out of what ships. Its figures are measured
// on clothing val and the held-out ikea products, which no head trains on (furniture val is no longer held out).
for (const m of members) {
  const kind = chosen.get(m.id)!.kind;
  console.log(`  ${m.id}: refitting the ${kind} head on all ${trainSet.length} training photos`);
  const refit = (await trainHead[kind](m, trainSet))!;
  results.set(m.id, refit);
}
for (const m of members) table[m.id] = memberFigures(results, results.get(m.id)!);
table.ensemble = ensembleFigures(results);
// The same heads with other views, for comparison.
for (const views of [
  { crop: false, mirror: false },
  { crop: false, mirror: true },
  { crop: true, mirror: false },
  { crop: true, mirror: true },
]) {
  if ((views.crop && !canCrop) || (views.crop === useCropView && views.mirror === useMirrorView)) continue;
  table[`ensemble, ${views.crop ? 'crop view' : 'no crop view'}, ${views.mirror ? 'mirror view' : 'no mirror view'}`] = ensembleFigures(results, views);
}
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
const disc = await trainMlp(
  { ...trainConcat, x: centered },
  { hidden: [PROJECTION_DIM - pcaDims], hiddenActivation: 'linear', classes: C, epochs: 25, learningRate: 1e-3, l2: 1e-4, dropout: 0, seed: 3 },
);
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
  const top = tf.tidy(
    () => tf.topk(tf.matMul(project(concatFeatures(clothingVal, 'orig'), kernel), project(concatFeatures(hm, 'orig'), kernel), false, true), 10).indices,
  );
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
if (!chosenAlpha)
  chosenAlpha = Number(
    Object.entries(retrieval)
      .filter(([k]) => k.startsWith('projection'))
      .sort((a, b) => b[1] - a[1])[0]![0]
      .split('=')[1],
  );
console.log(`precision@10 (clothing val → H&M): raw ${retrieval.rawConcat!.toFixed(3)}, chosen alpha ${chosenAlpha}`);

// Write artifacts.
const heads: { modelId: string; files: ArtifactFile[] }[] = [];
for (const m of members) {
  const r = results.get(m.id)!;
  const dir = `heads/${m.id}`;
  const quantization = headQuantization(m.id);
  const arrays = r.arrays.map((a) => (quantization(a) === 'uint8' ? { ...a, data: roundToFloat16(a.data) } : a));
  await writeWeightsModel(join(SHIPPED_DIR, dir), 'dense-stack', arrays, quantization, { ...r.config, labels: ALL_LABELS });
  heads.push({ modelId: m.id, files: [describeFile(`${dir}/model.json`), describeFile(`${dir}/weights.bin`)] });
}
await writeWeightsModel(
  join(SHIPPED_DIR, 'projection'),
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
  ...(useCropView ? { cropView: CROP_VIEW } : {}),
  ...(useMirrorView ? { mirrorView: true } : {}),
});
writeFileSync(
  join(REPORTS_DIR, 'metrics.json'),
  `${JSON.stringify(
    {
      ensembleId: written.ensembleId,
      classification: table,
      headCandidates: headTable,
      voteWeights: written.voteWeights,
      viewDecisions,
      retrievalPrecisionAt10: retrieval,
      counts: {
        train: trainSet.length,
        headTrain: headTrainSet.length,
        clothingVal: clothingVal.length,
        furnitureVal: furnitureVal.length,
        ikeaTest: ikeaTest.length,
      },
    },
    null,
    2,
  )}\n`,
);
// The held-out ikea products as a labels CSV, so `npm run eval` measures the furniture figure on exactly them.
writeFileSync(
  join(REPORTS_DIR, 'ikea-heldout.csv'),
  `${['path,category', ...ikeaTest.map((x) => `${relative(join(DATASETS_DIR, 'ikea'), x.path)},${x.label}`).sort()].join('\n')}\n`,
);
console.log(`wrote heads, projection, manifest (${written.ensembleId}) and the ikea held-out list`);
