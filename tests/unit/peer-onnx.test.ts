/**
 * The ONNX export of the shipped MobileNetV3-S (scripts/lib/mobilenetv3-small-onnx.ts, for the peer-engine
 * benchmark) is the same network as the app's: onnxruntime-web (its wasm build, in Node) and the app's tfjs
 * path (loadBackbone + toModelInput on the wasm backend) give the same features for the same input.
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ONNX_INPUT, ONNX_OUTPUT, transpose } from '../../scripts/lib/mobilenetv3-small-onnx.ts';
import { fileReader, useWasmBackend } from '../../scripts/lib/node-models.ts';
import { exportShippedToOnnx } from '../../scripts/lib/peer-onnx.ts';
import type { ModelEntry } from '../../src/shared/manifest.ts';
import { cosine } from '../../src/shared/vector.ts';
import type { Backbone } from '../../workers/models/backbone.ts';
import { GraphCache, loadBackbone } from '../../workers/models/load-backbone.ts';
import { toModelInput } from '../../workers/models/preprocess.ts';

/** A fixed 300×400 RGB photo-like image: smooth gradients, a disc and deterministic noise (0–255). */
function syntheticImage(seed: number): tf.Tensor3D {
  const [h, w] = [300, 400];
  const data = new Int32Array(h * w * 3);
  let s = seed;
  const noise = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24) - 128;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const inDisc = (x - 150 - seed * 20) ** 2 + (y - 160) ** 2 < 90 ** 2;
      const base = [(x / w) * 255, (y / h) * 255, inDisc ? 230 : 40 + seed * 30];
      for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(base[c]! + noise() * 0.1)));
    }
  return tf.tensor3d(data, [h, w, 3], 'int32');
}

describe('transpose (the export re-lays out kernels with it)', () => {
  it('moves axes: a tfjs [kh, kw, in, out] kernel becomes ONNX [out, in, kh, kw]', () => {
    const hwio = { shape: [2, 1, 3, 2], values: Float32Array.from({ length: 12 }, (_, i) => i) };
    const oihw = transpose(hwio, [3, 2, 0, 1]);
    expect(oihw.shape).toEqual([2, 3, 2, 1]);
    // oihw[o][i][y][0] = hwio[y][0][i][o] = y*6 + i*2 + o
    for (let o = 0; o < 2; o++) for (let i = 0; i < 3; i++) for (let y = 0; y < 2; y++) expect(oihw.values[((o * 3 + i) * 2 + y) * 1]).toBe(y * 6 + i * 2 + o);
  });
});

describe('the ONNX export of MobileNetV3-S is the app’s network', () => {
  let backbone: Backbone;
  let entry: ModelEntry;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    await useWasmBackend();
    const exported = await exportShippedToOnnx();
    entry = exported.entry;
    backbone = await loadBackbone(entry, fileReader(), new GraphCache());
    ort.env.wasm.numThreads = 1;
    session = await ort.InferenceSession.create(exported.bytes, { executionProviders: ['wasm'] });
  });

  afterAll(async () => {
    backbone?.dispose();
    await session?.release();
  });

  /** Both engines on one photo: the app's preprocessed NHWC batch for tfjs, the same values as NCHW for onnxruntime. */
  async function bothEngines(seed: number): Promise<{ ours: Float32Array; theirs: Float32Array }> {
    const image = syntheticImage(seed);
    const batch = tf.tidy(() => toModelInput(image, entry.inputSize, entry.normalization));
    const nchw = tf.tidy(() => tf.transpose(batch, [0, 3, 1, 2]));
    const features = tf.tidy(() => backbone.features(batch));
    const ours = (await features.data()) as Float32Array;
    const input = new ort.Tensor('float32', (await nchw.data()) as Float32Array, nchw.shape);
    const output = (await session.run({ [ONNX_INPUT]: input }))[ONNX_OUTPUT]!;
    expect(output.dims).toEqual(features.shape);
    tf.dispose([image, batch, nchw, features]);
    return { ours, theirs: output.data as Float32Array };
  }

  it('gives the same features as the tfjs member (cosine ≥ 0.9999) on two photos, and different ones for different photos', async () => {
    const a = await bothEngines(1);
    const b = await bothEngines(2);
    expect(a.ours.length).toBe(576);
    expect(cosine(a.ours, a.theirs)).toBeGreaterThanOrEqual(0.9999);
    expect(cosine(b.ours, b.theirs)).toBeGreaterThanOrEqual(0.9999);
    // The comparison can tell networks apart: two photos give features further apart than the engines do.
    expect(cosine(a.ours, b.ours)).toBeLessThan(0.999);
    const maxAbs = Math.max(...a.ours.map((v) => Math.abs(v)));
    const maxDiff = Math.max(...a.ours.map((v, i) => Math.abs(v - a.theirs[i]!)));
    expect(maxDiff).toBeLessThan(1e-3 * Math.max(1, maxAbs));
  });
});
