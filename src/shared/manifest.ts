/**
 * The model registry: `model-artifacts/shipped/manifest.json` (served as models/manifest.json), read by the worker
 * (browser) and by the Node tools (indexer, eval). One definition of every
 * model's files, input and preprocessing, so both sides run the same thing.
 */
import { LookalikeError } from './errors.ts';
import { isSha256 } from './sha256.ts';

export interface ArtifactFile {
  /** Path relative to the manifest's folder, e.g. `mnv3l075/model.json`. */
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * Preprocessing, applied to RGB pixels 0–255 after resizing to inputSize:
 * `(pixel * scale - mean[c]) / std[c]`, channels in `channelOrder`.
 */
export interface Normalization {
  channelOrder: 'rgb' | 'bgr';
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
}

export type Architecture =
  | 'tfjs-graph' // a tfjs graph model; features taken at `featureNode`
  | 'mobilenetv3-small-torchvision'
  | 'efficientnet-lite' // Google's EfficientNet-Lite, built from code (workers/models/efficientnet-lite.ts)
  | 'vgg19-keras';

export interface ModelEntry {
  id: string;
  /** Human name; says honestly what network this is. */
  name: string;
  architecture: Architecture;
  /** What this entry is for: an ensemble member's backbone, or the object detector. */
  role: 'backbone' | 'detector';
  files: ArtifactFile[];
  inputSize: number;
  normalization: Normalization;
  /** Graph node whose output is the feature map (graph models only). */
  featureNode?: string;
  /**
   * Graph models only: the node the feature node's 1×1 conv (+ hard-swish) reads, and that conv's
   * weights. A fine-tuned category head takes this map and starts from a copy of the conv.
   */
  headInput?: { node: string; convKernel: string; convBias: string };
  /** Graph output used for detection (detector only). */
  outputNode?: string;
  /** Length of the pooled feature vector. */
  featureDim: number;
  /** Weight storage in the files: what the download costs. */
  weightDtype: 'float32' | 'float16' | 'uint8';
  licence: string;
  source: string;
  /** A user-supplied member (VGG19): listed only when its files were converted locally, never shipped. */
  optional?: boolean;
}

export interface HeadEntry {
  /** The backbone this head reads features from. */
  modelId: string;
  files: ArtifactFile[];
}

/** A box of an image in relative coordinates [x1, y1, x2, y2], each in [0, 1]. */
export type CropBox = [number, number, number, number];

/**
 * A second view for classification: when the whole photo's soft vote puts more than half its probability on
 * `labels`, the vote is averaged with that of the `box` crop of the photo. (Measured: a centre crop helps phone
 * photos of clothing and hurts catalog shots of furniture, which fill the frame.) The embedding never changes.
 */
export interface CropView {
  box: CropBox;
  labels: string[];
}

/** Whether a whole-photo vote (row `row` of [n, labels.length] probabilities) opens the crop view: more than half its probability on the view's labels. */
export function opensCropView(view: CropView, labels: string[], vote: ArrayLike<number>, row = 0): boolean {
  let sum = 0;
  for (const l of view.labels) sum += vote[row * labels.length + labels.indexOf(l)] ?? 0;
  return sum > 0.5;
}

export interface ModelManifest {
  formatVersion: 1;
  /** Identifies the exact ensemble; catalogs record it and are refused when it differs. */
  ensembleId: string;
  models: ModelEntry[];
  /** Category heads, one per ensemble member, all over `labels`. */
  labels?: string[];
  heads?: HeadEntry[];
  /** Soft-voting weights per member id (sum 1). */
  voteWeights?: Record<string, number>;
  /** Optional retrieval projection applied to the concatenated features. */
  projection?: { files: ArtifactFile[]; inputDim: number; outputDim: number; description: string };
  /** Optional second classification view (see CropView). */
  cropView?: CropView;
  /**
   * When true, every view the heads classify is read together with its mirror image (one batch of two) and each
   * member's probabilities are the mean of the two. The embedding never changes.
   */
  mirrorView?: boolean;
}

export class ManifestError extends LookalikeError {
  override name = 'ManifestError';
}

function checkFiles(files: unknown, where: string): ArtifactFile[] {
  if (!Array.isArray(files) || files.length === 0) throw new ManifestError(`${where}: "files" must be a non-empty list`);
  return files.map((file, index) => {
    const f = file as Partial<ArtifactFile>;
    if (typeof f.path !== 'string' || f.path.includes('..') || f.path.startsWith('/')) {
      throw new ManifestError(`${where}: file ${index} has an invalid path`);
    }
    if (!Number.isInteger(f.bytes) || (f.bytes as number) <= 0) throw new ManifestError(`${where}: ${f.path} has no valid byte size`);
    if (!isSha256(f.sha256)) throw new ManifestError(`${where}: ${f.path} has no valid sha256`);
    return { path: f.path, bytes: f.bytes as number, sha256: f.sha256 };
  });
}

function checkCropView(view: Partial<CropView>, labels: string[]): void {
  const b = view.box;
  if (!Array.isArray(b) || b.length !== 4 || b.some((v) => typeof v !== 'number' || !(v >= 0 && v <= 1)) || !(b[0]! < b[2]! && b[1]! < b[3]!)) {
    throw new ManifestError('cropView: "box" must be [x1, y1, x2, y2] within [0, 1] with x1 < x2 and y1 < y2');
  }
  if (!Array.isArray(view.labels) || view.labels.length === 0) throw new ManifestError('cropView: "labels" must be a non-empty list');
  const unknown = view.labels.filter((l) => !labels.includes(l));
  if (unknown.length) throw new ManifestError(`cropView: labels ${unknown.join(', ')} are not among the heads' labels`);
}

/** Validates a parsed manifest.json; throws ManifestError naming the first problem. */
export function parseManifest(json: unknown): ModelManifest {
  if (typeof json !== 'object' || json === null) throw new ManifestError('manifest.json is not a JSON object');
  const m = json as Partial<ModelManifest>;
  if (m.formatVersion !== 1) {
    throw new ManifestError(`manifest.json has format version ${String(m.formatVersion)}; this app reads version 1`);
  }
  if (typeof m.ensembleId !== 'string' || !m.ensembleId) throw new ManifestError('manifest.json has no ensembleId');
  if (!Array.isArray(m.models) || m.models.length === 0) throw new ManifestError('manifest.json lists no models');
  const ids = new Set<string>();
  for (const model of m.models) {
    const where = `model "${model?.id ?? '?'}"`;
    if (typeof model.id !== 'string' || !/^[a-z0-9_-]+$/.test(model.id)) throw new ManifestError(`${where}: invalid id`);
    if (ids.has(model.id)) throw new ManifestError(`${where}: duplicate id`);
    ids.add(model.id);
    checkFiles(model.files, where);
    if (!Number.isInteger(model.inputSize) || model.inputSize < 32) throw new ManifestError(`${where}: invalid inputSize`);
    if (!Number.isInteger(model.featureDim) || model.featureDim <= 0) throw new ManifestError(`${where}: invalid featureDim`);
    const n = model.normalization;
    if (n?.mean?.length !== 3 || n.std?.length !== 3 || n.std.some((s) => s === 0)) {
      throw new ManifestError(`${where}: invalid normalization`);
    }
    if (model.architecture === 'tfjs-graph' && !(model.featureNode || model.outputNode)) {
      throw new ManifestError(`${where}: a graph model needs a featureNode or outputNode`);
    }
    const hi = model.headInput;
    if (hi !== undefined && !(model.featureNode && [hi.node, hi.convKernel, hi.convBias].every((v) => typeof v === 'string' && v))) {
      throw new ManifestError(`${where}: headInput needs a featureNode and the node, convKernel and convBias names`);
    }
  }
  for (const head of m.heads ?? []) {
    if (!ids.has(head.modelId)) throw new ManifestError(`head for unknown model "${head.modelId}"`);
    checkFiles(head.files, `head "${head.modelId}"`);
  }
  if (m.projection) checkFiles(m.projection.files, 'projection');
  if (m.cropView !== undefined) checkCropView(m.cropView, m.labels ?? []);
  if (m.mirrorView !== undefined && typeof m.mirrorView !== 'boolean') throw new ManifestError('mirrorView must be true or false');
  return m as ModelManifest;
}

export function backbones(manifest: ModelManifest): ModelEntry[] {
  return manifest.models.filter((m) => m.role === 'backbone');
}

export function findModel(manifest: ModelManifest, id: string): ModelEntry {
  const model = manifest.models.find((m) => m.id === id);
  if (!model) throw new ManifestError(`model "${id}" is not in manifest.json`);
  return model;
}

/** Every file the app downloads for this manifest, deduplicated, in order. */
export function allFiles(manifest: ModelManifest): ArtifactFile[] {
  const files: ArtifactFile[] = [];
  for (const model of manifest.models) files.push(...model.files);
  for (const head of manifest.heads ?? []) files.push(...head.files);
  if (manifest.projection) files.push(...manifest.projection.files);
  const seen = new Set<string>();
  return files.filter((f) => (seen.has(f.path) ? false : (seen.add(f.path), true)));
}
