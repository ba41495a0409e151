/**
 * torchvision's MobileNetV3-Small as tfjs ops (NHWC), for weights converted by
 * scripts/lib/mobilenetv3-small-converter.ts: BatchNorm already folded into each
 * conv's kernel and bias, kernels in tfjs layout. Torch pads every conv by
 * k//2 zeros on each side; at stride 2 that differs from tfjs 'same' (which
 * pads only after), so convs get that numeric padding instead of 'same'.
 *
 * Uses only ops every tfjs backend implements (fused conv / depthwise conv /
 * matMul, relu, relu6, mul, add, mean, softmax).
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelEntry } from '../../src/shared/manifest.ts';
import { hardSigmoid, hardSwish } from './activations.ts';
import type { Backbone } from './backbone.ts';
import { WeightsFormatError, takeWeight } from './weights-format.ts';

export type Activation = 'relu' | 'hardswish';

/** One inverted-residual block, named by its torchvision `features.<index>`. */
export interface BlockConfig {
  index: number;
  kernel: number;
  inChannels: number;
  expandChannels: number;
  outChannels: number;
  /** Squeeze-excite bottleneck width, or 0 when the block has none. */
  seChannels: number;
  activation: Activation;
  stride: 1 | 2;
}

/** What model.json's `config` holds for this architecture. */
export interface MobileNetV3Config {
  inputSize: number;
  stem: { outChannels: number; kernel: number; stride: 1 | 2; activation: Activation };
  blocks: BlockConfig[];
  lastConv: { index: number; outChannels: number; activation: Activation };
  classifier: { hidden: number; activation: Activation; labels: string[] };
}

export type MobileNetV3Small = Backbone & {
  readonly config: MobileNetV3Config;
  /** The original 3-class head (softmax probabilities, labels in `config.classifier.labels`). Call inside tf.tidy. */
  classify3(batch: tf.Tensor4D): tf.Tensor2D;
};

function fail(what: string): never {
  throw new WeightsFormatError(`mobilenetv3-small config: ${what}`);
}

function isActivation(v: unknown): v is Activation {
  return v === 'relu' || v === 'hardswish';
}

/** Checks the config's shape (it comes from a downloaded JSON file). */
export function parseMobileNetV3Config(raw: Record<string, unknown>): MobileNetV3Config {
  const c = raw as Partial<MobileNetV3Config>;
  if (typeof c.inputSize !== 'number') fail('inputSize missing');
  if (!c.stem || !isActivation(c.stem.activation) || typeof c.stem.outChannels !== 'number') fail('stem missing or invalid');
  if (!Array.isArray(c.blocks) || c.blocks.length === 0) fail('blocks missing');
  for (const b of c.blocks) {
    const nums = [b.index, b.kernel, b.inChannels, b.expandChannels, b.outChannels, b.seChannels];
    if (!nums.every((n) => Number.isInteger(n) && n >= 0) || !isActivation(b.activation) || (b.stride !== 1 && b.stride !== 2)) {
      fail(`block ${JSON.stringify(b)} is invalid`);
    }
  }
  if (!c.lastConv || !isActivation(c.lastConv.activation) || typeof c.lastConv.outChannels !== 'number') fail('lastConv missing or invalid');
  if (!c.classifier || !isActivation(c.classifier.activation) || !Array.isArray(c.classifier.labels)) fail('classifier missing or invalid');
  return c as MobileNetV3Config;
}

function activate<T extends tf.Tensor>(x: T, activation: Activation): T {
  return activation === 'relu' ? tf.relu(x) : hardSwish(x);
}

/** Torch pads k//2 zeros on every side; a numeric pad is exactly that (tfjs 'same' is not, at stride 2). */
function torchPad(kernel: number): number | 'valid' {
  return kernel > 1 ? Math.floor(kernel / 2) : 'valid';
}

