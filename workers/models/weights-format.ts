/**
 * The weights format for the networks we build from code (MobileNetV3-Small,
 * VGG19, category heads, projection): a `model.json` with a tfjs weights
 * manifest, plus one binary file. Decoding uses tfjs's own decoder, which
 * also de-quantises float16 and uint8 weights back to float32.
 */
import * as tf from '@tensorflow/tfjs';
import { LookalikeError } from '../../src/shared/errors.ts';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
  quantization?: { dtype: 'float16' } | { dtype: 'uint8'; min: number; scale: number };
}

export interface WeightsModelJson {
  format: 'lookalike-weights';
  formatVersion: 1;
  architecture: string;
  /** Architecture-specific settings (labels for a head, block config, …). */
  config?: Record<string, unknown>;
  weightsManifest: [{ paths: [string]; weights: WeightSpec[] }];
}

export class WeightsFormatError extends LookalikeError {
  override name = 'WeightsFormatError';
}

export function parseWeightsModelJson(json: unknown, file: string): WeightsModelJson {
  const m = json as Partial<WeightsModelJson>;
  if (m?.format !== 'lookalike-weights' || m.formatVersion !== 1 || !Array.isArray(m.weightsManifest)) {
    throw new WeightsFormatError(`${file} is not a Lookalike weights file (format version 1)`);
  }
  return m as WeightsModelJson;
}

/** Turns the binary into named tensors. The caller owns (and disposes) them. */
export function decodeNamedWeights(modelJson: WeightsModelJson, weightData: ArrayBuffer): Map<string, tf.Tensor> {
  const specs = modelJson.weightsManifest[0].weights;
  let expected = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    expected += n * (s.quantization?.dtype === 'float16' ? 2 : s.quantization?.dtype === 'uint8' ? 1 : 4);
  }
  if (weightData.byteLength !== expected) {
    throw new WeightsFormatError(`weights are ${weightData.byteLength} bytes; model.json describes ${expected}`);
  }
  const named = tf.io.decodeWeights(weightData, specs as tf.io.WeightsManifestEntry[]);
  return new Map(Object.entries(named));
}

/** Whether two tensor shapes are the same (the converters and the weight loaders check every tensor's). */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Fetches a tensor by name, failing with a clear message when a converter left it out. */
export function takeWeight(weights: Map<string, tf.Tensor>, name: string): tf.Tensor {
  const t = weights.get(name);
  if (!t) throw new WeightsFormatError(`weight "${name}" is missing`);
  return t;
}
