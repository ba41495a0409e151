/**
 * The Node side of the model runtime: tfjs on the wasm backend, artifacts read
 * from model-artifacts/shipped/ (sha256-checked, like the browser), images decoded with sharp.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { LookalikeError } from '../../src/shared/errors.ts';
import type { ArtifactFile } from '../../src/shared/manifest.ts';
import { verifyBytes } from '../../src/shared/sha256.ts';
import type { ArtifactReader } from '../../workers/models/backbone.ts';
import { Embedder, type LoadOptions } from '../../workers/models/ensemble.ts';
import { readManifest } from './manifest-writer.ts';
import { SHIPPED_DIR } from './model-artifacts.ts';

export async function useWasmBackend(): Promise<void> {
  if (tf.getBackend() === 'wasm') return;
  if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend did not start');
  await tf.ready();
}

export function fileReader(root = SHIPPED_DIR): ArtifactReader {
  return async (file: ArtifactFile) => {
    const buf = await readFile(join(root, file.path));
    const bytes = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    await verifyBytes(file, bytes);
    return bytes;
  };
}

export async function loadNodeEmbedder(options: LoadOptions = {}): Promise<Embedder> {
  await useWasmBackend();
  return Embedder.load(readManifest(), fileReader(), options);
}

export class ImageDecodeError extends LookalikeError {
  override name = 'ImageDecodeError';
}

/** sharp, loaded on first decode: the indexer's embedding workers import this module for the models and never decode. */
let sharpModule: Promise<typeof import('sharp')> | undefined;
const loadSharp = async () => (await (sharpModule ??= import('sharp'))).default;

/** An image's RGB pixels, row-major, 3 bytes a pixel. */
export interface RgbPixels {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Decodes any image sharp reads (EXIF orientation applied) into RGB pixels, longest side at most `maxSide`.
 * The resize is asked for at load, so a large JPEG is decoded at a reduced scale (libvips shrink-on-load).
 */
export async function decodePixels(input: string | Buffer, maxSide = 1024): Promise<RgbPixels> {
  const sharp = await loadSharp();
  try {
    const { data, info } = await sharp(input, { failOn: 'error' })
      .rotate()
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (error) {
    const name = typeof input === 'string' ? input : 'image';
    throw new ImageDecodeError(`${name}: not a readable image (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** Decoded pixels as the models read them: an RGB [h, w, 3] int32 tensor. */
export function pixelsToTensor(pixels: RgbPixels): tf.Tensor3D {
  return tf.tensor3d(Int32Array.from(pixels.data), [pixels.height, pixels.width, 3], 'int32');
}

/** Decodes any image sharp reads (EXIF orientation applied) into an RGB [h, w, 3] int32 tensor. */
export async function decodeImage(input: string | Buffer, maxSide = 1024): Promise<tf.Tensor3D> {
  return pixelsToTensor(await decodePixels(input, maxSide));
}
