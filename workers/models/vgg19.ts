/**
 * VGG19 (Simonyan & Zisserman 2014) convolutional trunk, Keras layout, run
 * with the ImageNet weights the user supplies (converted by
 * scripts/models/convert-vgg19.ts from Keras's
 * `vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`; see docs/vgg19.md).
 * We never ship or train these weights ourselves.
 *
 * 16 × (3×3 conv, stride 1, 'same' padding, + bias, ReLU), a 2×2 / stride 2
 * max-pool ('valid', as Keras) after each of the 5 blocks, then a global
 * average pool of block5_pool → 512-d features.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelEntry, Normalization } from '../../src/shared/manifest.ts';
import type { Backbone } from './backbone.ts';
import { sameShape, takeWeight, WeightsFormatError } from './weights-format.ts';

export interface Vgg19ConvLayer {
  /** Keras layer name, e.g. "block3_conv2". */
  name: string;
  block: number;
  inChannels: number;
  outChannels: number;
}

function block(blockIndex: number, convs: number, inChannels: number, outChannels: number): Vgg19ConvLayer[] {
  return Array.from({ length: convs }, (_, i) => ({
    name: `block${blockIndex}_conv${i + 1}`,
    block: blockIndex,
    inChannels: i === 0 ? inChannels : outChannels,
    outChannels,
  }));
}

/** The 16 conv layers, in order, with Keras's names. */
export const VGG19_CONV_LAYERS: readonly Vgg19ConvLayer[] = [
  ...block(1, 2, 3, 64),
  ...block(2, 2, 64, 128),
  ...block(3, 4, 128, 256),
  ...block(4, 4, 256, 512),
  ...block(5, 4, 512, 512),
];

export const VGG19_FEATURE_DIM = 512;
export const VGG19_INPUT_SIZE = 224;

/**
 * Keras `imagenet_utils.preprocess_input(mode='caffe')`: RGB → BGR, then
 * subtract the ImageNet BGR means [103.939, 116.779, 123.68], no scaling.
 * In our Normalization convention (see workers/models/preprocess.ts
 * `toModelInput`) `mean` and `std` are written in RGB order and reversed
 * together with the channels when `channelOrder` is 'bgr', so the RGB-order
 * means are [123.68, 116.779, 103.939].
 */
export const VGG19_NORMALIZATION: Normalization = {
  channelOrder: 'bgr',
  scale: 1,
  mean: [123.68, 116.779, 103.939],
  std: [1, 1, 1],
};

/** Names of the tensors in our weights format. */
export const vgg19KernelName = (layer: string): string => `${layer}/kernel`;
export const vgg19BiasName = (layer: string): string => `${layer}/bias`;

interface ConvWeights {
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D;
  last: boolean;
}

/**
 * Builds the VGG19 backbone. Takes ownership of every tensor in `weights`:
 * `dispose()` frees them all, and so does a failure here. Throws
 * WeightsFormatError when a weight is missing or misshapen, or when the map
 * holds weights VGG19 does not use.
 */
export function createVgg19(entry: ModelEntry, weights: Map<string, tf.Tensor>): Backbone {
  try {
    return buildVgg19(entry, weights);
  } catch (err) {
    for (const t of weights.values()) t.dispose();
    weights.clear();
    throw err;
  }
}

function buildVgg19(entry: ModelEntry, weights: Map<string, tf.Tensor>): Backbone {
  if (entry.architecture !== 'vgg19-keras') {
    throw new WeightsFormatError(`model "${entry.id}" is ${entry.architecture}, not vgg19-keras`);
  }
  if (entry.featureDim !== VGG19_FEATURE_DIM) {
    throw new WeightsFormatError(`model "${entry.id}": VGG19 features are ${VGG19_FEATURE_DIM}-d, the manifest says ${entry.featureDim}`);
  }
  const used = new Set<string>();
  const layers: ConvWeights[] = VGG19_CONV_LAYERS.map((layer, i) => {
    const kernelName = vgg19KernelName(layer.name);
    const biasName = vgg19BiasName(layer.name);
    const kernel = takeWeight(weights, kernelName);
    const bias = takeWeight(weights, biasName);
    const kernelShape = [3, 3, layer.inChannels, layer.outChannels];
    if (!sameShape(kernel.shape, kernelShape)) {
      throw new WeightsFormatError(`weight "${kernelName}" has shape [${kernel.shape}], expected [${kernelShape}]`);
    }
    if (!sameShape(bias.shape, [layer.outChannels])) {
      throw new WeightsFormatError(`weight "${biasName}" has shape [${bias.shape}], expected [${layer.outChannels}]`);
    }
    used.add(kernelName).add(biasName);
    const next = VGG19_CONV_LAYERS[i + 1];
    return { kernel: kernel as tf.Tensor4D, bias: bias as tf.Tensor1D, last: !next || next.block !== layer.block };
  });
  const unexpected = [...weights.keys()].filter((name) => !used.has(name));
  if (unexpected.length > 0) {
    throw new WeightsFormatError(`VGG19 weights hold unexpected tensors: ${unexpected.slice(0, 5).join(', ')}`);
  }

  let disposed = false;
  return {
    entry,
    features(batch: tf.Tensor4D): tf.Tensor2D {
      if (disposed) throw new Error(`model "${entry.id}" has been disposed`);
      if (batch.rank !== 4 || batch.shape[3] !== 3) {
        throw new Error(`VGG19 expects a [n, h, w, 3] batch, got [${batch.shape}]`);
      }
      let x: tf.Tensor4D = batch.toFloat();
      for (const { kernel, bias, last } of layers) {
        x = tf.fused.conv2d({ x, filter: kernel, strides: 1, pad: 'same', bias, activation: 'relu' });
        if (last) x = tf.maxPool(x, 2, 2, 'valid');
      }
      return tf.mean(x, [1, 2]) as tf.Tensor2D;
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const t of weights.values()) t.dispose();
      weights.clear();
    },
  };
}
