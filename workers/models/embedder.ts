/**
 * The ensemble at run time: every backbone in the manifest, each member's
 * category head, the soft vote, and the retrieval embedding (the members'
 * L2-normalised features concatenated, then the optional learned projection).
 * Used unchanged by the browser worker and the Node indexer/eval tools.
 */
import * as tf from '@tensorflow/tfjs';
import { backbones, opensCropView, type ModelManifest } from '../../src/shared/manifest.ts';
import type { ArtifactReader, Backbone } from './backbone.ts';
import { loadDenseStack, type DenseStack } from './dense-stack.ts';
import { GraphCache, loadBackbone } from './load-backbone.ts';
import { cropRelative, toModelInput } from './preprocess.ts';
import { warmUp } from './warmup.ts';

/** Each row scaled to unit length. Call inside tf.tidy. */
export function l2NormalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return x.div(tf.sqrt(tf.sum(tf.square(x), -1, true)).maximum(1e-12));
}

export interface EmbedOutput {
  /** Retrieval vector, L2-normalised. */
  embedding: Float32Array;
  /** Soft-voted probabilities over `labels` (absent when the manifest has no heads). */
  probabilities?: Float32Array;
  /** Each member's own probabilities, by model id. */
  memberProbabilities?: Record<string, Float32Array>;
  /** True when the probabilities average the whole photo's with its crop view's (manifest cropView). */
  cropView?: boolean;
}

export interface LoadOptions {
  /** Called as each step starts, for the progress UI. */
  onStep?: (step: string) => void;
}

export class Embedder {
  private constructor(
    readonly manifest: ModelManifest,
    readonly members: Backbone[],
    private readonly heads: Map<string, DenseStack>,
    private readonly projection: DenseStack | undefined,
  ) {}

  get labels(): string[] {
    return this.manifest.labels ?? [];
  }

  get dimension(): number {
    return this.manifest.projection?.outputDim ?? this.members.reduce((n, m) => n + m.entry.featureDim, 0);
  }

  static async load(manifest: ModelManifest, read: ArtifactReader, options: LoadOptions = {}, graphs = new GraphCache()): Promise<Embedder> {
    const members: Backbone[] = [];
    const heads = new Map<string, DenseStack>();
    let projection: DenseStack | undefined;
    try {
      for (const entry of backbones(manifest)) {
        options.onStep?.(`loading ${entry.name}`);
        members.push(await loadBackbone(entry, read, graphs));
      }
      for (const head of manifest.heads ?? []) {
        const member = members.find((m) => m.entry.id === head.modelId);
        if (!member) continue;
        const stack = await loadDenseStack(head.files, read, `head ${head.modelId}`);
        heads.set(head.modelId, stack);
        if (stack.input === 'headInput' && !member.featuresAndHeadInput) {
          throw new Error(`the head of ${head.modelId} reads its head-input map, which this backbone does not give (manifest headInput missing?)`);
        }
        if (stack.input === 'taps' && !member.pooledTaps) throw new Error(`the head of ${head.modelId} reads taps ${stack.taps!.join(', ')}, which this backbone does not give`);
      }
      if (manifest.projection) projection = await loadDenseStack(manifest.projection.files, read, 'projection');
    } catch (error) {
      members.forEach((m) => m.dispose());
      heads.forEach((h) => h.dispose());
      throw error;
    }
    const embedder = new Embedder(manifest, members, heads, projection);
    options.onStep?.('warming up');
    const size = members[0]?.entry.inputSize ?? 224;
    await warmUp(() => embedder.compute(tf.zeros([size, size, 3]) as tf.Tensor3D));
    return embedder;
  }

