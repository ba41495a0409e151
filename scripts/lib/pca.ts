/** Principal components by orthogonal (subspace) iteration on the covariance, with tfjs. */
import * as tf from '@tensorflow/tfjs';
import { rng } from './train-utils.ts';

export interface Pca {
  mean: Float32Array;
  /** dim × k, columns are unit principal directions, largest variance first. */
  components: Float32Array;
  variances: Float32Array;
}

export function pca(x: Float32Array, n: number, dim: number, k: number, iterations = 40): Pca {
  return tf.tidy(() => {
    const X = tf.tensor2d(x, [n, dim]);
    const mean = X.mean(0);
    const C = tf.matMul(X.sub(mean), X.sub(mean), true, false).div(n - 1) as tf.Tensor2D;
    const random = rng(7);
    let Q = tf.tensor2d(
      Float32Array.from({ length: dim * k }, () => random() - 0.5),
      [dim, k],
    );
    for (let i = 0; i < iterations; i++) Q = orthonormalize(tf.matMul(C, Q));
    const variances = tf.sum(tf.mul(Q, tf.matMul(C, Q)), 0);
    return { mean: mean.dataSync() as Float32Array, components: Q.dataSync() as Float32Array, variances: variances.dataSync() as Float32Array };
  });
}

/** Modified Gram–Schmidt on the columns. */
function orthonormalize(A: tf.Tensor2D): tf.Tensor2D {
  const [dim, k] = A.shape;
  const a = A.arraySync();
  const cols: number[][] = Array.from({ length: k }, (_, j) => a.map((row) => row[j]!));
  for (let j = 0; j < k; j++) {
    for (let p = 0; p < j; p++) {
      let d = 0;
      for (let i = 0; i < dim; i++) d += cols[j]![i]! * cols[p]![i]!;
      for (let i = 0; i < dim; i++) cols[j]![i]! -= d * cols[p]![i]!;
    }
    let norm = 0;
    for (let i = 0; i < dim; i++) norm += cols[j]![i]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < dim; i++) cols[j]![i]! /= norm;
  }
  const out = new Float32Array(dim * k);
  for (let i = 0; i < dim; i++) for (let j = 0; j < k; j++) out[i * k + j] = cols[j]![i]!;
  return tf.tensor2d(out, [dim, k]);
}
