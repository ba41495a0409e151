/**
 * Small learned layers on top of the backbones: category heads (dense layers
 * ending in softmax over the manifest's labels) and the retrieval projection
 * (centre, then a linear map). Weights in the Lookalike weights format.
 * A fine-tuned head starts with its own copy of the backbone's last 1×1 conv
 * (hard-swish, then average pooling) and reads the backbone's head-input map.
 * A multi-tap head (config.taps) reads several of the backbone's layers, each
 * average-pooled and L2-normalised, concatenated in the order listed.
 */
import * as tf from '@tensorflow/tfjs';
import type { ArtifactFile } from '../../src/shared/manifest.ts';
import { hardSwish } from './activations.ts';
import { fileEndingWith, readJson, type ArtifactReader } from './backbone.ts';
import { decodeNamedWeights, parseWeightsModelJson, takeWeight } from './weights-format.ts';

export interface DenseStack {
  /**
   * What the stack reads: pooled features [n, inputDim], a backbone's head-input map [n, h, w, c], or the
   * backbone's pooled, L2-normalised `taps` concatenated [n, inputDim].
   */
  readonly input: 'features' | 'headInput' | 'taps';
  /** The backbone taps a multi-tap head reads (Backbone.pooledTaps names), in order. */
  readonly taps?: string[];
  /** → [n, outputDim]. Pure tensor code: call inside tf.tidy. */
  apply(x: tf.Tensor): tf.Tensor2D;
  readonly config: Record<string, unknown>;
  dispose(): void;
}

/**
 * Layers named `dense0`, `dense1`, … with `.kernel` [in, out] and `.bias` [out];
 * config.activations lists each layer's activation ('relu' | 'linear' | 'softmax');
 * an optional `center` [in] is subtracted first. With `conv.kernel` [c, in] and `conv.bias` [in]
 * the input is a [n, h, w, c] map: 1×1 conv, hard-swish, then the mean over h × w feeds dense0.
 */
export async function loadDenseStack(files: ArtifactFile[], read: ArtifactReader, owner: string): Promise<DenseStack> {
  const modelFile = fileEndingWith({ files }, 'model.json', owner);
  const json = parseWeightsModelJson(await readJson(read, modelFile), modelFile.path);
  const weights = decodeNamedWeights(json, await read(fileEndingWith({ files }, json.weightsManifest[0].paths[0], owner)));
  try {
    return createDenseStack(weights, json.config ?? {}, owner);
  } catch (error) {
    tf.dispose([...weights.values()]);
    throw error;
  }
}

/** The stack over named weights (which it then owns). */
export function createDenseStack(weights: Map<string, tf.Tensor>, config: Record<string, unknown>, owner: string): DenseStack {
  const activations = (config.activations as string[] | undefined) ?? [];
  const layers = activations.map((activation, i) => ({
    kernel: takeWeight(weights, `dense${i}.kernel`) as tf.Tensor2D,
    bias: takeWeight(weights, `dense${i}.bias`) as tf.Tensor1D,
    activation,
  }));
  const center = weights.get('center') as tf.Tensor1D | undefined;
  const taps = config.taps;
  if (taps !== undefined && (!Array.isArray(taps) || taps.length === 0 || !taps.every((t) => typeof t === 'string' && t.length > 0))) {
    throw new Error(`${owner}: config.taps must be a non-empty list of tap names`);
  }
  if (taps && weights.has('conv.kernel')) throw new Error(`${owner}: a head reads either taps or a head-input map, not both`);
  const conv = weights.has('conv.kernel')
    ? { kernel: takeWeight(weights, 'conv.kernel') as tf.Tensor2D, bias: takeWeight(weights, 'conv.bias') as tf.Tensor1D }
    : undefined;
  const pool = (map: tf.Tensor): tf.Tensor2D => {
    if (!conv) return map as tf.Tensor2D;
    if (map.rank !== 4) throw new Error(`${owner} reads a [n, h, w, c] map, not a tensor of shape [${map.shape}]`);
    const [n, h, w, c] = map.shape as [number, number, number, number];
    const y = hardSwish(tf.add(tf.matMul(tf.reshape(map, [n * h * w, c]), conv.kernel), conv.bias));
    return tf.mean(tf.reshape(y, [n, h * w, conv.kernel.shape[1]]), 1) as tf.Tensor2D;
  };
  const inputDim = layers[0]?.kernel.shape[0];
  return {
    config,
    input: conv ? 'headInput' : taps ? 'taps' : 'features',
    ...(taps ? { taps: taps as string[] } : {}),
    apply(x) {
      if (taps && (x.rank !== 2 || x.shape[1] !== inputDim)) {
        throw new Error(`${owner} reads ${inputDim} pooled values from taps ${(taps as string[]).join(', ')}, not a tensor of shape [${x.shape}]`);
      }
      let y = pool(x);
      if (center) y = y.sub(center);
      for (const layer of layers) {
        y = tf.add(tf.matMul(y, layer.kernel), layer.bias);
        if (layer.activation === 'relu') y = tf.relu(y);
        else if (layer.activation === 'softmax') y = tf.softmax(y);
      }
      return y as tf.Tensor2D;
    },
    dispose: () => tf.dispose([...weights.values()]),
  };
}