  /** All outputs for one RGB 0–255 image [h, w, 3]. Pure tensor code (call inside tf.tidy). */
  compute(image: tf.Tensor3D): tf.Tensor[] {
    const normalised: tf.Tensor2D[] = [];
    const memberProbs: tf.Tensor2D[] = [];
    for (const member of this.members) {
      const input = toModelInput(image, member.entry.inputSize, member.entry.normalization);
      const head = this.heads.get(member.entry.id);
      if (head?.input === 'taps') {
        // One pass gives the embedding's features and every layer the head reads.
        const [features, ...pooled] = member.pooledTaps!(input, ['features', ...head.taps!]);
        normalised.push(l2NormalizeRows(features!));
        memberProbs.push(head.apply(tf.concat(pooled.map(l2NormalizeRows), 1)));
      } else if (head?.input === 'headInput') {
        const out = member.featuresAndHeadInput!(input);
        normalised.push(l2NormalizeRows(out.features));
        memberProbs.push(head.apply(out.headInput));
      } else {
        const features = l2NormalizeRows(member.features(input));
        normalised.push(features);
        if (head) memberProbs.push(head.apply(features));
      }
    }
    let embedding: tf.Tensor2D = normalised.length === 1 ? normalised[0]! : tf.concat(normalised, 1);
    if (this.projection) embedding = this.projection.apply(embedding);
    embedding = l2NormalizeRows(embedding);
    if (memberProbs.length === 0) return [embedding];
    const weights = this.members.filter((m) => this.heads.has(m.entry.id)).map((m) => this.manifest.voteWeights?.[m.entry.id] ?? 1);
    const total = weights.reduce((a, b) => a + b, 0);
    const vote = tf.addN(memberProbs.map((p, i) => p.mul(weights[i]! / total))) as tf.Tensor2D;
    return [embedding, vote, ...memberProbs];
  }

  /** The retrieval embedding of a photo (one view: what catalogs are indexed with). */
  async embed(image: tf.Tensor3D): Promise<Float32Array> {
    const [embedding, ...rest] = tf.tidy(() => this.compute(image));
    tf.dispose(rest);
    try {
      return (await embedding!.data()) as Float32Array;
    } finally {
      embedding!.dispose();
    }
  }

  /**
   * Embedding and category probabilities of a photo. With a manifest cropView, a photo whose whole-image vote
   * puts more than half its probability on the view's labels is classified again from that crop, and each
   * member's probabilities (and so the vote) become the mean of the two views'. The embedding is the whole photo's.
   */
  async run(image: tf.Tensor3D): Promise<EmbedOutput> {
    const whole = await this.outputsOf(image);
    const view = this.manifest.cropView;
    if (!view || !whole.probabilities || !whole.memberProbabilities) return whole;
    if (!opensCropView(view, this.labels, whole.probabilities)) return { ...whole, cropView: false };
    const crop = tf.tidy(() => cropRelative(image, view.box));
    let cropped: EmbedOutput;
    try {
      cropped = await this.outputsOf(crop);
    } finally {
      crop.dispose();
    }
    const mean = (a: Float32Array, b: Float32Array) => a.map((v, i) => (v + b[i]!) / 2);
    return {
      embedding: whole.embedding,
      probabilities: mean(whole.probabilities, cropped.probabilities!),
      memberProbabilities: Object.fromEntries(Object.entries(whole.memberProbabilities).map(([id, p]) => [id, mean(p, cropped.memberProbabilities![id]!)])),
      cropView: true,
    };
  }

  /** compute() of one view, read back. */
  private async outputsOf(image: tf.Tensor3D): Promise<EmbedOutput> {
    const outputs = tf.tidy(() => this.compute(image));
    try {
      const [embedding, vote, ...members] = await Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
      const result: EmbedOutput = { embedding: embedding! };
      if (vote) {
        result.probabilities = vote;
        const withHeads = this.members.filter((m) => this.heads.has(m.entry.id));
        result.memberProbabilities = Object.fromEntries(withHeads.map((m, i) => [m.entry.id, members[i]!]));
      }
      return result;
    } finally {
      tf.dispose(outputs);
    }
  }

  dispose(): void {
    this.members.forEach((m) => m.dispose());
    this.heads.forEach((h) => h.dispose());
    this.projection?.dispose();
  }
}
