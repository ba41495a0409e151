/** Small training and metric helpers for the heads and the projection (tfjs on the wasm backend). */
import * as tf from '@tensorflow/tfjs';
import type { NamedArray } from './weights-writer.ts';

export interface Dataset {
  x: Float32Array; // n × dim, row-major
  y: Int32Array; // n labels
  dim: number;
}

export function stack(rows: Float32Array[], labels: number[]): Dataset {
  const dim = rows[0]?.length ?? 0;
  const x = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => x.set(r, i * dim));
  return { x, y: Int32Array.from(labels), dim };
}

import { mulberry32 as rng } from '../../src/shared/prng.ts';

export { rng };

export interface MlpOptions {
  hidden: number[]; // hidden layer sizes (empty: softmax regression)
  hiddenActivation?: 'relu' | 'linear';
  classes: number;
  epochs: number;
  learningRate: number;
  l2: number;
  dropout: number;
  seed: number;
  /** Per-sample weights (e.g. to balance sources). */
  sampleWeight?: Float32Array;
}

/**
 * Trains dense layers (hidden: ReLU or linear; output: softmax) with Adam and an L2
 * penalty in a plain tfjs loop (large batches: tfjs-layers' fit is many times slower
 * on the wasm backend). Returns them as named arrays dense0…denseN.
 */
export async function trainMlp(data: Dataset, options: MlpOptions): Promise<{ arrays: NamedArray[]; activations: string[] }> {
  const sizes = [data.dim, ...options.hidden, options.classes];
  const random = rng(options.seed);
  const hiddenAct = options.hiddenActivation ?? 'relu';
  const layers = sizes.slice(1).map((out, i) => {
    const inp = sizes[i]!;
    const limit = Math.sqrt(6 / (inp + out));
    return {
      kernel: tf.variable(
        tf.tensor2d(
          Float32Array.from({ length: inp * out }, () => (random() * 2 - 1) * limit),
          [inp, out],
        ),
      ),
      bias: tf.variable(tf.zeros([out])),
      activation: i === sizes.length - 2 ? 'softmax' : hiddenAct,
    };
  });
  const n = data.y.length;
  const xs = tf.tensor2d(data.x, [n, data.dim]);
  const ys = tf.oneHot(tf.tensor1d(data.y, 'int32'), options.classes);
  const weights = tf.tensor1d(options.sampleWeight ?? new Float32Array(n).fill(1));
  const optimizer = tf.train.adam(options.learningRate);
  const batch = 1024;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let start = 0; start < n; start += batch) {
      const idx = tf.tensor1d(order.subarray(start, Math.min(n, start + batch)), 'int32');
      optimizer.minimize(() => {
        let h: tf.Tensor2D = tf.gather(xs, idx);
        layers.forEach((l, li) => {
          h = tf.add(tf.matMul(h, l.kernel), l.bias);
          if (li < layers.length - 1 && l.activation === 'relu') h = tf.relu(h);
          if (li < layers.length - 1 && options.dropout > 0) h = tf.dropout(h, options.dropout, undefined, options.seed + epoch) as tf.Tensor2D;
        });
        const ce = tf.losses.softmaxCrossEntropy(tf.gather(ys, idx), h, tf.gather(weights, idx)) as tf.Scalar;
        const l2 = tf.addN(layers.map((l) => tf.sum(tf.square(l.kernel)))).mul(options.l2);
        return ce.add(l2) as tf.Scalar;
      });
      idx.dispose();
    }
  }
  const arrays: NamedArray[] = [];
  for (const [i, l] of layers.entries()) {
    arrays.push({ name: `dense${i}.kernel`, shape: l.kernel.shape, data: (await l.kernel.data()) as Float32Array });
    arrays.push({ name: `dense${i}.bias`, shape: l.bias.shape, data: (await l.bias.data()) as Float32Array });
  }
  tf.dispose([xs, ys, weights, ...layers.flatMap((l) => [l.kernel, l.bias])]);
  optimizer.dispose();
  return { arrays, activations: layers.map((l) => l.activation) };
}

export function topK(probs: Float32Array, classes: number, row: number, k: number): number[] {
  const slice = Array.from(probs.subarray(row * classes, (row + 1) * classes));
  return slice
    .map((p, i) => [p, i] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, k)
    .map(([, i]) => i);
}

export function accuracy(probs: Float32Array, labels: Int32Array, classes: number, k = 1): number {
  let hit = 0;
  for (let i = 0; i < labels.length; i++) if (topK(probs, classes, i, k).includes(labels[i]!)) hit++;
  return labels.length ? hit / labels.length : 0;
}
