/**
 * Small learned layers on top of the backbones: category heads (dense layers
 * ending in softmax over the manifest's labels) and the retrieval projection
 * (centre, then a linear map). Weights in the Lookalike weights format.
 */
import * as tf from '@tensorflow/tfjs';
import type { ArtifactFile } from '../../src/shared/manifest.ts';
import { fileEndingWith, readJson, type ArtifactReader } from './backbone.ts';
import { decodeNamedWeights, parseWeightsModelJson, takeWeight } from './weights-format.ts';

export interface DenseStack {
  /** [n, inputDim] → [n, outputDim]. Pure tensor code: call inside tf.tidy. */
  apply(x: tf.Tensor2D): tf.Tensor2D;
  readonly config: Record<string, unknown>;
  dispose(): void;
}

/**
 * Layers named `dense0`, `dense1`, … with `.kernel` [in, out] and `.bias` [out];
 * config.activations lists each layer's activation ('relu' | 'linear' | 'softmax');
 * an optional `center` [in] is subtracted first.
 */
export async function loadDenseStack(files: ArtifactFile[], read: ArtifactReader, owner: string): Promise<DenseStack> {
  const modelFile = fileEndingWith({ files }, 'model.json', owner);
  const json = parseWeightsModelJson(await readJson(read, modelFile), modelFile.path);
  const weights = decodeNamedWeights(json, await read(fileEndingWith({ files }, json.weightsManifest[0].paths[0], owner)));
  const config = json.config ?? {};
  const activations = (config.activations as string[] | undefined) ?? [];
  const layers = activations.map((activation, i) => ({
    kernel: takeWeight(weights, `dense${i}.kernel`) as tf.Tensor2D,
    bias: takeWeight(weights, `dense${i}.bias`) as tf.Tensor1D,
    activation,
  }));
  const center = weights.get('center') as tf.Tensor1D | undefined;
  return {
    config,
    apply(x) {
      let y = center ? x.sub(center) : x;
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
