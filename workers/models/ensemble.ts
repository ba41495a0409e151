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
import { cropRelative, normalizeModelInput, resizeForModel } from './preprocess.ts';
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
  /** True when each view's probabilities average it with its mirror image (manifest mirrorView). */
  mirrorView?: boolean;
}

/** What one pass of Embedder.compute computes. */
export interface PassOptions {
  /** The retrieval embedding. */
  embed: boolean;
  /** Each member's probabilities and the soft vote (when the manifest has heads). */
  classify: boolean;
  /** Classify the image together with its mirror image (see Embedder.compute). */
  mirror: boolean;
}

/** Embedder.compute's tensors: [1, dim] embedding, [1, labels] vote and each member's probabilities. */
export type PassTensors = { embedding?: tf.Tensor2D; vote?: tf.Tensor2D; members: tf.Tensor2D[] };
const tensorsOf = (out: PassTensors): tf.Tensor[] => [out.embedding, out.vote, ...out.members].filter((t) => t !== undefined);

export interface LoadOptions {
  /** Called as each step starts, for the progress UI. */
  onStep?: (step: string) => void;
  /** Abandons the load (e.g. a GPU over its time budget): it rejects promptly and frees what it loaded. */
  signal?: AbortSignal;
}

export class Embedder {
  /**
   * How long each part's warm-up took (ms), by member id and `combine`: on WebGPU mostly shader compilation,
   * so the bench can say which member costs the wait (docs/performance.md).
   */
  readonly warmupMs: Record<string, number> = {};

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
        options.signal?.throwIfAborted();
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
        if (stack.input === 'taps' && !member.pooledTaps)
          throw new Error(`the head of ${head.modelId} reads taps ${stack.taps!.join(', ')}, which this backbone does not give`);
      }
      if (manifest.projection) projection = await loadDenseStack(manifest.projection.files, read, 'projection');
    } catch (error) {
      members.forEach((m) => m.dispose());
      heads.forEach((h) => h.dispose());
      throw error;
    }
    const embedder = new Embedder(manifest, members, heads, projection);
    options.onStep?.('warming up');
    // The search path's shapes (with mirrorView, a batch of two), one member (with its head) at a time so each
    // part's cost is known, then the step that combines them (projection, vote): together one whole pass's work.
    const pass = { embed: true, classify: true, mirror: manifest.mirrorView === true };
    const timed = async (part: string, run: () => tf.Tensor | tf.Tensor[]) => {
      const started = performance.now();
      await warmUp(run, options.signal);
      embedder.warmupMs[part] = Math.round(performance.now() - started);
    };
    try {
      for (const member of members) {
        const alone = new Embedder(manifest, [member], heads, undefined);
        const size = member.entry.inputSize;
        await timed(member.entry.id, () => tensorsOf(alone.compute(tf.zeros([size, size, 3]) as tf.Tensor3D, pass)));
      }
      const headed = members.filter((m) => heads.has(m.entry.id));
      await timed('combine', () =>
        tensorsOf(
          embedder.combine(
            members.map((m) => tf.zeros([1, m.entry.featureDim])),
            headed.map(() => tf.zeros([1, embedder.labels.length])),
          ),
        ),
      );
    } catch (error) {
      // e.g. a GPU backend abandoned while it warmed up (workers/backend-choice.ts): nothing stays allocated.
      embedder.dispose();
      throw error;
    }
    return embedder;
  }

  /**
   * One pass over one RGB 0–255 image [h, w, 3]. Pure tensor code (call inside tf.tidy). With `mirror`, a
   * member with a head reads the image and its mirror image as one batch, and its probabilities are the mean of
   * the two; the embedding is always the image's own (catalogs are indexed that way).
   */
  compute(image: tf.Tensor3D, pass: PassOptions): PassTensors {
    // The photo is resized once per input size (a large one halved, then resized), whatever the number of members
    // reading that size; each member then normalises it its own way (toModelInput's two halves, the same values).
    const resized = new Map<number, tf.Tensor4D>();
    const normalised: tf.Tensor2D[] = [];
    const memberProbs: tf.Tensor2D[] = [];
    for (const member of this.members) {
      const head = pass.classify ? this.heads.get(member.entry.id) : undefined;
      const mirror = head !== undefined && pass.mirror;
      const own = (rows: tf.Tensor2D) => (mirror ? rows.slice([0, 0], [1, -1]) : rows);
      const meanOfViews = (probs: tf.Tensor2D): tf.Tensor2D => (mirror ? probs.mean(0, true) : probs);
      const size = member.entry.inputSize;
      if (!resized.has(size)) resized.set(size, resizeForModel(image, size));
      const photo = normalizeModelInput(resized.get(size)!, member.entry.normalization);
      // The mirror image of the resized, normalised input (the same as toModelInput's flip, without resizing twice).
      const input = mirror ? tf.concat([photo, tf.reverse(photo, 2)]) : photo;
      if (head?.input === 'taps') {
        // One pass gives the embedding's features and every layer the head reads.
        const [features, ...pooled] = member.pooledTaps!(input, ['features', ...head.taps!]);
        if (pass.embed) normalised.push(l2NormalizeRows(own(features!)));
        memberProbs.push(meanOfViews(head.apply(tf.concat(pooled.map(l2NormalizeRows), 1))));
      } else if (head?.input === 'headInput') {
        const out = member.featuresAndHeadInput!(input);
        if (pass.embed) normalised.push(l2NormalizeRows(own(out.features)));
        memberProbs.push(meanOfViews(head.apply(out.headInput)));
      } else if (head || pass.embed) {
        const features = l2NormalizeRows(member.features(input));
        if (pass.embed) normalised.push(own(features));
        if (head) memberProbs.push(meanOfViews(head.apply(features)));
      }
    }
    return this.combine(pass.embed ? normalised : undefined, memberProbs);
  }

  /**
   * The pass's last step: the members' normalised features (when it embeds) → the embedding, projected and
   * normalised; the members' probabilities → the weighted vote. Pure tensor code (call inside tf.tidy).
   */
  private combine(normalised: tf.Tensor2D[] | undefined, memberProbs: tf.Tensor2D[]): PassTensors {
    const out: PassTensors = { members: memberProbs };
    if (normalised) {
      let embedding: tf.Tensor2D = normalised.length === 1 ? normalised[0]! : tf.concat(normalised, 1);
      if (this.projection) embedding = this.projection.apply(embedding);
      out.embedding = l2NormalizeRows(embedding);
    }
    if (memberProbs.length) {
      const weights = this.members.filter((m) => this.heads.has(m.entry.id)).map((m) => this.manifest.voteWeights?.[m.entry.id] ?? 1);
      const total = weights.reduce((a, b) => a + b, 0);
      out.vote = tf.addN(memberProbs.map((p, i) => p.mul(weights[i]! / total))) as tf.Tensor2D;
    }
    return out;
  }

  /** The retrieval embedding of a photo (the photo as given, no heads: what catalogs are indexed with). */
  async embed(image: tf.Tensor3D): Promise<Float32Array> {
    return (await this.read(image, { embed: true, classify: false, mirror: false })).embedding!;
  }

  /**
   * The retrieval embeddings of several photos, one pass per member over the whole batch: what embed() gives
   * each photo, up to float rounding (the Node indexer's workers; batches amortise the per-op overhead on wasm).
   */
  async embedBatch(images: tf.Tensor3D[]): Promise<Float32Array[]> {
    if (images.length === 0) return [];
    const embeddings = tf.tidy(() => {
      // Each photo is resized once per input size, whatever the number of members reading that size.
      const resized = new Map<number, tf.Tensor4D>();
      const normalised = this.members.map((member) => {
        const size = member.entry.inputSize;
        if (!resized.has(size)) resized.set(size, tf.concat(images.map((image) => resizeForModel(image, size))));
        return l2NormalizeRows(member.features(normalizeModelInput(resized.get(size)!, member.entry.normalization)));
      });
      let embedding: tf.Tensor2D = normalised.length === 1 ? normalised[0]! : tf.concat(normalised, 1);
      if (this.projection) embedding = this.projection.apply(embedding);
      return l2NormalizeRows(embedding);
    });
    try {
      const rows = (await embeddings.data()) as Float32Array;
      const d = embeddings.shape[1];
      return images.map((_, i) => rows.slice(i * d, (i + 1) * d));
    } finally {
      embeddings.dispose();
    }
  }

  /**
   * Embedding and category probabilities of a photo. With a manifest mirrorView, every view is classified
   * together with its mirror image (see compute). With a manifest cropView, a photo whose whole-image vote
   * puts more than half its probability on the view's labels is classified again from that crop, and each
   * member's probabilities (and so the vote) become the mean of the two views'. The embedding is the whole photo's.
   */
  async run(image: tf.Tensor3D): Promise<EmbedOutput> {
    const mirror = this.manifest.mirrorView === true;
    const whole = await this.read(image, { embed: true, classify: true, mirror });
    const view = this.manifest.cropView;
    if (!whole.probabilities || !whole.memberProbabilities) return whole;
    if (mirror) whole.mirrorView = true;
    if (!view) return whole;
    if (!opensCropView(view, this.labels, whole.probabilities)) return { ...whole, cropView: false };
    const crop = tf.tidy(() => cropRelative(image, view.box));
    let cropped: EmbedOutput;
    try {
      cropped = await this.read(crop, { embed: false, classify: true, mirror });
    } finally {
      crop.dispose();
    }
    const mean = (a: Float32Array, b: Float32Array) => a.map((v, i) => (v + b[i]!) / 2);
    return {
      ...whole,
      probabilities: mean(whole.probabilities, cropped.probabilities!),
      memberProbabilities: Object.fromEntries(Object.entries(whole.memberProbabilities).map(([id, p]) => [id, mean(p, cropped.memberProbabilities![id]!)])),
      cropView: true,
    };
  }

  /** compute() of one view, read back (an embedding of length 0 when the pass does not embed). */
  private async read(image: tf.Tensor3D, pass: PassOptions): Promise<EmbedOutput> {
    const outputs = tf.tidy(() => this.compute(image, pass));
    try {
      const [embedding, vote, ...members] = await Promise.all(
        [outputs.embedding, outputs.vote, ...outputs.members].map((t) => t?.data() as Promise<Float32Array> | undefined),
      );
      const result: EmbedOutput = { embedding: embedding ?? new Float32Array(0) };
      if (vote) {
        result.probabilities = vote;
        const withHeads = this.members.filter((m) => this.heads.has(m.entry.id));
        result.memberProbabilities = Object.fromEntries(withHeads.map((m, i) => [m.entry.id, members[i]!]));
      }
      return result;
    } finally {
      tf.dispose(tensorsOf(outputs));
    }
  }

  dispose(): void {
    this.members.forEach((m) => m.dispose());
    this.heads.forEach((h) => h.dispose());
    this.projection?.dispose();
  }
}
