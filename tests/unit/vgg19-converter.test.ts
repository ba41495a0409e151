/**
 * scripts/lib/vgg19-converter.ts + workers/models/vgg19.ts against a synthetic Keras
 * VGG19 notop HDF5: Keras's layer names, groups, `layer_names`/`weight_names`
 * attributes and full weight shapes, with seeded random (He-scaled) weights.
 * The network's output is checked against a plain float64 JavaScript
 * implementation computed here from the arrays written to the file (not via tfjs).
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import h5wasm, { type Group } from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertVgg19, Vgg19ConversionError } from '../../scripts/lib/vgg19-converter.ts';
import type { ModelEntry } from '../../src/shared/manifest.ts';
import type { Backbone } from '../../workers/models/backbone.ts';
import { toModelInput } from '../../workers/models/preprocess.ts';
import { createVgg19, VGG19_CONV_LAYERS, VGG19_NORMALIZATION, type Vgg19ConvLayer } from '../../workers/models/vgg19.ts';
import { decodeNamedWeights, parseWeightsModelJson } from '../../workers/models/weights-format.ts';
import { mulberry32 as prng } from '../../src/shared/prng.ts';

// ---------------------------------------------------------------- test data

interface LayerWeights {
  layer: Vgg19ConvLayer;
  /** HWIO, [3, 3, in, out]. */
  kernel: Float32Array;
  bias: Float32Array;
}

/** He-uniform kernels (keeps activations at a steady scale through 16 ReLU layers) and clearly non-zero biases. */
function randomWeights(seed: number): LayerWeights[] {
  const rand = prng(seed);
  return VGG19_CONV_LAYERS.map((layer) => {
    const limit = Math.sqrt(6 / (9 * layer.inChannels));
    const kernel = new Float32Array(9 * layer.inChannels * layer.outChannels);
    for (let i = 0; i < kernel.length; i++) kernel[i] = (2 * rand() - 1) * limit;
    const bias = new Float32Array(layer.outChannels);
    for (let i = 0; i < bias.length; i++) bias[i] = (2 * rand() - 1) * 20;
    return { layer, kernel, bias };
  });
}

interface H5Options {
  /** 'keras1': datasets `block1_conv1_W_1:0` in the layer group (the keras-applications release files);
   *  'keras2': `block1_conv1/kernel:0` nested in the layer group. */
  style: 'keras1' | 'keras2';
  omit?: string;
  /** Adds tiny stand-ins for the `_top` variant's classifier layers. */
  top?: boolean;
  /** Writes kernels as [out, in, h, w], like the Theano-ordering files. */
  theano?: boolean;
  /** Only these conv layers (default: all 16). */
  only?: string[];
}

const strAttr = (g: Group, name: string, values: string[]): void => {
  const width = Math.max(1, ...values.map((v) => v.length));
  g.create_attribute(name, values, [values.length], `S${width}`);
};

function toOihw(k: Float32Array, cin: number, cout: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let ky = 0; ky < 3; ky++)
    for (let kx = 0; kx < 3; kx++)
      for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) out[((o * cin + i) * 3 + ky) * 3 + kx] = k[((ky * 3 + kx) * cin + i) * cout + o]!;
  return out;
}

/** Writes a Keras-layout weights file like `model.save_weights('x.h5')` / the keras-applications release. */
function writeKerasH5(path: string, weights: LayerWeights[], opts: H5Options): void {
  const convs = weights.filter((w) => w.layer.name !== opts.omit && (!opts.only || opts.only.includes(w.layer.name)));
  const layerNames: string[] = ['input_1'];
  for (const w of convs) {
    layerNames.push(w.layer.name);
    const next = VGG19_CONV_LAYERS[VGG19_CONV_LAYERS.indexOf(w.layer) + 1];
    if (!next || next.block !== w.layer.block) layerNames.push(`block${w.layer.block}_pool`);
  }
  if (opts.top) layerNames.push('flatten', 'fc1', 'fc2', 'predictions');

  const f = new h5wasm.File(path, 'w');
  try {
    strAttr(f, 'layer_names', layerNames);
    f.create_attribute('backend', opts.theano ? 'theano' : 'tensorflow');
    f.create_attribute('keras_version', opts.style === 'keras1' ? '1.1.0' : '2.2.4');
    for (const name of layerNames) {
      const g = f.create_group(name);
      const conv = convs.find((w) => w.layer.name === name);
      const dense = opts.top && ['fc1', 'fc2', 'predictions'].includes(name);
      if (!conv && !dense) {
        g.create_attribute('weight_names', [], [0], 'S1');
        continue;
      }
      const [wName, bName] = opts.style === 'keras1' ? [`${name}_W_1:0`, `${name}_b_1:0`] : [`${name}/kernel:0`, `${name}/bias:0`];
      strAttr(g, 'weight_names', [wName, bName]);
      const parent = opts.style === 'keras1' ? g : g.create_group(name);
      const leaf = (n: string): string => n.slice(n.lastIndexOf('/') + 1);
      if (conv) {
        const { inChannels: cin, outChannels: cout } = conv.layer;
        const kernel = opts.theano ? toOihw(conv.kernel, cin, cout) : conv.kernel;
        const shape = opts.theano ? [cout, cin, 3, 3] : [3, 3, cin, cout];
        parent.create_dataset({ name: leaf(wName), data: kernel, shape, dtype: '<f' });
        parent.create_dataset({ name: leaf(bName), data: conv.bias, shape: [cout], dtype: '<f' });
      } else {
        parent.create_dataset({ name: leaf(wName), data: new Float32Array(4), shape: [2, 2], dtype: '<f' });
        parent.create_dataset({ name: leaf(bName), data: new Float32Array(2), shape: [2], dtype: '<f' });
      }
    }
  } finally {
    f.close();
  }
}

