/**
 * Builds a Backbone for any manifest entry, whatever its architecture.
 * Entries that share files (the CenterNet backbone and its detector) share one loaded graph.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelEntry } from '../../src/shared/manifest.ts';
import { fileEndingWith, readJson, type ArtifactReader, type Backbone } from './backbone.ts';
import { graphBackbone, loadGraphModel } from './graph-backbone.ts';
import { decodeNamedWeights, parseWeightsModelJson } from './weights-format.ts';

type WeightsFactory = (entry: ModelEntry, weights: Map<string, tf.Tensor>, config: Record<string, unknown>) => Backbone;

/** Architectures built from code + a weights file register here (keeps this module free of their imports). */
const weightsFactories = new Map<string, () => Promise<WeightsFactory>>([
  ['mobilenetv3-small-torchvision', async () => (await import('./mobilenetv3-small.ts')).createMobileNetV3Small],
  ['efficientnet-lite', async () => (await import('./efficientnet-lite.ts')).createEfficientNetLite],
  ['vgg19-keras', async () => (await import('./vgg19.ts')).createVgg19 as WeightsFactory],
]);

export class GraphCache {
  private readonly graphs = new Map<string, { model: Promise<tf.GraphModel>; users: number }>();

  acquire(entry: ModelEntry, read: ArtifactReader): Promise<tf.GraphModel> {
    const key = entry.files.map((f) => f.sha256).join();
    let slot = this.graphs.get(key);
    if (!slot) {
      slot = { model: loadGraphModel(entry, read), users: 0 };
      slot.model.catch(() => this.graphs.delete(key));
      this.graphs.set(key, slot);
    }
    slot.users++;
    return slot.model;
  }

  release(entry: ModelEntry): void {
    const key = entry.files.map((f) => f.sha256).join();
    const slot = this.graphs.get(key);
    if (!slot || --slot.users > 0) return;
    this.graphs.delete(key);
    void slot.model.then((m) => m.dispose());
  }
}

export async function loadBackbone(entry: ModelEntry, read: ArtifactReader, graphs: GraphCache): Promise<Backbone> {
  if (entry.architecture === 'tfjs-graph') {
    const model = await graphs.acquire(entry, read);
    return graphBackbone(entry, model, () => graphs.release(entry));
  }
  const factory = weightsFactories.get(entry.architecture);
  if (!factory) throw new Error(`${entry.id}: unknown architecture "${entry.architecture}"`);
  const modelFile = fileEndingWith(entry, 'model.json', entry.id);
  const json = parseWeightsModelJson(await readJson(read, modelFile), modelFile.path);
  const bin = await read(fileEndingWith(entry, json.weightsManifest[0].paths[0], entry.id));
  const weights = decodeNamedWeights(json, bin);
  return (await factory())(entry, weights, json.config ?? {});
}
