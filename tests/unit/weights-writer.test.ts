/**
 * The weights writer's per-array quantisation (float16, and per-tensor uint8 quantised from float16 values, as the
 * trainer ships the MobileNetV3-S head's first layer): sizes, values after loading, and that a uint8 file is a
 * function of the float16 values, so re-quantising what a float16 file holds gives the same bytes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { float16BitsToFloat32, float32ToFloat16Bits, roundToFloat16 } from '../../scripts/lib/float16.ts';
import { writeWeightsModel, type NamedArray } from '../../scripts/lib/weights-writer.ts';
import { mulberry32 } from '../../src/shared/prng.ts';
import { decodeNamedWeights, parseWeightsModelJson } from '../../workers/models/weights-format.ts';

const dir = mkdtempSync(join(tmpdir(), 'weights-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(sub: string): Map<string, tf.Tensor> {
  const json = parseWeightsModelJson(JSON.parse(readFileSync(join(dir, sub, 'model.json'), 'utf8')), 'model.json');
  const bin = readFileSync(join(dir, sub, 'weights.bin'));
  return decodeNamedWeights(json, bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
}

describe('float16 rounding', () => {
  it('turns float16 bits back into the numbers they hold (normal, subnormal, largest, signed)', () => {
    for (const [value, expected] of [
      [1, 1],
      [-2.5, -2.5],
      [0.1, 0.0999755859375],
      [65504, 65504],
      [2 ** -24, 2 ** -24],
      [0, 0],
    ] as const) {
      expect(float16BitsToFloat32(float32ToFloat16Bits(value))).toBe(expected);
    }
    expect(float16BitsToFloat32(float32ToFloat16Bits(1e6))).toBe(Infinity);
  });
});

describe('per-array quantisation', () => {
  const random = mulberry32(7);
  const big: NamedArray = { name: 'dense0.kernel', shape: [300, 40], data: Float32Array.from({ length: 12_000 }, () => (random() * 2 - 1) * 0.3) };
  const small: NamedArray = { name: 'dense0.bias', shape: [40], data: Float32Array.from({ length: 40 }, () => random() - 0.5) };
  const rule = (a: NamedArray) => (a.data.length >= 10_000 ? 'uint8' : 'float16');

  it('stores big arrays in one byte a value and small ones in two, and loads them back close to float16', async () => {
    await writeWeightsModel(join(dir, 'mixed'), 'dense-stack', [{ ...big, data: roundToFloat16(big.data) }, small], rule, { activations: ['softmax'] });
    expect(readFileSync(join(dir, 'mixed', 'weights.bin')).byteLength).toBe(12_000 + 40 * 2);
    const weights = load('mixed');
    const kernel = weights.get('dense0.kernel')!.dataSync();
    const step = 0.6 / 255;
    big.data.forEach((v, i) => expect(Math.abs(kernel[i]! - v)).toBeLessThan(step));
    const bias = weights.get('dense0.bias')!.dataSync();
    small.data.forEach((v, i) => expect(bias[i]).toBe(float16BitsToFloat32(float32ToFloat16Bits(v))));
    tf.dispose([...weights.values()]);
  });

  it('gives the same uint8 bytes from the float32 weights as from their float16 copy', async () => {
    await writeWeightsModel(join(dir, 'half'), 'dense-stack', [big], 'float16');
    const fromHalf = load('half').get('dense0.kernel')!;
    await writeWeightsModel(join(dir, 'a'), 'dense-stack', [{ ...big, data: roundToFloat16(big.data) }], 'uint8');
    await writeWeightsModel(join(dir, 'b'), 'dense-stack', [{ ...big, data: roundToFloat16(fromHalf.dataSync() as Float32Array) }], 'uint8');
    fromHalf.dispose();
    expect(readFileSync(join(dir, 'b', 'weights.bin')).equals(readFileSync(join(dir, 'a', 'weights.bin')))).toBe(true);
    expect(readFileSync(join(dir, 'b', 'model.json'), 'utf8')).toBe(readFileSync(join(dir, 'a', 'model.json'), 'utf8'));
  });
});