// ------------------------------------------------- float64 reference network

interface Fmap {
  h: number;
  w: number;
  c: number;
  /** HWC */
  data: Float64Array;
}

function conv3x3SameRelu(x: Fmap, kernel: Float32Array, bias: Float32Array, cout: number): Fmap {
  const { h, w, c: cin } = x;
  const out = new Float64Array(h * w * cout);
  const acc = new Float64Array(cout);
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      for (let o = 0; o < cout; o++) acc[o] = bias[o]!;
      for (let ky = 0; ky < 3; ky++) {
        const iy = y + ky - 1;
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < 3; kx++) {
          const ix = xx + kx - 1;
          if (ix < 0 || ix >= w) continue;
          const inBase = (iy * w + ix) * cin;
          for (let i = 0; i < cin; i++) {
            const v = x.data[inBase + i]!;
            if (v === 0) continue;
            const kBase = ((ky * 3 + kx) * cin + i) * cout;
            for (let o = 0; o < cout; o++) acc[o] += v * kernel[kBase + o]!;
          }
        }
      }
      const outBase = (y * w + xx) * cout;
      for (let o = 0; o < cout; o++) out[outBase + o] = Math.max(acc[o]!, 0);
    }
  }
  return { h, w, c: cout, data: out };
}

function maxPool2x2(x: Fmap): Fmap {
  const h = Math.floor(x.h / 2);
  const w = Math.floor(x.w / 2);
  const out = new Float64Array(h * w * x.c);
  for (let y = 0; y < h; y++)
    for (let xx = 0; xx < w; xx++)
      for (let c = 0; c < x.c; c++) {
        let m = -Infinity;
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) m = Math.max(m, x.data[((2 * y + dy) * x.w + 2 * xx + dx) * x.c + c]!);
        out[(y * w + xx) * x.c + c] = m;
      }
  return { h, w, c: x.c, data: out };
}

function referenceFeatures(image: Fmap, weights: LayerWeights[]): Float64Array {
  let x = image;
  weights.forEach(({ layer, kernel, bias }, i) => {
    x = conv3x3SameRelu(x, kernel, bias, layer.outChannels);
    const next = weights[i + 1];
    if (!next || next.layer.block !== layer.block) x = maxPool2x2(x);
  });
  const mean = new Float64Array(x.c);
  for (let p = 0; p < x.h * x.w; p++) for (let c = 0; c < x.c; c++) mean[c]! += x.data[p * x.c + c]! / (x.h * x.w);
  return mean;
}

// -------------------------------------------------------------------- helpers

const ENTRY: ModelEntry = {
  id: 'vgg19',
  name: 'VGG19 (Keras ImageNet weights)',
  architecture: 'vgg19-keras',
  role: 'backbone',
  files: [],
  inputSize: 224,
  normalization: VGG19_NORMALIZATION,
  featureDim: 512,
  weightDtype: 'float16',
  licence: 'CC BY 4.0',
  source: 'test',
  optional: true,
};

