/**
 * The object detector in the CenterNet artifact: proposes boxes for the
 * products people search for (furniture, bags, people for clothing), so a
 * room photo can be searched object by object.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelEntry } from '../../src/shared/manifest.ts';
import type { DetectedObject } from '../../src/shared/worker-api/search.ts';
import type { ArtifactReader } from './backbone.ts';
import type { GraphCache } from './load-backbone.ts';
import { toModelInput } from './preprocess.ts';

/** COCO class index → our label, for the classes worth searching. */
export const SEARCHABLE_COCO: Record<number, string> = {
  0: 'person',
  24: 'backpack',
  26: 'handbag',
  28: 'suitcase',
  56: 'chair',
  57: 'couch',
  58: 'potted plant',
  59: 'bed',
  60: 'dining table',
  62: 'tv',
};

export interface DetectOptions {
  minScore?: number;
  maxObjects?: number;
}

export class Detector {
  private constructor(
    readonly entry: ModelEntry,
    private readonly model: tf.GraphModel,
    private readonly release: () => void,
  ) {}

  static async load(entry: ModelEntry, read: ArtifactReader, graphs: GraphCache): Promise<Detector> {
    if (!entry.outputNode) throw new Error(`${entry.id} has no outputNode`);
    const model = await graphs.acquire(entry, read);
    const detector = new Detector(entry, model, () => graphs.release(entry));
    const size = entry.inputSize;
    const warm = tf.zeros([size, size, 3]) as tf.Tensor3D;
    await detector.detect(warm);
    warm.dispose();
    return detector;
  }

  /** Boxes of searchable objects in an RGB 0–255 image, best first, overlapping duplicates removed. */
  async detect(image: tf.Tensor3D, options: DetectOptions = {}): Promise<DetectedObject[]> {
    const size = this.entry.inputSize;
    const output = tf.tidy(() => this.model.execute(toModelInput(image, size, this.entry.normalization), this.entry.outputNode) as tf.Tensor);
    const rows = (await output.array()) as number[][][];
    output.dispose();
    const minScore = options.minScore ?? 0.3;
    const found: DetectedObject[] = [];
    for (const [x1, y1, x2, y2, score, cls] of rows[0] ?? []) {
      const label = SEARCHABLE_COCO[Math.round(cls!)];
      if (!label || score! < minScore) continue;
      const box: DetectedObject['box'] = [clamp(x1! / size), clamp(y1! / size), clamp(x2! / size), clamp(y2! / size)];
      if (box[2] - box[0] < 0.04 || box[3] - box[1] < 0.04) continue;
      if (found.some((f) => f.label === label && iou(f.box, box) > 0.6)) continue;
      found.push({ label, score: score!, box });
    }
    return found.sort((a, b) => b.score - a.score).slice(0, options.maxObjects ?? 8);
  }

  dispose(): void {
    this.release();
  }
}

const clamp = (v: number) => Math.min(1, Math.max(0, v));

export function iou(a: DetectedObject['box'], b: DetectedObject['box']): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}
