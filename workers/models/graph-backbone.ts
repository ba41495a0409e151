/** A tfjs graph model used as a backbone (features pooled at a named node) or run to a named output. */
import * as tf from '@tensorflow/tfjs';
import { errorMessage } from '../../src/shared/errors.ts';
import type { ModelEntry } from '../../src/shared/manifest.ts';
import { fileEndingWith, readJson, type ArtifactReader, type Backbone } from './backbone.ts';

interface GraphModelJson {
  modelTopology: tf.io.ModelJSON['modelTopology'];
  weightsManifest: tf.io.WeightsManifestConfig;
  signature?: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

/** Loads the graph model an entry's files describe; weight files are fetched in manifest order. */
export async function loadGraphModel(entry: ModelEntry, read: ArtifactReader): Promise<tf.GraphModel> {
  const json = (await readJson(read, fileEndingWith(entry, 'model.json', entry.id))) as GraphModelJson;
  const paths = json.weightsManifest.flatMap((group) => group.paths);
  const buffers: ArrayBuffer[] = [];
  for (const name of paths) buffers.push(await read(fileEndingWith(entry, name, entry.id)));
  const weightData = buffers.length === 1 ? buffers[0]! : tf.io.concatenateArrayBuffers(buffers);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData,
    ...(json.signature ? { signature: json.signature } : {}),
    ...(json.format ? { format: json.format } : {}),
  };
  return tf.loadGraphModel(tf.io.fromMemory(artifacts));
}

/**
 * Global-average-pooled features from `entry.featureNode`; with `entry.headInput`, also the map that
 * the feature node's 1×1 conv reads, from the same pass. Shares (does not own) the graph model.
 */
export function graphBackbone(entry: ModelEntry, model: tf.GraphModel, release: () => void): Backbone {
  const node = entry.featureNode;
  if (!node) throw new Error(`${entry.id} has no featureNode`);
  const spec = entry.headInput;
  const nodeOf = (tap: string): string => {
    if (tap === 'features') return node;
    if (tap !== 'headInput') return tap;
    if (!spec) throw new Error(`${entry.id} has no head-input map (manifest headInput missing)`);
    return spec.node;
  };
  const backbone: Backbone = {
    entry,
    features(batch) {
      const map = model.execute(batch, node) as tf.Tensor4D;
      return tf.mean(map, [1, 2]) as tf.Tensor2D;
    },
    pooledTaps(batch, taps) {
      const nodes = [...new Set(taps.map(nodeOf))];
      let maps: tf.Tensor[];
      try {
        const out = model.execute(batch, nodes); // one output comes back as a tensor, several as a list
        maps = Array.isArray(out) ? out : [out];
      } catch (error) {
        throw new Error(`${entry.id}: cannot read taps ${nodes.join(', ')} (${errorMessage(error)})`);
      }
      const pooled = new Map(nodes.map((n, i) => [n, maps[i]!.rank === 4 ? (tf.mean(maps[i]!, [1, 2]) as tf.Tensor2D) : (maps[i] as tf.Tensor2D)]));
      return taps.map((t) => pooled.get(nodeOf(t))!);
    },
    dispose: release,
  };
  if (!spec) return backbone;
  const weight = (name: string): tf.Tensor => {
    const t = model.weights[name]?.[0];
    if (!t) throw new Error(`${entry.id}: the graph has no weight "${name}" (manifest headInput)`);
    return t;
  };
  return {
    ...backbone,
    featuresAndHeadInput(batch) {
      const [map, headInput] = model.execute(batch, [node, spec.node]) as [tf.Tensor4D, tf.Tensor4D];
      return { features: tf.mean(map, [1, 2]) as tf.Tensor2D, headInput };
    },
    lastConv: { kernel: weight(spec.convKernel) as tf.Tensor4D, bias: weight(spec.convBias) as tf.Tensor1D },
  };
}
