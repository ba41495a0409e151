/**
 * Exact cosine top-K on the active tfjs backend (WebGPU/WebGL in the browser,
 * wasm/cpu in Node): the catalog is uploaded once as one float32 [N, d] matrix
 * (int8 codes × per-vector scale), and each query is one matMul + topk.
 * A filter becomes an additive mask (0 or −1e9) kept on the device while the
 * same mask object is reused. Results are read with `await data()`; every
 * tensor is disposed (tf.memory().numTensors is the same after each query).
 */
import * as tf from '@tensorflow/tfjs';
import type { Shard } from '../../src/shared/catalog-shards.ts';
import { countAllowed } from './filter.ts';
import type { Scored } from './top-k.ts';

const MASKED = -1e9;

export class GpuSearch {
  private maskKey: Uint8Array | undefined;
  private maskBias: tf.Tensor2D | undefined;
  private disposed = false;

  private constructor(
    /** [N, d], row i = item i dequantised. */
    private readonly matrix: tf.Tensor2D,
    readonly count: number,
    readonly dimension: number,
  ) {}

  /** Uploads the shards (one shard's floats at a time on the JS side). */
  static create(shards: readonly Shard[]): GpuSearch {
    if (shards.length === 0) throw new RangeError('the catalog has no shards to search');
    const dimension = shards[0]!.dimension;
    const count = shards.reduce((n, s) => n + s.count, 0);
    const parts: tf.Tensor2D[] = [];
    try {
      for (const shard of shards) {
        if (shard.dimension !== dimension) throw new RangeError(`shards of different dimensions (${dimension} and ${shard.dimension})`);
        if (shard.count === 0) continue;
        const floats = new Float32Array(shard.count * dimension);
        for (let i = 0; i < shard.count; i++) {
          const s = shard.scales[i]!;
          const base = i * dimension;
          for (let j = 0; j < dimension; j++) floats[base + j] = s * shard.codes[base + j]!;
        }
        parts.push(tf.tensor2d(floats, [shard.count, dimension], 'float32'));
      }
      const matrix = parts.length === 1 ? parts.pop()! : parts.length === 0 ? (tf.zeros([0, dimension]) as tf.Tensor2D) : tf.concat(parts, 0);
      return new GpuSearch(matrix, count, dimension);
    } finally {
      tf.dispose(parts);
    }
  }

  /** Bytes the catalog matrix takes on the device. */
  get deviceBytes(): number {
    return this.count * this.dimension * 4;
  }

  async search(query: Float32Array, k: number, mask?: Uint8Array): Promise<Scored[]> {
    if (this.disposed) throw new Error('this search index was disposed');
    if (query.length !== this.dimension) throw new RangeError(`the query has ${query.length} values but the catalog's vectors have ${this.dimension}`);
    if (mask !== undefined && mask.length !== this.count) throw new RangeError(`the filter mask has ${mask.length} entries for ${this.count} items`);
    const kk = Math.min(k, countAllowed(mask, this.count));
    if (kk <= 0) return [];
    const bias = mask ? this.biasFor(mask) : undefined;
    const { values, indices } = tf.tidy(() => {
      const q = tf.tensor2d(query, [1, this.dimension], 'float32');
      let scores = tf.matMul(q, this.matrix, false, true);
      if (bias) scores = tf.add(scores, bias);
      return tf.topk(scores.reshape([this.count]), kk, true);
    });
    try {
      const [v, i] = await Promise.all([values.data(), indices.data()]);
      const out: Scored[] = [];
      for (let r = 0; r < kk; r++) out.push({ index: i[r]!, score: v[r]! });
      return out;
    } finally {
      values.dispose();
      indices.dispose();
    }
  }

  /** The mask as a device tensor, uploaded again only when a different mask object comes. */
  private biasFor(mask: Uint8Array): tf.Tensor2D {
    if (this.maskKey === mask && this.maskBias) return this.maskBias;
    this.maskBias?.dispose();
    const bias = new Float32Array(this.count);
    for (let i = 0; i < this.count; i++) if (mask[i] === 0) bias[i] = MASKED;
    this.maskBias = tf.tensor2d(bias, [1, this.count], 'float32');
    this.maskKey = mask;
    return this.maskBias;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.matrix.dispose();
    this.maskBias?.dispose();
    this.maskBias = undefined;
    this.maskKey = undefined;
  }
}
