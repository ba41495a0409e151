/**
 * Per-member backbone outputs for dataset images, for the photo and its mirror
 * image, computed once and cached in .cache/features/ keyed by the member's
 * weight sha256: the pooled features (L2-normalised), the head-input map that
 * a fine-tuned head reads, or the pooled taps a multi-tap head reads. Training
 * and evaluation of heads read from here.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { CropBox, ModelEntry } from '../../src/shared/manifest.ts';
import type { Backbone } from '../../workers/models/backbone.ts';
import { GraphCache, loadBackbone } from '../../workers/models/load-backbone.ts';
import { cropRelative, toModelInput } from '../../workers/models/preprocess.ts';
import { l2NormalizeRows } from '../../workers/models/ensemble.ts';
import { decodeImage, fileReader, useWasmBackend } from './node-models.ts';

const CACHE = resolve(import.meta.dirname, '../../.cache/features');

export interface FeatureTable {
  /** path → [row of the photo, row of its mirror image] */
  get(path: string): [Float32Array, Float32Array] | undefined;
}

/**
 * `pooled`: L2-normalised features; `headInput`: the map the last 1×1 conv reads, flattened (h·w·c);
 * `{ taps }`: each tap average-pooled and L2-normalised, concatenated (what a multi-tap head reads);
 * with `crop`, of that box of the photo (relative [x1, y1, x2, y2]) instead of the whole photo.
 */
export type FeatureKind = 'pooled' | 'headInput' | { taps: string[]; crop?: CropBox };

function cacheDir(entry: ModelEntry, kind: FeatureKind): string {
  const suffix =
    kind === 'pooled'
      ? ''
      : kind === 'headInput'
        ? '-headinput'
        : `-taps-${createHash('sha256').update(kind.taps.join('|')).digest('hex').slice(0, 8)}${kind.crop ? `-crop-${kind.crop.join('-')}` : ''}`;
  return resolve(CACHE, `${entry.id}-${entry.files.map((f) => f.sha256.slice(0, 8)).join('')}${suffix}`);
}

function load(dir: string): Map<string, Float32Array> {
  const map = new Map<string, Float32Array>();
  if (!existsSync(resolve(dir, 'index.json'))) return map;
  const paths = JSON.parse(readFileSync(resolve(dir, 'index.json'), 'utf8')) as string[];
  const buf = readFileSync(resolve(dir, 'features.f32'));
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const stride = all.length / Math.max(1, paths.length);
  paths.forEach((p, i) => map.set(p, all.slice(i * stride, (i + 1) * stride)));
  return map;
}

function save(dir: string, map: Map<string, Float32Array>): void {
  mkdirSync(dir, { recursive: true });
  const paths = [...map.keys()];
  const stride = map.get(paths[0]!)?.length ?? 0;
  const all = new Float32Array(paths.length * stride);
  paths.forEach((p, i) => all.set(map.get(p)!, i * stride));
  writeFileSync(resolve(dir, 'features.f32'), new Uint8Array(all.buffer));
  writeFileSync(resolve(dir, 'index.json'), JSON.stringify(paths));
}

/** Features [orig ‖ mirrored] of one decoded image, normalised per half. */
export function featuresWithMirror(backbone: Backbone, image: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const { inputSize, normalization } = backbone.entry;
    const batch = tf.concat([toModelInput(image, inputSize, normalization), toModelInput(image, inputSize, normalization, true)]);
    return l2NormalizeRows(backbone.features(batch));
  });
}

/** Head-input maps [orig ‖ mirrored] of one decoded image. */
function headInputWithMirror(backbone: Backbone, image: tf.Tensor3D): tf.Tensor {
  return tf.tidy(() => {
    if (!backbone.featuresAndHeadInput) throw new Error(`${backbone.entry.id} gives no head-input map`);
    const { inputSize, normalization } = backbone.entry;
    const batch = tf.concat([toModelInput(image, inputSize, normalization), toModelInput(image, inputSize, normalization, true)]);
    return backbone.featuresAndHeadInput(batch).headInput;
  });
}

/** Pooled taps [orig ‖ mirrored] of one decoded image, each L2-normalised, concatenated per view. */
export function tapsWithMirror(backbone: Backbone, image: tf.Tensor3D, taps: string[]): tf.Tensor2D {
  return tf.tidy(() => {
    if (!backbone.pooledTaps) throw new Error(`${backbone.entry.id} gives no pooled taps`);
    const { inputSize, normalization } = backbone.entry;
    const batch = tf.concat([toModelInput(image, inputSize, normalization), toModelInput(image, inputSize, normalization, true)]);
    return tf.concat(backbone.pooledTaps(batch, taps).map(l2NormalizeRows), 1);
  });
}

export async function featureTable(entry: ModelEntry, paths: string[], kind: FeatureKind = 'pooled'): Promise<FeatureTable> {
  await useWasmBackend();
  const label = `${entry.id} ${kind === 'pooled' ? 'features' : kind === 'headInput' ? 'head-input maps' : `taps (${kind.taps.length})${kind.crop ? ` of the crop ${kind.crop.join(',')}` : ''}`}`;
  const dir = cacheDir(entry, kind);
  const map = load(dir);
  const missing = [...new Set(paths)].filter((p) => !map.has(p));
  if (missing.length) {
    const backbone = await loadBackbone(entry, fileReader(), new GraphCache());
    const started = performance.now();
    let done = 0;
    for (const path of missing) {
      let image: tf.Tensor3D | undefined;
      try {
        image = await decodeImage(path);
        if (typeof kind === 'object' && kind.crop) {
          const whole = image;
          image = tf.tidy(() => cropRelative(whole, kind.crop!));
          whole.dispose();
        }
        const feats =
          kind === 'pooled'
            ? featuresWithMirror(backbone, image)
            : kind === 'headInput'
              ? headInputWithMirror(backbone, image)
              : tapsWithMirror(backbone, image, kind.taps);
        map.set(path, (await feats.data()) as Float32Array);
        feats.dispose();
      } catch (error) {
        console.warn(`skipping ${path}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        image?.dispose();
      }
      if (++done % 250 === 0 || done === missing.length) {
        const rate = done / ((performance.now() - started) / 1000);
        process.stderr.write(`  ${label}: ${done}/${missing.length} images, ${rate.toFixed(1)}/s, ETA ${Math.round((missing.length - done) / rate)} s\n`);
        if (done % 1000 === 0) save(dir, map);
      }
    }
    backbone.dispose();
    save(dir, map);
  }
  return {
    get(path) {
      const v = map.get(path);
      return v ? [v.subarray(0, v.length / 2), v.subarray(v.length / 2)] : undefined;
    },
  };
}
