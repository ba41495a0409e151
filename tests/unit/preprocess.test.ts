import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { cropRelative, halveForSize, toModelInput } from '../../workers/models/preprocess.ts';
import type { Normalization } from '../../src/shared/manifest.ts';

beforeAll(async () => {
  await tf.setBackend('wasm');
});

const rgb = (h: number, w: number, f: (y: number, x: number, c: number) => number) =>
  tf.tensor3d(
    Int32Array.from({ length: h * w * 3 }, (_, i) => f(Math.floor(i / 3 / w), Math.floor(i / 3) % w, i % 3)),
    [h, w, 3],
    'int32',
  );

describe('normalisation (the one preprocessing definition)', () => {
  it('ImageNet mean/std: (x/255 - mean) / std per channel', async () => {
    const img = rgb(4, 4, (_y, _x, c) => [255, 128, 0][c]!);
    const out = toModelInput(img, 4, { channelOrder: 'rgb', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    const px = (await out.data()).slice(0, 3);
    expect(out.shape).toEqual([1, 4, 4, 3]);
    expect(px[0]).toBeCloseTo((1 - 0.485) / 0.229, 4);
    expect(px[1]).toBeCloseTo((128 / 255 - 0.456) / 0.224, 4);
    expect(px[2]).toBeCloseTo((0 - 0.406) / 0.225, 4);
  });

  it('raw 0–255 input stays 0–255', async () => {
    const out = toModelInput(
      rgb(2, 2, () => 200),
      2,
      { channelOrder: 'rgb', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
    );
    expect(Array.from(await out.data())).toEqual(new Array(12).fill(200));
  });

  it("Keras 'caffe' mode: channels become BGR and the BGR means are subtracted", async () => {
    const out = toModelInput(
      rgb(1, 1, (_y, _x, c) => [10, 20, 30][c]!),
      1,
      { channelOrder: 'bgr', scale: 1, mean: [123.68, 116.779, 103.939], std: [1, 1, 1] },
    );
    const [b, g, r] = Array.from(await out.data());
    expect(b).toBeCloseTo(30 - 103.939, 3);
    expect(g).toBeCloseTo(20 - 116.779, 3);
    expect(r).toBeCloseTo(10 - 123.68, 3);
  });

  it('large photos are box-averaged before resizing (no aliasing of fine stripes)', async () => {
    // 1-pixel black/white stripes: aliasing would give a mostly black or mostly white result.
    const stripes = rgb(900, 900, (_y, x) => (x % 2 ? 255 : 0));
    const out = toModelInput(stripes, 224, { channelOrder: 'rgb', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] });
    const values = (await out.data()) as Float32Array;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const spread = values.reduce((m, v) => Math.max(m, v), -Infinity) - values.reduce((m, v) => Math.min(m, v), Infinity);
    expect(mean).toBeCloseTo(127.5, 0);
    expect(spread).toBeLessThan(2);
  });

  it('mirroring flips left and right', async () => {
    const img = rgb(1, 2, (_y, x) => (x === 0 ? 0 : 255));
    const out = toModelInput(img, 2, { channelOrder: 'rgb', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] }, true);
    const v = await out.data();
    expect(v[0]).toBeGreaterThan(v[3]!);
  });

  it('crops a relative box', () => {
    const crop = cropRelative(
      rgb(100, 200, () => 1),
      [0.25, 0.5, 0.75, 1],
    );
    expect(crop.shape).toEqual([50, 100, 3]);
  });
});

describe('large photos are halved once for every model (Embedder.compute)', () => {
  const norm: Normalization = { channelOrder: 'rgb', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

  it('halves a 12 MP-sized photo to under twice the input size, and leaves a small one alone', () => {
    const big = rgb(1008, 756, (y, x, c) => (y * 7 + x * 3 + c * 50) % 256);
    expect(tf.tidy(() => halveForSize(big, 224).shape)).toEqual([504, 378, 3]);
    const small = rgb(320, 240, () => 1);
    expect(tf.tidy(() => halveForSize(small, 224).shape)).toEqual([320, 240, 3]);
    tf.dispose([big, small]);
  });

  it('gives every model exactly the input it would make from the full photo', async () => {
    const big = rgb(1008, 756, (y, x, c) => (y * 7 + x * 3 + c * 50) % 256);
    const before = tf.memory().numTensors;
    for (const size of [224, 160]) {
      const [direct, shared] = tf.tidy(() => [toModelInput(big, size, norm), toModelInput(halveForSize(big, 224), size, norm)]);
      expect(Array.from(await shared!.data())).toEqual(Array.from(await direct!.data()));
      tf.dispose([direct!, shared!]);
    }
    expect(tf.memory().numTensors).toBe(before);
    big.dispose();
  });
});
