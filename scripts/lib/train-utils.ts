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

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

/** Trains dense layers (ReLU hidden, softmax out); returns them as named arrays dense0…denseN. */
export async function trainMlp(data: Dataset, options: MlpOptions): Promise<{ arrays: NamedArray[]; activations: string[] }> {
  const model = tf.sequential();
  const sizes = [...options.hidden, options.classes];
  sizes.forEach((units, i) => {
    if (options.dropout > 0 && i > 0) model.add(tf.layers.dropout({ rate: options.dropout, seed: options.seed + i }));
    model.add(
      tf.layers.dense({
        units,
        activation: i === sizes.length - 1 ? 'softmax' : (options.hiddenActivation ?? 'relu'),
        useBias: i === sizes.length - 1 || options.hiddenActivation !== 'linear',
        kernelInitializer: tf.initializers.glorotUniform({ seed: options.seed + 10 * i }),
        kernelRegularizer: tf.regularizers.l2({ l2: options.l2 }),
        ...(i === 0 ? { inputShape: [data.dim] } : {}),
      }),
    );
  });
  model.compile({ optimizer: tf.train.adam(options.learningRate), loss: 'sparseCategoricalCrossentropy' });
  const n = data.y.length;
  const xs = tf.tensor2d(data.x, [n, data.dim]);
  const ys = tf.tensor1d(data.y, 'float32');
  const sw = options.sampleWeight ? tf.tensor1d(options.sampleWeight) : undefined;
  await model.fit(xs, ys, {
    epochs: options.epochs,
    batchSize: 128,
    shuffle: true,
    verbose: 0,
    ...(sw ? { sampleWeight: sw } : {}),
  });
  const arrays: NamedArray[] = [];
  const dense = model.layers.filter((l) => l.getClassName() === 'Dense');
  for (const [i, layer] of dense.entries()) {
    const [kernel, bias] = layer.getWeights();
    arrays.push({ name: `dense${i}.kernel`, shape: kernel!.shape, data: (await kernel!.data()) as Float32Array });
    const biasData = bias ? ((await bias.data()) as Float32Array) : new Float32Array(kernel!.shape[1]!);
    arrays.push({ name: `dense${i}.bias`, shape: [kernel!.shape[1]!], data: biasData });
  }
  tf.dispose([xs, ys, ...(sw ? [sw] : [])]);
  model.dispose();
  return { arrays, activations: sizes.map((_, i) => (i === sizes.length - 1 ? 'softmax' : (options.hiddenActivation ?? 'relu'))) };
}

/** Applies dense arrays (as trained above) to rows; returns probabilities n × classes. */
export function applyMlp(arrays: NamedArray[], activations: string[], x: Float32Array, n: number, dim: number): Float32Array {
  return tf.tidy(() => {
    let y: tf.Tensor2D = tf.tensor2d(x, [n, dim]);
    activations.forEach((act, i) => {
      const k = arrays.find((a) => a.name === `dense${i}.kernel`)!;
      const b = arrays.find((a) => a.name === `dense${i}.bias`)!;
      y = tf.add(tf.matMul(y, tf.tensor2d(k.data, k.shape as [number, number])), tf.tensor1d(b.data)) as tf.Tensor2D;
      y = act === 'relu' ? tf.relu(y) : act === 'softmax' ? tf.softmax(y) : y;
    });
    return y.dataSync() as Float32Array;
  });
}

export function topK(probs: Float32Array, classes: number, row: number, k: number): number[] {
  const slice = Array.from(probs.subarray(row * classes, (row + 1) * classes));
  return slice.map((p, i) => [p, i] as const).sort((a, b) => b[0] - a[0]).slice(0, k).map(([, i]) => i);
}

export function accuracy(probs: Float32Array, labels: Int32Array, classes: number, k = 1): number {
  let hit = 0;
  for (let i = 0; i < labels.length; i++) if (topK(probs, classes, i, k).includes(labels[i]!)) hit++;
  return labels.length ? hit / labels.length : 0;
}
