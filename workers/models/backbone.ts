/**
 * The contract every ensemble member implements, whatever its architecture.
 * A backbone maps a preprocessed batch to pooled (not yet normalised) features.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ArtifactFile, ModelEntry } from '../../src/shared/manifest.ts';

/** Returns a file's bytes, already checked against its size and sha256. */
export type ArtifactReader = (file: ArtifactFile) => Promise<ArrayBuffer>;

/**
 * The backbone's last 1×1 convolution (hard-swish after it): it maps the head-input
 * map to the feature map that is pooled into `features`. Fine-tuned category heads
 * start from a copy of it. Owned by the backbone.
 */
export interface LastConv {
  /** [1, 1, inChannels, featureDim] */
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D;
}

export interface Backbone {
  readonly entry: ModelEntry;
  /** [n, inputSize, inputSize, 3] preprocessed → [n, featureDim]. Pure tensor code: call inside tf.tidy. */
  features(batch: tf.Tensor4D): tf.Tensor2D;
  /**
   * Members whose category head was fine-tuned from their last conv also give that conv's input
   * (the head-input map, [n, h, w, inChannels]) from the same pass. Call inside tf.tidy.
   */
  featuresAndHeadInput?(batch: tf.Tensor4D): { features: tf.Tensor2D; headInput: tf.Tensor4D };
  readonly lastConv?: LastConv;
  /**
   * Global-average-pooled outputs at the named taps, all from one pass, in the order asked: `features` (the
   * pooled features above), `headInput` (the head-input map), or a named layer (graph models: any node;
   * MobileNetV3-S: `features.<block>` and `features.<block>.expand`). A multi-tap category head reads them.
   * Call inside tf.tidy.
   */
  pooledTaps?(batch: tf.Tensor4D, taps: string[]): tf.Tensor2D[];
  dispose(): void;
}

/** Reads a JSON artifact file through the reader. */
export async function readJson(read: ArtifactReader, file: ArtifactFile): Promise<unknown> {
  const bytes = await read(file);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error(`${file.path} is not valid JSON`);
  }
}

/** The file of an entry whose path ends with `suffix` (e.g. "model.json"). */
export function fileEndingWith(entry: { files: ArtifactFile[] }, suffix: string, owner: string): ArtifactFile {
  const file = entry.files.find((f) => f.path.endsWith(suffix));
  if (!file) throw new Error(`${owner} has no ${suffix} in the manifest`);
  return file;
}
