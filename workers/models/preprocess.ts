/**
 * The one preprocessing definition, used by the browser worker and the Node
 * tools alike: RGB 0–255 image → resized, normalised model input.
 */
import * as tf from '@tensorflow/tfjs';
import type { Normalization } from '../../src/shared/manifest.ts';

/**
 * [h, w, 3] RGB 0–255 (any numeric dtype) → [1, size, size, 3] float32, normalised.
 * Box-halving of large images, then a bilinear resize with half-pixel centres; whole image (no crop). Call inside tf.tidy.
 */
export function toModelInput(image: tf.Tensor3D, size: number, norm: Normalization, flip = false): tf.Tensor4D {
  return normalizeModelInput(resizeForModel(image, size), norm, flip);
}

/** toModelInput's first half: [h, w, 3] → [1, size, size, 3] float32, still 0–255 (members of one input size can share it). Call inside tf.tidy. */
export function resizeForModel(image: tf.Tensor3D, size: number): tf.Tensor4D {
  return tf.image.resizeBilinear(halveForSize(image, size), [size, size], false, true).expandDims(0) as tf.Tensor4D;
}

/** toModelInput's second half, on a resized [n, size, size, 3] batch: optional mirror, channel order, scale and normalisation. Call inside tf.tidy. */
export function normalizeModelInput(resized: tf.Tensor4D, norm: Normalization, flip = false): tf.Tensor4D {
  let x = resized;
  if (flip) x = tf.image.flipLeftRight(x);
  if (norm.channelOrder === 'bgr') x = tf.reverse(x, -1);
  const mean = norm.channelOrder === 'bgr' ? [...norm.mean].reverse() : norm.mean;
  const std = norm.channelOrder === 'bgr' ? [...norm.std].reverse() : norm.std;
  return x.mul(norm.scale).sub(tf.tensor1d(mean)).div(tf.tensor1d(std));
}

/**
 * resizeForModel's first step: halve (a 2×2 box average, float32) while the image is at least twice `size` on both
 * sides, so large photos are not aliased by the final bilinear resize. Done once per view when several models read
 * the same photo (Embedder.compute): resizeForModel of the result halves no further, so the output is the same.
 * Returns `image` as float32 (itself when it already is and nothing needs halving). Call inside tf.tidy.
 */
export function halveForSize(image: tf.Tensor3D, size: number): tf.Tensor3D {
  let pixels = image.toFloat() as tf.Tensor3D;
  for (let [h, w] = pixels.shape; h >= 2 * size && w >= 2 * size; [h, w] = pixels.shape) {
    pixels = tf.image.resizeBilinear(pixels, [Math.floor(h / 2), Math.floor(w / 2)], false, true);
  }
  return pixels;
}

/** Crops a box given in relative coordinates [x1, y1, x2, y2] ∈ [0,1] out of an image. Call inside tf.tidy. */
export function cropRelative(image: tf.Tensor3D, box: [number, number, number, number]): tf.Tensor3D {
  const [h, w] = image.shape;
  const x1 = Math.max(0, Math.min(w - 1, Math.floor(box[0] * w)));
  const y1 = Math.max(0, Math.min(h - 1, Math.floor(box[1] * h)));
  const x2 = Math.max(x1 + 1, Math.min(w, Math.ceil(box[2] * w)));
  const y2 = Math.max(y1 + 1, Math.min(h, Math.ceil(box[3] * h)));
  return tf.slice(image, [y1, x1, 0], [y2 - y1, x2 - x1, 3]);
}
