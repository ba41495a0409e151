/**
 * Writes the Lookalike weights format (see workers/models/weights-format.ts):
 * deterministic bytes, so a rebuild reproduces the same sha256.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WeightSpec, WeightsModelJson } from '../../workers/models/weights-format.ts';
import { float32ToFloat16Bits } from './float16.ts';

export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

export type WeightQuantization = 'float32' | 'float16' | 'uint8';

function encode(array: NamedArray, quantization: WeightQuantization): { spec: WeightSpec; bytes: Uint8Array } {
  const expected = array.shape.reduce((a, b) => a * b, 1);
  if (expected !== array.data.length) throw new Error(`${array.name}: shape ${array.shape} needs ${expected} values, got ${array.data.length}`);
  const base = { name: array.name, shape: array.shape, dtype: 'float32' as const };
  if (quantization === 'float16') {
    const out = new Uint16Array(array.data.length);
    for (let i = 0; i < out.length; i++) out[i] = float32ToFloat16Bits(array.data[i]!);
    return { spec: { ...base, quantization: { dtype: 'float16' } }, bytes: new Uint8Array(out.buffer) };
  }
  if (quantization === 'uint8') {
    let min = Infinity;
    let max = -Infinity;
    for (const v of array.data) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const scale = max > min ? (max - min) / 255 : 1;
    const out = new Uint8Array(array.data.length);
    for (let i = 0; i < out.length; i++) out[i] = Math.round((array.data[i]! - min) / scale);
    return { spec: { ...base, quantization: { dtype: 'uint8', min, scale } }, bytes: out };
  }
  return { spec: base, bytes: new Uint8Array(array.data.buffer.slice(array.data.byteOffset, array.data.byteOffset + array.data.byteLength)) };
}

/** Writes `<dir>/model.json` and `<dir>/weights.bin`; returns both paths. */
export async function writeWeightsModel(
  dir: string,
  architecture: string,
  arrays: NamedArray[],
  quantization: WeightQuantization | ((array: NamedArray) => WeightQuantization),
  config?: Record<string, unknown>,
): Promise<{ modelJson: string; weightsBin: string }> {
  await mkdir(dir, { recursive: true });
  const encoded = arrays.map((a) => encode(a, typeof quantization === 'function' ? quantization(a) : quantization));
  const total = encoded.reduce((n, e) => n + e.bytes.byteLength, 0);
  const bin = new Uint8Array(total);
  let offset = 0;
  for (const e of encoded) {
    bin.set(e.bytes, offset);
    offset += e.bytes.byteLength;
  }
  const json: WeightsModelJson = {
    format: 'lookalike-weights',
    formatVersion: 1,
    architecture,
    ...(config ? { config } : {}),
    weightsManifest: [{ paths: ['weights.bin'], weights: encoded.map((e) => e.spec) }],
  };
  const modelJson = join(dir, 'model.json');
  const weightsBin = join(dir, 'weights.bin');
  await writeFile(modelJson, JSON.stringify(json));
  await writeFile(weightsBin, bin);
  return { modelJson, weightsBin };
}
