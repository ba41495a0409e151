/**
 * ImageBitmap → RGB tensor, through a 2D OffscreenCanvas on every backend, so
 * the pixels are exactly what the Node indexer gets from sharp (RGB, 0–255).
 */
import * as tf from '@tensorflow/tfjs';

export function bitmapToTensor(bitmap: ImageBitmap): tf.Tensor3D {
  const { width, height } = bitmap;
  if (width === 0 || height === 0) throw new Error('the image is empty (0 pixels)');
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('could not read the image (no 2D canvas in this worker)');
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const rgb = new Int32Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i]!;
    rgb[j + 1] = rgba[i + 1]!;
    rgb[j + 2] = rgba[i + 2]!;
  }
  return tf.tensor3d(rgb, [height, width, 3], 'int32');
}
