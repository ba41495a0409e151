/**
 * The contract every ensemble member implements, whatever its architecture.
 * A backbone maps a preprocessed batch to pooled (not yet normalised) features.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ArtifactFile, ModelEntry } from '../../src/shared/manifest.ts';

/** Returns a file's bytes, already checked against its size and sha256. */
export type ArtifactReader = (file: ArtifactFile) => Promise<ArrayBuffer>;

export interface Backbone {
  readonly entry: ModelEntry;
  /** [n, inputSize, inputSize, 3] preprocessed → [n, featureDim]. Pure tensor code: call inside tf.tidy. */
  features(batch: tf.Tensor4D): tf.Tensor2D;
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