async function loadConverted(dir: string): Promise<Map<string, tf.Tensor>> {
  const json = parseWeightsModelJson(JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')), 'model.json');
  const bin = await readFile(join(dir, 'weights.bin'));
  return decodeNamedWeights(json, bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer);
}

/** Bit-for-bit equal (vitest's deep equality is far too slow on millions of values). */
function sameValues(a: ArrayLike<number>, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function forward(model: Backbone, x: tf.Tensor4D): Promise<Float32Array> {
  const y = tf.tidy(() => model.features(x));
  try {
    expect(y.shape).toEqual([x.shape[0], 512]);
    return (await y.data()) as Float32Array;
  } finally {
    y.dispose();
  }
}

/** max |a - r| / max |r| and ||a - r|| / ||r|| over all values. */
function errors(actual: Float32Array, reference: Float64Array[]): { maxRel: number; normRel: number } {
  let maxDiff = 0;
  let maxRef = 0;
  let sqDiff = 0;
  let sqRef = 0;
  reference.forEach((ref, n) =>
    ref.forEach((r, c) => {
      const d = Math.abs(actual[n * ref.length + c]! - r);
      maxDiff = Math.max(maxDiff, d);
      maxRef = Math.max(maxRef, Math.abs(r));
      sqDiff += d * d;
      sqRef += r * r;
    }),
  );
  return { maxRel: maxDiff / maxRef, normRel: Math.sqrt(sqDiff / sqRef) };
}

// ---------------------------------------------------------------------- tests

const N = 2;
const H = 32;
const W = 64; // → 1×2 after block5_pool, so the global average pool really averages
const PARAMS = VGG19_CONV_LAYERS.reduce((n, l) => n + 9 * l.inChannels * l.outChannels + l.outChannels, 0);

describe('VGG19 converter and backbone', () => {
  let dir = '';
  let weights: LayerWeights[] = [];
  let input: Float32Array;
  let reference: Float64Array[] = [];
  const timings: string[] = [];

  const timed = async <T>(label: string, fn: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const result = await fn();
    timings.push(`${label} ${(performance.now() - t0).toFixed(0)} ms`);
    return result;
  };

  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    await h5wasm.ready;
    dir = await mkdtemp(join(tmpdir(), 'vgg19-test-'));
    weights = await timed('random weights', () => randomWeights(19));
    await timed('write keras1 h5', () => writeKerasH5(join(dir, 'notop-keras1.h5'), weights, { style: 'keras1' }));
    // Caffe-preprocessed pixels: 0–255 minus the ImageNet means.
    const rand = prng(7);
    input = new Float32Array(N * H * W * 3);
    for (let i = 0; i < input.length; i++) input[i] = rand() * 255 - [103.939, 116.779, 123.68][i % 3]!;
    reference = await timed('float64 reference', () =>
      Array.from({ length: N }, (_, n) =>
        referenceFeatures({ h: H, w: W, c: 3, data: Float64Array.from(input.subarray(n * H * W * 3, (n + 1) * H * W * 3)) }, weights),
      ),
    );
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    console.log(`vgg19 timings: ${timings.join(', ')}`);
  });

  it('the reference is not degenerate (the comparison means something)', () => {
    for (const ref of reference) {
      expect(ref.length).toBe(512);
      expect(ref.filter((v) => v > 0).length).toBeGreaterThan(100);
    }
    const [a, b] = reference as [Float64Array, Float64Array];
    const diff = Math.hypot(...a.map((v, i) => v - b[i]!));
    expect(diff / Math.hypot(...a)).toBeGreaterThan(0.05);
  });

  it('float32: weights round-trip exactly and features match the float64 reference to 1e-4', async () => {
    const out = join(dir, 'f32');
    const result = await timed('convert float32', () => convertVgg19(join(dir, 'notop-keras1.h5'), out, 'float32'));
    expect(result.featureDim).toBe(512);
    expect(result.normalization).toEqual(VGG19_NORMALIZATION);
    expect(result.kerasReleaseFile).toBe(false);
    expect(result.notes.join()).toMatch(/not byte-identical/);
    expect((await stat(join(out, 'weights.bin'))).size).toBe(PARAMS * 4);
    const json = JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as { architecture: string; config: { sourceSha256: string } };
    expect(json.architecture).toBe('vgg19-keras');
    expect(json.config.sourceSha256).toMatch(/^[0-9a-f]{64}$/);

    const named = await loadConverted(out);
    for (const w of weights) {
      expect(sameValues(named.get(`${w.layer.name}/kernel`)!.dataSync(), w.kernel), `${w.layer.name} kernel`).toBe(true);
      expect(sameValues(named.get(`${w.layer.name}/bias`)!.dataSync(), w.bias), `${w.layer.name} bias`).toBe(true);
    }
    const model = createVgg19(ENTRY, named);
    const x = tf.tensor4d(input, [N, H, W, 3]);
    const features = await timed('tfjs forward float32', () => forward(model, x));
    expect(features.length).toBe(N * 512);
    const err = errors(features, reference);
    timings.push(`float32 error maxRel ${err.maxRel.toExponential(2)} normRel ${err.normRel.toExponential(2)}`);
    expect(err.maxRel).toBeLessThan(1e-4);
    expect(err.normRel).toBeLessThan(1e-4);

    // No tensors leak across repeated calls (beyond the result, which the caller disposes),
    // and dispose() frees all 32 weights.
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const y = tf.tidy(() => model.features(x));
      expect(tf.memory().numTensors).toBe(before + 1);
      y.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    const beforeDispose = tf.memory().numTensors;
    model.dispose();
    expect(tf.memory().numTensors).toBe(beforeDispose - 32);
  });

  it('float16: half the bytes, features within 0.5% of the float64 reference', async () => {
    const out = join(dir, 'f16');
    const result = await timed('convert float16', () => convertVgg19(join(dir, 'notop-keras1.h5'), out));
    expect(result.quantization).toBe('float16');
    expect((await stat(join(out, 'weights.bin'))).size).toBe(PARAMS * 2);
    const model = createVgg19(ENTRY, await loadConverted(out));
    const x = tf.tensor4d(input, [N, H, W, 3]);
    const features = await timed('tfjs forward float16', () => forward(model, x));
    x.dispose();
    model.dispose();
    const err = errors(features, reference);
    timings.push(`float16 error maxRel ${err.maxRel.toExponential(2)} normRel ${err.normRel.toExponential(2)}`);
    // Float16 rounds each weight by up to 2^-11 relative; measured ~5e-4 here. A wrong
    // layout, a swapped layer or a dropped bias gives errors of order 1.
    expect(err.normRel).toBeLessThan(5e-3);
    expect(err.maxRel).toBeLessThan(1e-2);
  });

  it('reads the newer `layer/kernel:0` naming and the `_top` variant to the same bytes', async () => {
    const h5 = join(dir, 'top-keras2.h5');
    await timed('write keras2 top h5', () => writeKerasH5(h5, weights, { style: 'keras2', top: true }));
    const out = join(dir, 'keras2');
    const result = await timed('convert keras2 float32', () => convertVgg19(h5, out, 'float32'));
    expect(result.notes.join()).toMatch(/_top/);
    const [a, b] = await Promise.all([readFile(join(out, 'weights.bin')), readFile(join(dir, 'f32', 'weights.bin'))]);
    expect(a.equals(b)).toBe(true);
  });

  it('names the missing layer', async () => {
    const h5 = join(dir, 'missing.h5');
    await timed('write missing-layer h5', () => writeKerasH5(h5, weights, { style: 'keras2', omit: 'block4_conv3' }));
    const err = await convertVgg19(h5, join(dir, 'missing')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Vgg19ConversionError);
    const message = (err as Error).message;
    expect(message).toMatch(/block4_conv3: missing/);
    expect(message).not.toMatch(/block4_conv2|block4_conv4|block5_conv1/);
  });

  it('recognises a Theano-ordering file', async () => {
    const h5 = join(dir, 'theano.h5');
    writeKerasH5(h5, weights, { style: 'keras1', theano: true, only: ['block1_conv1', 'block1_conv2'] });
    const err = await convertVgg19(h5, join(dir, 'theano')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Vgg19ConversionError);
    const message = (err as Error).message;
    expect(message).toMatch(/block1_conv1: kernel "block1_conv1_W_1:0" has shape \[64, 3, 3, 3\], expected \[3, 3, 3, 64\]/);
    expect(message).toMatch(/Theano/);
    expect(message).toMatch(/block2_conv1: missing/);
  });

  it('rejects a file that is not HDF5', async () => {
    const path = join(dir, 'truncated.h5');
    await writeFile(path, '<html>not found</html>');
    await expect(convertVgg19(path, join(dir, 'bad'))).rejects.toThrow(/not an HDF5 file/);
    await expect(convertVgg19(join(dir, 'nope.h5'), join(dir, 'bad'))).rejects.toThrow(/does not exist/);
  });

  it('rejects misshapen weights in the backbone and frees them', () => {
    const before = tf.memory().numTensors;
    const bad = new Map<string, tf.Tensor>([['block1_conv1/kernel', tf.zeros([3, 3, 3, 32])]]);
    expect(() => createVgg19(ENTRY, bad)).toThrow(/block1_conv1\/(kernel|bias)/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('VGG19_NORMALIZATION through toModelInput is Keras caffe preprocessing (BGR, minus BGR means)', () => {
    const rgb = [
      [10, 20, 30],
      [200, 100, 50],
    ];
    const image = tf.tensor3d([...rgb[0]!, ...rgb[1]!, ...rgb[1]!, ...rgb[0]!], [2, 2, 3]);
    const got = tf.tidy(() => toModelInput(image, 2, VGG19_NORMALIZATION).arraySync()) as number[][][][];
    image.dispose();
    const [r, g, b] = rgb[1]!;
    const px = got[0]![0]![1]!;
    expect(px[0]).toBeCloseTo(b! - 103.939, 3);
    expect(px[1]).toBeCloseTo(g! - 116.779, 3);
    expect(px[2]).toBeCloseTo(r! - 123.68, 3);
  });
});
