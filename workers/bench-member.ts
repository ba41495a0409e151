/**
 * One ensemble member alone, for the peer-engine benchmark (`npm run bench -- --only peer`, docs/performance.md):
 * a fresh copy of the member loaded with the app's own loader (loadBackbone, from the worker's artifact reader),
 * its warm-up (first pass) timed, then single passes of `features()` read back, on one fixed preprocessed
 * input. Test builds only (workers/bench-api.ts wires it).
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelEntry, ModelManifest } from '../src/shared/manifest.ts';
import { type PeerVariant, isPeerVariant, variantConfig } from './bench-variants.ts';
import { type ArtifactReader, type Backbone, fileEndingWith, readJson } from './models/backbone.ts';
import { GraphCache, loadBackbone } from './models/load-backbone.ts';
import { toModelInput } from './models/preprocess.ts';
import { decodeNamedWeights, parseWeightsModelJson } from './models/weights-format.ts';

export interface MemberOpenResult {
  id: string;
  variant: PeerVariant;
  backend: string;
  /** Artifact bytes (already in the worker's memory) → weights on the backend, network built. */
  loadMs: number;
  /** The first pass (features + read back) of the fresh copy: kernel set-up, buffers, shader compiles on a GPU. */
  warmupMs: number;
  /** The fixed input: the app's preprocessing (toModelInput) of a seeded random RGB image, NHWC. */
  inputShape: number[];
  input: number[];
  /** The member's features for that input (the first pass's). */
  features: number[];
}

export interface MemberRunResult {
  /** ms of each pass: features() and its read back (data()). */
  runs: number[];
  features: number[];
  numTensors: number;
}

/** Seed of the fixed input (benchPredict's image uses the same). */
const INPUT_SEED = 42;

/**
 * Copies of one member (the shipped network and any breakdown variants), all open at once so the benchmark
 * can interleave them round by round on the same input.
 */
export class MemberBench {
  private readonly members = new Map<PeerVariant, Backbone>();
  private input: tf.Tensor4D | undefined;
  private entry: ModelEntry | undefined;

  constructor(
    private readonly manifest: ModelManifest,
    private readonly read: ArtifactReader,
  ) {}

  private async pass(member: Backbone): Promise<{ ms: number; features: Float32Array }> {
    const started = performance.now();
    const out = tf.tidy(() => member.features(this.input!));
    const features = (await out.data()) as Float32Array;
    const ms = performance.now() - started;
    out.dispose();
    return { ms, features };
  }

  /** The shipped member through the app's loader; a variant (bench-variants.ts) through the same decoder and builder with its config. */
  private async load(entry: ModelEntry, variant: PeerVariant): Promise<Backbone> {
    if (variant === 'shipped') return loadBackbone(entry, this.read, new GraphCache());
    if (entry.architecture !== 'mobilenetv3-small-torchvision') throw new Error(`${entry.id}: variants are for MobileNetV3-Small only`);
    const modelFile = fileEndingWith(entry, 'model.json', entry.id);
    const json = parseWeightsModelJson(await readJson(this.read, modelFile), modelFile.path);
    // Imported on demand, as load-backbone.ts does, so the builder stays in its own chunk.
    const { createMobileNetV3Small, parseMobileNetV3Config } = await import('./models/mobilenetv3-small.ts');
    const weights = decodeNamedWeights(json, await this.read(fileEndingWith(entry, json.weightsManifest[0].paths[0], entry.id)));
    return createMobileNetV3Small(entry, weights, { ...variantConfig(parseMobileNetV3Config(json.config ?? {}), variant) });
  }

  /** Loads a fresh copy of member `id` as `variant` (another member id closes the copies open) and times its first pass. */
  async open(id: string, variant: PeerVariant = 'shipped'): Promise<MemberOpenResult> {
    if (!isPeerVariant(variant)) throw new Error(`unknown variant "${String(variant)}"`);
    if (this.entry && this.entry.id !== id) this.close();
    const entry = this.manifest.models.find((m) => m.id === id && m.role === 'backbone');
    if (!entry) throw new Error(`no ensemble member "${id}" in the manifest (${this.manifest.models.map((m) => m.id).join(', ')})`);
    this.entry = entry;
    this.members.get(variant)?.dispose();
    this.members.delete(variant);
    const loadStarted = performance.now();
    const member = await this.load(entry, variant);
    const loadMs = performance.now() - loadStarted;
    this.members.set(variant, member);
    const size = entry.inputSize;
    this.input ??= tf.tidy(() => {
      const image = tf.randomUniform([size, size, 3], 0, 256, 'int32', INPUT_SEED) as tf.Tensor3D;
      return toModelInput(image, size, entry.normalization);
    });
    const first = await this.pass(member);
    return {
      id,
      variant,
      backend: tf.getBackend(),
      loadMs,
      warmupMs: first.ms,
      inputShape: this.input.shape,
      input: Array.from(await this.input.data()),
      features: Array.from(first.features),
    };
  }

  async run(n: number, variant: PeerVariant = 'shipped'): Promise<MemberRunResult> {
    const member = this.members.get(variant);
    if (!member) throw new Error(`benchMemberOpen first (no "${variant}" copy is open)`);
    const runs: number[] = [];
    let last: Float32Array | undefined;
    for (let i = 0; i < Math.max(1, Math.floor(n)); i++) {
      const { ms, features } = await this.pass(member);
      runs.push(ms);
      last = features;
    }
    return { runs, features: Array.from(last!), numTensors: tf.memory().numTensors };
  }

  close(): void {
    for (const member of this.members.values()) member.dispose();
    this.members.clear();
    this.input?.dispose();
    this.input = undefined;
    this.entry = undefined;
  }
}
