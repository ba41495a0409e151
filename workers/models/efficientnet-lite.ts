/**
 * Google's EfficientNet-Lite (ImageNet) as tfjs ops (NHWC), for weights converted by
 * scripts/lib/efficientnet-lite-converter.ts: BatchNorm already folded into each conv's kernel and bias,
 * kernels in tfjs layout. Lite is MobileNetV2-style: inverted-residual blocks with ReLU6, no squeeze-excite.
 * Google trained it in TensorFlow with 'SAME' padding, which is tfjs's 'same' (the extra row and column of a
 * stride-2 conv go after), so the convs use 'same' as they are.
 *
 * Features: the global average of the last 1×1 conv (1280 channels, after ReLU6), the input of ImageNet's
 * classifier. Uses only ops every tfjs backend implements (fused conv / depthwise conv with relu6, add, mean).
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelEntry } from '../../src/shared/manifest.ts';
import type { Backbone } from './backbone.ts';
import { WeightsFormatError, takeWeight } from './weights-format.ts';

/** One MBConv block, `blocks.<index>` in the weights, in network order. */
export interface LiteBlockConfig {
  kernel: number;
  stride: 1 | 2;
  inChannels: number;
  /** inChannels × the expansion ratio; equal to inChannels when the block has no expansion conv. */
  expandChannels: number;
  outChannels: number;
}

/** What model.json's `config` holds for this architecture. */
export interface EfficientNetLiteConfig {
  /** `lite0` … `lite4`. */
  variant: string;
  /** The resolution Google trained the variant at (the app may run it at another). */
  nativeInputSize: number;
  stemChannels: number;
  blocks: LiteBlockConfig[];
  headChannels: number;
}

export type EfficientNetLite = Backbone & { readonly config: EfficientNetLiteConfig };

function fail(what: string): never {
  throw new WeightsFormatError(`efficientnet-lite config: ${what}`);
}

/** Checks the config's shape (it comes from a downloaded JSON file). */
export function parseEfficientNetLiteConfig(raw: Record<string, unknown>): EfficientNetLiteConfig {
  const c = raw as Partial<EfficientNetLiteConfig>;
  if (typeof c.variant !== 'string') fail('variant missing');
  const positive = (n: unknown) => Number.isInteger(n) && (n as number) > 0;
  if (!positive(c.nativeInputSize) || !positive(c.stemChannels) || !positive(c.headChannels)) fail('nativeInputSize, stemChannels or headChannels missing');
  if (!Array.isArray(c.blocks) || c.blocks.length === 0) fail('blocks missing');
  let channels = c.stemChannels!;
  c.blocks.forEach((b, i) => {
    if (![b.kernel, b.inChannels, b.expandChannels, b.outChannels].every(positive) || (b.stride !== 1 && b.stride !== 2))
      fail(`block ${i} ${JSON.stringify(b)} is invalid`);
    if (b.inChannels !== channels) fail(`block ${i} reads ${b.inChannels} channels, the layer before gives ${channels}`);
    channels = b.outChannels;
  });
  return c as EfficientNetLiteConfig;
}

/** Tap names: `blocks.<i>` (a block's output) and `blocks.<i>.expand` (its expanded 1×1 conv, after ReLU6). */
const blockTap = (i: number) => `blocks.${i}`;
const expandTap = (i: number) => `blocks.${i}.expand`;

export function createEfficientNetLite(entry: ModelEntry, weights: Map<string, tf.Tensor>, rawConfig: Record<string, unknown>): EfficientNetLite {
  const config = parseEfficientNetLiteConfig(rawConfig);
  const w4 = (name: string) => takeWeight(weights, name) as tf.Tensor4D;
  const w1 = (name: string) => takeWeight(weights, name) as tf.Tensor1D;
  // Every weight the blocks read is present before the first call, so a bad file fails at load, not mid-query.
  const names = [
    'stem',
    'head',
    ...config.blocks.flatMap((b, i) => [...(b.expandChannels !== b.inChannels ? [`blocks.${i}.expand`] : []), `blocks.${i}.dw`, `blocks.${i}.project`]),
  ];
  for (const n of names) w4(`${n}.kernel`), w1(`${n}.bias`);

  const conv = (x: tf.Tensor4D, name: string, stride: number, relu6: boolean): tf.Tensor4D =>
    tf.fused.conv2d({ x, filter: w4(`${name}.kernel`), bias: w1(`${name}.bias`), strides: stride, pad: 'same', activation: relu6 ? 'relu6' : 'linear' });
  const depthwise = (x: tf.Tensor4D, name: string, stride: number): tf.Tensor4D =>
    tf.fused.depthwiseConv2d({ x, filter: w4(`${name}.kernel`), bias: w1(`${name}.bias`), strides: stride, pad: 'same', activation: 'relu6' });

  type TapRecorder = Map<string, tf.Tensor4D>;
  const block = (x: tf.Tensor4D, b: LiteBlockConfig, i: number, record?: TapRecorder): tf.Tensor4D => {
    let y = x;
    if (b.expandChannels !== b.inChannels) {
      y = conv(y, `blocks.${i}.expand`, 1, true);
      record?.set(expandTap(i), y);
    }
    y = conv(depthwise(y, `blocks.${i}.dw`, b.stride), `blocks.${i}.project`, 1, false);
    const out: tf.Tensor4D = b.stride === 1 && b.inChannels === b.outChannels ? tf.add(y, x) : y;
    record?.set(blockTap(i), out);
    return out;
  };

  /** The map the head conv reads ([n, h/32, w/32, last block's outChannels]). */
  const headInput = (batch: tf.Tensor4D, record?: TapRecorder): tf.Tensor4D => {
    let x = conv(batch, 'stem', 2, true);
    config.blocks.forEach((b, i) => (x = block(x, b, i, record)));
    return x;
  };
  const pooled = (map: tf.Tensor4D): tf.Tensor2D => tf.mean(conv(map, 'head', 1, true), [1, 2]) as tf.Tensor2D;
  const tapNames = new Set([
    'features',
    'headInput',
    ...config.blocks.flatMap((b, i) => [blockTap(i), ...(b.expandChannels !== b.inChannels ? [expandTap(i)] : [])]),
  ]);

  return {
    entry,
    config,
    features: (batch) => pooled(headInput(batch)),
    pooledTaps(batch, taps) {
      const unknown = taps.filter((t) => !tapNames.has(t));
      if (unknown.length)
        throw new Error(
          `${entry.id} has no tap ${unknown.map((t) => `"${t}"`).join(', ')} (it gives "features", "headInput", "blocks.<i>" and "blocks.<i>.expand", i < ${config.blocks.length})`,
        );
      const maps: TapRecorder = new Map();
      const map = headInput(batch, maps);
      maps.set('headInput', map);
      const out = new Map<string, tf.Tensor2D>([['features', pooled(map)]]);
      return taps.map((t) => {
        if (!out.has(t)) out.set(t, tf.mean(maps.get(t)!, [1, 2]) as tf.Tensor2D);
        return out.get(t)!;
      });
    },
    dispose(): void {
      for (const t of weights.values()) t.dispose();
      weights.clear();
    },
  };
}
