/**
 * Fine-tunes a member's last 1×1 conv together with its category head, on cached
 * head-input maps (tfjs, wasm backend). The head is
 *   map [h·w, c] → 1×1 conv (a copy of the backbone's, trained) → hard-swish → mean
 *   → standardise (fixed: the training statistics of the untouched conv) → dropout → softmax layer,
 * returned unfolded: the caller folds the standardisation into dense0 before shipping it,
 * started from the backbone's conv and a softmax layer already fitted on the untouched conv's
 * features. Each epoch sees every training photo once, as itself or its mirror image (seeded).
 * The backbone itself is not changed, so the retrieval embedding and catalogs are unaffected.
 */
import * as tf from '@tensorflow/tfjs';
import { hardSwish } from '../../workers/models/activations.ts';
import { rng } from './train-utils.ts';
import type { NamedArray } from './weights-writer.ts';

export interface HeadInputMaps {
  /** n photos × 2 views (photo, mirror image) × positions × channels, row-major. */
  x: Float32Array;
  n: number;
  positions: number;
  channels: number;
}

export interface FineTuneOptions {
  classes: number;
  epochs: number;
  convLearningRate: number;
  headLearningRate: number;
  /** L2 penalty on the softmax layer and on the conv's distance from where it started. */
  l2: number;
  dropout: number;
  batch: number;
  seed: number;
}

export interface Standardiser {
  mean: Float32Array;
  inv: Float32Array;
}

/** The untouched conv's pooled features of every photo and view: [n·2, d]. */
export function pooledFeatures(maps: HeadInputMaps, kernel: Float32Array, bias: Float32Array): Float32Array {
  const d = bias.length;
  const rows = maps.n * 2;
  const out = new Float32Array(rows * d);
  const k = tf.tensor2d(kernel, [maps.channels, d]);
  const b = tf.tensor1d(bias);
  const chunk = 256;
  for (let r = 0; r < rows; r += chunk) {
    const m = Math.min(chunk, rows - r);
    const pooled = tf.tidy(() => {
      const x = tf.tensor2d(maps.x.subarray(r * maps.positions * maps.channels, (r + m) * maps.positions * maps.channels), [m * maps.positions, maps.channels]);
      return tf.mean(tf.reshape(hardSwish(tf.add(tf.matMul(x, k), b)), [m, maps.positions, d]), 1);
    });
    out.set(pooled.dataSync(), r * d);
    pooled.dispose();
  }
  tf.dispose([k, b]);
  return out;
}

export async function fineTuneHead(
  maps: HeadInputMaps,
  labels: Int32Array,
  start: { convKernel: Float32Array; convBias: Float32Array; denseKernel: Float32Array; denseBias: Float32Array },
  standardiser: Standardiser,
  options: FineTuneOptions,
  onEpoch?: (epoch: number) => void,
): Promise<NamedArray[]> {
  const { n, positions: hw, channels: c } = maps;
  const d = start.convBias.length;
  const random = rng(options.seed);
  const xs = tf.tensor2d(maps.x, [n * 2, hw * c]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), options.classes));
  const k0 = tf.tensor2d(start.convKernel, [c, d]);
  // tidy frees each initial value; the variables themselves are kept.
  const variable = (make: () => tf.Tensor) => tf.tidy(() => tf.variable(make()));
  const convKernel = variable(() => k0.clone());
  const convBias = variable(() => tf.tensor1d(start.convBias));
  const denseKernel = variable(() => tf.tensor2d(start.denseKernel, [d, options.classes]));
  const denseBias = variable(() => tf.tensor1d(start.denseBias));
  const mean = tf.tensor1d(standardiser.mean);
  const inv = tf.tensor1d(standardiser.inv);
  const convOptimizer = tf.train.adam(options.convLearningRate);
  const headOptimizer = tf.train.adam(options.headLearningRate);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let step = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let s = 0; s < n; s += options.batch) {
      const photos = order.subarray(s, Math.min(n, s + options.batch));
      const rows = tf.tensor1d(
        Int32Array.from(photos, (p) => p * 2 + (random() < 0.5 ? 0 : 1)),
        'int32',
      );
      const batchLabels = tf.tensor1d(photos, 'int32');
      const m = photos.length;
      const seed = options.seed + ++step;
      const { value, grads } = tf.variableGrads(() => {
        const x = tf.reshape(tf.gather(xs, rows), [m * hw, c]);
        const pooled = tf.mean(tf.reshape(hardSwish(tf.add(tf.matMul(x, convKernel), convBias)), [m, hw, d]), 1);
        const z = tf.dropout(tf.mul(tf.sub(pooled, mean), inv), options.dropout, undefined, seed);
        const logits = tf.add(tf.matMul(z, denseKernel), denseBias);
        const ce = tf.losses.softmaxCrossEntropy(tf.gather(ys, batchLabels), logits) as tf.Scalar;
        const penalty = tf.add(tf.sum(tf.square(denseKernel)), tf.sum(tf.square(tf.sub(convKernel, k0))));
        return tf.add(ce, tf.mul(penalty, options.l2)) as tf.Scalar;
      });
      const named = (vars: tf.Variable[]) => vars.map((v) => ({ name: v.name, tensor: grads[v.name]! }));
      convOptimizer.applyGradients(named([convKernel, convBias]));
      headOptimizer.applyGradients(named([denseKernel, denseBias]));
      tf.dispose([value, rows, batchLabels, ...Object.values(grads)]);
    }
    onEpoch?.(epoch);
  }
  const arrays: NamedArray[] = [
    { name: 'conv.kernel', shape: [c, d], data: (await convKernel.data()) as Float32Array },
    { name: 'conv.bias', shape: [d], data: (await convBias.data()) as Float32Array },
    { name: 'dense0.kernel', shape: [d, options.classes], data: (await denseKernel.data()) as Float32Array },
    { name: 'dense0.bias', shape: [options.classes], data: (await denseBias.data()) as Float32Array },
  ];
  tf.dispose([xs, ys, k0, convKernel, convBias, denseKernel, denseBias, mean, inv]);
  convOptimizer.dispose();
  headOptimizer.dispose();
  return arrays;
}
