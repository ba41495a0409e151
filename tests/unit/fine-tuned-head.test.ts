/**
 * Fine-tuned category heads: a copy of a backbone's last 1×1 conv (trained) reading the backbone's
 * head-input map. Checks the runtime layer against a plain-loop reference, that the shipped backbones'
 * head-input maps and last convs reproduce their own features (so fine-tuning starts where the backbone
 * is), that the app's ensemble feeds each head what it was trained on without leaking tensors, and that
 * the trainer learns what a frozen conv cannot.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fineTuneHead, pooledFeatures, type HeadInputMaps } from '../../scripts/lib/finetune-head.ts';
import { fileReader, loadNodeEmbedder, useWasmBackend } from '../../scripts/lib/node-models.ts';
import { readManifest } from '../../scripts/lib/manifest-writer.ts';
import { backbones } from '../../src/shared/manifest.ts';
import type { Backbone } from '../../workers/models/backbone.ts';
import { createDenseStack, loadDenseStack } from '../../workers/models/dense-stack.ts';
import type { Embedder } from '../../workers/models/ensemble.ts';
import { GraphCache, loadBackbone } from '../../workers/models/load-backbone.ts';
import { cropRelative, toModelInput } from '../../workers/models/preprocess.ts';
import { mulberry32 } from '../../src/shared/prng.ts';

const hardSwish = (x: number) => (x * Math.min(6, Math.max(0, x + 3))) / 6;
const randoms = (n: number, seed: number, scale = 1) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
};

beforeAll(async () => {
  await useWasmBackend();
});

describe('a fine-tuned head at run time (workers/models/dense-stack.ts)', () => {
  const [c, d, k, h, w, n] = [5, 6, 3, 2, 3, 2];
  const arrays = {
    'conv.kernel': { shape: [c, d], data: randoms(c * d, 1) },
    'conv.bias': { shape: [d], data: randoms(d, 2) },
    'dense0.kernel': { shape: [d, k], data: randoms(d * k, 3) },
    'dense0.bias': { shape: [k], data: randoms(k, 4) },
  };
  const stack = () =>
    createDenseStack(new Map(Object.entries(arrays).map(([name, a]) => [name, tf.tensor(a.data, a.shape)])), { activations: ['softmax'] }, 'test head');

  it('gives softmax(mean over positions of hard-swish(1×1 conv)) · dense, as a plain-loop reference does', () => {
    const map = randoms(n * h * w * c, 5, 3);
    const head = stack();
    expect(head.input).toBe('headInput');
    const got = tf.tidy(() => head.apply(tf.tensor4d(map, [n, h, w, c])).dataSync());
    for (let i = 0; i < n; i++) {
      const pooled = new Array(d).fill(0);
      for (let p = 0; p < h * w; p++) {
        for (let o = 0; o < d; o++) {
          let s = arrays['conv.bias'].data[o]!;
          for (let j = 0; j < c; j++) s += map[(i * h * w + p) * c + j]! * arrays['conv.kernel'].data[j * d + o]!;
          pooled[o] += hardSwish(s) / (h * w);
        }
      }
      const logits = Array.from({ length: k }, (_, o) =>
        pooled.reduce((s, v, j) => s + v * arrays['dense0.kernel'].data[j * k + o]!, arrays['dense0.bias'].data[o]!),
      );
      const max = Math.max(...logits);
      const exp = logits.map((l) => Math.exp(l - max));
      const sum = exp.reduce((a, b) => a + b, 0);
      exp.forEach((e, o) => expect(got[i * k + o]).toBeCloseTo(e / sum, 5));
    }
    head.dispose();
  });

  it('says what it expected when given pooled features instead of a map', () => {
    const head = stack();
    expect(() => tf.tidy(() => head.apply(tf.zeros([1, c])))).toThrow(/test head reads a \[n, h, w, c\] map, not a tensor of shape \[1,5\]/);
    head.dispose();
  });
});

describe('the shipped backbones give the head-input map their last conv reads', () => {
  const members: Backbone[] = [];
  beforeAll(async () => {
    const graphs = new GraphCache();
    for (const entry of backbones(readManifest())) members.push(await loadBackbone(entry, fileReader(), graphs));
  });
  afterAll(() => members.forEach((m) => m.dispose()));

  it('every shipped member has a head-input map and its last conv', () => {
    expect(members.map((m) => [m.entry.id, Boolean(m.featuresAndHeadInput && m.lastConv)])).toEqual(members.map((m) => [m.entry.id, true]));
  });

  it('pooling hard-swish(last conv(head-input map)) reproduces the features, from the same pass', () => {
    const image = tf.tensor3d(Uint8Array.from(randoms(160 * 200 * 3, 9, 1).map((v) => Math.round((v + 1) * 127))), [160, 200, 3], 'int32');
    for (const m of members) {
      const batch = tf.tidy(() => toModelInput(image, m.entry.inputSize, m.entry.normalization));
      const [direct, both, rebuilt] = tf.tidy(() => {
        const out = m.featuresAndHeadInput!(batch);
        const { kernel, bias } = m.lastConv!;
        const map = out.headInput;
        const conv = tf.add(tf.matMul(tf.reshape(map, [-1, kernel.shape[2]]), tf.reshape(kernel, kernel.shape.slice(2) as [number, number])), bias);
        const pooled = tf.mean(tf.mul(conv, tf.div(tf.relu6(tf.add(conv, 3)), 6)), 0);
        return [m.features(batch).dataSync(), out.features.dataSync(), pooled.dataSync()];
      });
      expect(both.length, m.entry.id).toBe(m.entry.featureDim);
      let maxDiff = 0;
      let maxRebuilt = 0;
      let scale = 0;
      direct!.forEach((v, i) => {
        maxDiff = Math.max(maxDiff, Math.abs(v - both![i]!));
        maxRebuilt = Math.max(maxRebuilt, Math.abs(v - rebuilt![i]!));
        scale = Math.max(scale, Math.abs(v));
      });
      expect(maxDiff, m.entry.id).toBe(0);
      expect(scale, m.entry.id).toBeGreaterThan(0.1);
      expect(maxRebuilt / scale, m.entry.id).toBeLessThan(1e-3);
      batch.dispose();
    }
    image.dispose();
  });
});

describe('the shipped ensemble feeds each head what it was trained on', () => {
  let embedder: Embedder;
  beforeAll(async () => {
    embedder = await loadNodeEmbedder();
  });
  afterAll(() => embedder.dispose());

  it("each member's probabilities are its head applied to that member's own input, and tensors do not grow", async () => {
    const manifest = readManifest();
    const image = tf.tensor3d(Uint8Array.from(randoms(240 * 180 * 3, 11, 1).map((v) => Math.round((v + 1) * 127))), [240, 180, 3], 'int32');
    const first = await embedder.run(image);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await embedder.run(image);
    expect(tf.memory().numTensors).toBe(before);
    for (const member of embedder.members) {
      const entry = manifest.heads!.find((h) => h.modelId === member.entry.id)!;
      const head = await loadDenseStack(entry.files, fileReader(), member.entry.id);
      const probsOf = (view: tf.Tensor3D, flip: boolean) =>
        tf.tidy(() => {
          const batch = toModelInput(view, member.entry.inputSize, member.entry.normalization, flip);
          if (head.input === 'headInput') return head.apply(member.featuresAndHeadInput!(batch).headInput).dataSync();
          const unit = (x: tf.Tensor2D) => x.div(x.norm('euclidean', 1, true));
          if (head.input === 'taps') return head.apply(tf.concat(member.pooledTaps!(batch, head.taps!).map(unit), 1)).dataSync();
          const f = member.features(batch);
          return head.apply(f.div(f.norm('euclidean', 1, true))).dataSync();
        });
      // With the manifest's crop view open for this photo, each member's probabilities are the mean of both views';
      // with its mirror view, each view's are the mean of the view and its mirror image.
      expect(first.mirrorView ?? false).toBe(manifest.mirrorView === true);
      const crop = first.cropView ? tf.tidy(() => cropRelative(image, manifest.cropView!.box)) : undefined;
      const viewProbs = [image, ...(crop ? [crop] : [])].flatMap((view) => (manifest.mirrorView ? [false, true] : [false]).map((flip) => probsOf(view, flip)));
      const expected = viewProbs[0]!.map((_, i) => viewProbs.reduce((sum, p) => sum + p[i]!, 0) / viewProbs.length);
      crop?.dispose();
      head.dispose();
      const got = first.memberProbabilities![member.entry.id]!;
      expected.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
      expect(got.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    image.dispose();
  });
});

describe('fine-tuning the last conv (scripts/lib/finetune-head.ts)', () => {
  it('learns a class that the frozen conv cannot see, and frees every tensor it made', async () => {
    // Two classes that differ only in channel 3 of the map; the starting conv ignores channel 3.
    const [n, positions, channels, d] = [64, 4, 4, 3];
    const r = mulberry32(21);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
    const x = new Float32Array(n * 2 * positions * channels);
    for (let i = 0; i < n; i++) {
      for (let v = 0; v < 2; v++) {
        for (let p = 0; p < positions; p++) {
          for (let ch = 0; ch < channels; ch++) x[((i * 2 + v) * positions + p) * channels + ch] = ch === 3 ? (labels[i] ? 1.5 : -1.5) + r() * 0.2 : r();
        }
      }
    }
    const maps: HeadInputMaps = { x, n, positions, channels };
    const convKernel = Float32Array.from({ length: channels * d }, (_, i) => (Math.floor(i / d) === 3 ? 0 : r() - 0.5));
    const convBias = new Float32Array(d);
    const pooled = pooledFeatures(maps, convKernel, convBias);
    const mean = new Float32Array(d);
    const inv = new Float32Array(d).fill(1);
    const accuracyOf = (arrays: { name: string; shape: number[]; data: Float32Array }[]) => {
      const head = createDenseStack(new Map(arrays.map((a) => [a.name, tf.tensor(a.data, a.shape)])), { activations: ['softmax'] }, 'head');
      const probs = tf.tidy(() =>
        head
          .apply(tf.tensor4d(x, [n * 2, 1, positions, channels]))
          .argMax(1)
          .dataSync(),
      );
      head.dispose();
      return Array.from(probs).reduce((hits: number, p, row) => hits + (p === labels[Math.floor(row / 2)] ? 1 : 0), 0) / (n * 2);
    };
    const start = { convKernel, convBias, denseKernel: new Float32Array(d * 2), denseBias: new Float32Array(2) };
    const frozen = accuracyOf([
      { name: 'conv.kernel', shape: [channels, d], data: convKernel },
      { name: 'conv.bias', shape: [d], data: convBias },
      { name: 'dense0.kernel', shape: [d, 2], data: start.denseKernel },
      { name: 'dense0.bias', shape: [2], data: start.denseBias },
    ]);
    expect(pooled).toHaveLength(n * 2 * d);
    const before = tf.memory().numTensors;
    const tuned = await fineTuneHead(
      maps,
      labels,
      start,
      { mean, inv },
      { classes: 2, epochs: 30, convLearningRate: 0.05, headLearningRate: 0.05, l2: 0, dropout: 0, batch: 16, seed: 1 },
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(frozen).toBeLessThanOrEqual(0.6);
    expect(accuracyOf(tuned)).toBeGreaterThanOrEqual(0.95);
  });
});
