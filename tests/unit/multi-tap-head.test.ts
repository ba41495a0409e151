/**
 * Multi-tap category heads: a softmax layer over several of a backbone's layers (each average-pooled and
 * L2-normalised, concatenated), all read from the one pass that also gives the retrieval features.
 * Checks that each shipped backbone's taps come from that pass and match what the backbone computes on
 * its own, that bad tap names and bad inputs get clear messages, and the runtime layer against a reference.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileReader, useWasmBackend } from '../../scripts/lib/node-models.ts';
import { readManifest } from '../../scripts/lib/manifest-writer.ts';
import { backbones } from '../../src/shared/manifest.ts';
import { mulberry32 } from '../../src/shared/prng.ts';
import type { Backbone } from '../../workers/models/backbone.ts';
import { createDenseStack } from '../../workers/models/dense-stack.ts';
import { GraphCache, loadBackbone } from '../../workers/models/load-backbone.ts';
import { toModelInput } from '../../workers/models/preprocess.ts';

const randoms = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

beforeAll(async () => {
  await useWasmBackend();
});

describe('the shipped backbones give pooled taps from one pass (Backbone.pooledTaps)', () => {
  const members: Backbone[] = [];
  let image: tf.Tensor3D;
  beforeAll(async () => {
    const graphs = new GraphCache();
    for (const entry of backbones(readManifest())) members.push(await loadBackbone(entry, fileReader(), graphs));
    image = tf.tensor3d(Int32Array.from(randoms(150 * 210 * 3, 5).map((v) => Math.round((v + 1) * 127))), [150, 210, 3], 'int32');
  });
  afterAll(() => {
    members.forEach((m) => m.dispose());
    image.dispose();
  });

  it("'features' is the backbone's features and 'headInput' its pooled head-input map, in the order asked", () => {
    for (const m of members) {
      const [features, pooledMap, viaTaps] = tf.tidy(() => {
        const batch = toModelInput(image, m.entry.inputSize, m.entry.normalization);
        const out = m.featuresAndHeadInput!(batch);
        const taps = m.pooledTaps!(batch, ['headInput', 'features', 'headInput']);
        expect(taps.map((t) => t.shape)).toEqual([
          [1, out.headInput.shape[3]],
          [1, m.entry.featureDim],
          [1, out.headInput.shape[3]],
        ]);
        return [out.features.dataSync(), tf.mean(out.headInput, [1, 2]).dataSync(), taps.map((t) => t.dataSync())];
      });
      expect(maxAbsDiff(viaTaps![1]!, features!), m.entry.id).toBe(0);
      expect(maxAbsDiff(viaTaps![0]!, pooledMap!), m.entry.id).toBeLessThan(1e-6);
      expect(maxAbsDiff(viaTaps![2]!, pooledMap!), m.entry.id).toBeLessThan(1e-6);
    }
  });

  it('a graph backbone reads any node of its graph (an earlier layer differs from the features)', () => {
    const graph = members.find((m) => m.entry.architecture === 'tfjs-graph')!;
    const node = 'tower_0/MobilenetV3/expanded_conv_12/expand/hard_swish/mul_1';
    const [features, early] = tf.tidy(() =>
      graph.pooledTaps!(toModelInput(image, graph.entry.inputSize, graph.entry.normalization), ['features', node]).map((t) => t.dataSync()),
    );
    const [byName] = tf.tidy(() =>
      graph.pooledTaps!(toModelInput(image, graph.entry.inputSize, graph.entry.normalization), [graph.entry.featureNode!]).map((t) => t.dataSync()),
    );
    expect(maxAbsDiff(byName!, features!)).toBe(0);
    expect(early!.length).toBe(528);
    expect(early!.length).not.toBe(features!.length);
    expect(Array.from(early!).some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });

  it("MobileNetV3-S reads its blocks by torchvision name: the last block's output is the head-input map", () => {
    const small = members.find((m) => m.entry.architecture === 'mobilenetv3-small-torchvision')!;
    const [headInput, last, expand, early] = tf.tidy(() =>
      small.pooledTaps!(toModelInput(image, small.entry.inputSize, small.entry.normalization), [
        'headInput',
        'features.11',
        'features.11.expand',
        'features.9.expand',
      ]).map((t) => t.dataSync()),
    );
    expect(maxAbsDiff(last!, headInput!)).toBe(0);
    expect([expand!.length, early!.length]).toEqual([576, 288]);
  });

  it('a tap the backbone does not have is named in the error', () => {
    for (const m of members) {
      const batch = toModelInput(image, m.entry.inputSize, m.entry.normalization);
      expect(() => tf.tidy(() => m.pooledTaps!(batch, ['features', 'no/such/node'])), m.entry.id).toThrow(new RegExp(`${m.entry.id}.*no/such/node`));
      batch.dispose();
    }
  });

  it('does not leave tensors behind', () => {
    const m = members[0]!;
    const batch = toModelInput(image, m.entry.inputSize, m.entry.normalization);
    const run = () => tf.tidy(() => void m.pooledTaps!(batch, ['features', 'headInput']));
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    batch.dispose();
  });
});

describe('a multi-tap head at run time (workers/models/dense-stack.ts)', () => {
  const [d, k] = [7, 3];
  const weights = () =>
    new Map<string, tf.Tensor>([
      ['dense0.kernel', tf.tensor2d(randoms(d * k, 1), [d, k])],
      ['dense0.bias', tf.tensor1d(randoms(k, 2))],
    ]);

  it('reads the taps named in its config and gives softmax(x · W + b)', () => {
    const head = createDenseStack(weights(), { activations: ['softmax'], taps: ['features', 'headInput'] }, 'tap head');
    expect(head.input).toBe('taps');
    expect(head.taps).toEqual(['features', 'headInput']);
    const x = randoms(2 * d, 3);
    const [W, b] = [randoms(d * k, 1), randoms(k, 2)];
    const got = tf.tidy(() => head.apply(tf.tensor2d(x, [2, d])).dataSync());
    for (let i = 0; i < 2; i++) {
      const logits = Array.from({ length: k }, (_, o) => b[o]! + Array.from({ length: d }, (_, j) => x[i * d + j]! * W[j * k + o]!).reduce((s, v) => s + v, 0));
      const exp = logits.map((l) => Math.exp(l - Math.max(...logits)));
      const sum = exp.reduce((s, v) => s + v, 0);
      exp.forEach((e, o) => expect(got[i * k + o]).toBeCloseTo(e / sum, 5));
    }
    head.dispose();
  });

  it('says how many pooled values it expected when given the wrong width', () => {
    const head = createDenseStack(weights(), { activations: ['softmax'], taps: ['features'] }, 'tap head');
    expect(() => tf.tidy(() => head.apply(tf.zeros([1, d + 1])))).toThrow(/tap head reads 7 pooled values from taps features, not a tensor of shape \[1,8\]/);
    head.dispose();
  });

  it('refuses a malformed taps list, or taps together with a head-input conv', () => {
    expect(() => createDenseStack(weights(), { activations: ['softmax'], taps: [] }, 'tap head')).toThrow(
      /tap head: config.taps must be a non-empty list of tap names/,
    );
    expect(() => createDenseStack(weights(), { activations: ['softmax'], taps: 'features' }, 'tap head')).toThrow(/config.taps must be/);
    const withConv = weights();
    withConv.set('conv.kernel', tf.zeros([4, d]));
    withConv.set('conv.bias', tf.zeros([d]));
    expect(() => createDenseStack(withConv, { activations: ['softmax'], taps: ['features'] }, 'tap head')).toThrow(/either taps or a head-input map/);
    tf.dispose([...withConv.values()]);
  });
});
