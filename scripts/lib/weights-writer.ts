/**
 * Writes the Lookalike weights format (see workers/models/weights-format.ts):
 * deterministic bytes, so a rebuild reproduces the same sha256.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WeightSpec, WeightsModelJson } from '../../workers/models/weights-format.ts';

export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

export type WeightQuantization = 'float32' | 'float16' | 'uint8';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE float32 → float16 bits, round to nearest even. */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half >>> 10;
  return sign | half;
}

/** float16 bits → the number they hold. */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The values rounded to the nearest float16 (so a file quantised from them is a function of their float16 copy). */
export function roundToFloat16(data: Float32Array): Float32Array {
  return data.map((v) => float16BitsToFloat32(float32ToFloat16Bits(v)));
}

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