export function createMobileNetV3Small(entry: ModelEntry, weights: Map<string, tf.Tensor>, rawConfig: Record<string, unknown>): MobileNetV3Small {
  const config = parseMobileNetV3Config(rawConfig);
  const w = (name: string): tf.Tensor => takeWeight(weights, name);
  const w4 = (name: string): tf.Tensor4D => w(name) as tf.Tensor4D;
  const w2 = (name: string): tf.Tensor2D => w(name) as tf.Tensor2D;
  const w1 = (name: string): tf.Tensor1D => w(name) as tf.Tensor1D;

  const conv = (x: tf.Tensor4D, prefix: string, kernel: number, stride: number, activation: Activation | null): tf.Tensor4D => {
    const y = tf.fused.conv2d({
      x,
      filter: w4(`${prefix}.kernel`),
      bias: w1(`${prefix}.bias`),
      strides: stride,
      pad: torchPad(kernel),
      activation: activation === 'relu' ? 'relu' : 'linear',
    });
    return activation === 'hardswish' ? activate(y, 'hardswish') : y;
  };

  const depthwise = (x: tf.Tensor4D, prefix: string, kernel: number, stride: number, activation: Activation): tf.Tensor4D => {
    const y = tf.fused.depthwiseConv2d({
      x,
      filter: w4(`${prefix}.kernel`),
      bias: w1(`${prefix}.bias`),
      strides: stride,
      pad: torchPad(kernel),
      activation: activation === 'relu' ? 'relu' : 'linear',
    });
    return activation === 'hardswish' ? activate(y, 'hardswish') : y;
  };

  const dense = (x: tf.Tensor2D, prefix: string, activation: 'relu' | 'linear'): tf.Tensor2D =>
    tf.fused.matMul({ a: x, b: w2(`${prefix}.kernel`), bias: w1(`${prefix}.bias`), activation }) as tf.Tensor2D;

  const squeezeExcite = (x: tf.Tensor4D, prefix: string): tf.Tensor4D => {
    const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
    const gate = hardSigmoid(dense(dense(pooled, `${prefix}.fc1`, 'relu'), `${prefix}.fc2`, 'linear'));
    return tf.mul(x, tf.reshape(gate, [gate.shape[0], 1, 1, gate.shape[1]]));
  };

  /** Intermediate maps by tap name (`features.<i>.expand`, `features.<i>`), kept when a caller asks for them. */
  type TapRecorder = Map<string, tf.Tensor4D>;
  const block = (x: tf.Tensor4D, b: BlockConfig, record?: TapRecorder): tf.Tensor4D => {
    const p = `features.${b.index}`;
    let y = b.expandChannels !== b.inChannels ? conv(x, `${p}.expand`, 1, 1, b.activation) : x;
    record?.set(`${p}.expand`, y);
    y = depthwise(y, `${p}.dw`, b.kernel, b.stride, b.activation);
    if (b.seChannels > 0) y = squeezeExcite(y, `${p}.se`);
    y = conv(y, `${p}.project`, 1, 1, null);
    const out: tf.Tensor4D = b.stride === 1 && b.inChannels === b.outChannels ? tf.add(y, x) : y;
    record?.set(p, out);
    return out;
  };

  /** The map the last 1×1 conv reads ([n, 7, 7, last block's outChannels] at 224). */
  const headInput = (batch: tf.Tensor4D, record?: TapRecorder): tf.Tensor4D => {
    let x = conv(batch, 'features.0.conv', config.stem.kernel, config.stem.stride, config.stem.activation);
    for (const b of config.blocks) x = block(x, b, record);
    return x;
  };
  const tapNames = ['features', 'headInput', ...config.blocks.flatMap((b) => [`features.${b.index}.expand`, `features.${b.index}`])];
  const lastConvName = `features.${config.lastConv.index}.conv`;
  const pooled = (map: tf.Tensor4D): tf.Tensor2D => tf.mean(conv(map, lastConvName, 1, 1, config.lastConv.activation), [1, 2]) as tf.Tensor2D;
  const features = (batch: tf.Tensor4D): tf.Tensor2D => pooled(headInput(batch));
  const lastKernel = w4(`${lastConvName}.kernel`);

  return {
    entry,
    config,
    features,
    featuresAndHeadInput(batch) {
      const map = headInput(batch);
      return { features: pooled(map), headInput: map };
    },
    pooledTaps(batch, taps) {
      const unknown = taps.filter((t) => !tapNames.includes(t));
      if (unknown.length)
        throw new Error(
          `${entry.id} has no tap ${unknown.map((t) => `"${t}"`).join(', ')} (it gives "features", "headInput", "features.<block>" and "features.<block>.expand")`,
        );
      const maps: TapRecorder = new Map();
      const map = headInput(batch, maps);
      maps.set('headInput', map);
      const pooledMaps = new Map<string, tf.Tensor2D>([['features', pooled(map)]]);
      return taps.map((t) => {
        if (!pooledMaps.has(t)) pooledMaps.set(t, tf.mean(maps.get(t)!, [1, 2]) as tf.Tensor2D);
        return pooledMaps.get(t)!;
      });
    },
    ...(config.lastConv.activation === 'hardswish' ? { lastConv: { kernel: lastKernel, bias: w1(`${lastConvName}.bias`) } } : {}),
    classify3(batch: tf.Tensor4D): tf.Tensor2D {
      const hidden = activate(dense(features(batch), 'classifier.0', 'linear'), config.classifier.activation);
      // classifier.2 is Dropout (identity at inference).
      return tf.softmax(dense(hidden, 'classifier.3', 'linear'));
    },
    dispose(): void {
      for (const t of weights.values()) t.dispose();
      weights.clear();
    },
  };
}
