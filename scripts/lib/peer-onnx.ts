/**
 * The shipped MobileNetV3-S exported to ONNX for the peer-engine benchmark (`npm run bench -- --only peer`):
 * read from model-artifacts/shipped/ (sha256-checked), decoded by the app's own weights decoder, written to
 * .cache/peer/mnv3s.onnx (gitignored: it is derived, about 6 MB of float32, and rebuilt in a second), with a
 * note of the shipped files it came from so a changed model is exported again.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type ModelEntry, findModel } from '../../src/shared/manifest.ts';
import { fileEndingWith, readJson } from '../../workers/models/backbone.ts';
import { type MobileNetV3Config, parseMobileNetV3Config } from '../../workers/models/mobilenetv3-small.ts';
import { decodeNamedWeights, parseWeightsModelJson } from '../../workers/models/weights-format.ts';
import { readManifest } from './manifest-writer.ts';
import { type WeightArray, mobileNetV3SmallToOnnx } from './mobilenetv3-small-onnx.ts';
import { fileReader } from './node-models.ts';

/** The ensemble member the peer benchmark compares. */
export const PEER_MODEL_ID = 'mnv3s';
export const PEER_ONNX_PATH = resolve(import.meta.dirname, '../../.cache/peer/mnv3s.onnx');
const SOURCE_NOTE_PATH = `${PEER_ONNX_PATH}.source.json`;

export interface ShippedMobileNetV3Small {
  entry: ModelEntry;
  config: MobileNetV3Config;
  weights: Map<string, WeightArray>;
}

/** The shipped member's config and weights, decoded to float32 exactly as the app decodes them. */
export async function readShippedMobileNetV3Small(id = PEER_MODEL_ID): Promise<ShippedMobileNetV3Small> {
  const entry = findModel(readManifest(), id);
  if (entry.architecture !== 'mobilenetv3-small-torchvision') throw new Error(`${id} is a ${entry.architecture}, not a MobileNetV3-Small`);
  await tf.ready();
  const read = fileReader();
  const modelFile = fileEndingWith(entry, 'model.json', id);
  const json = parseWeightsModelJson(await readJson(read, modelFile), modelFile.path);
  const tensors = decodeNamedWeights(json, await read(fileEndingWith(entry, json.weightsManifest[0].paths[0], id)));
  const weights = new Map<string, WeightArray>();
  for (const [name, t] of tensors) {
    weights.set(name, { shape: t.shape, values: t.dataSync() as Float32Array });
    t.dispose();
  }
  return { entry, config: parseMobileNetV3Config(json.config ?? {}), weights };
}

/** The shipped member as ONNX bytes. */
export async function exportShippedToOnnx(id = PEER_MODEL_ID): Promise<{ bytes: Uint8Array; entry: ModelEntry }> {
  const { entry, config, weights } = await readShippedMobileNetV3Small(id);
  const files = entry.files.map((f) => `${f.path} ${f.sha256.slice(0, 12)}`).join(', ');
  const bytes = mobileNetV3SmallToOnnx(config, weights, {
    docString: `Lookalike's ${id} (${entry.name}) exported by scripts/models/export-onnx.ts from ${files}, for the peer-engine benchmark only.`,
  });
  return { bytes, entry };
}

const sourceOf = (entry: ModelEntry): string => JSON.stringify(entry.files.map((f) => f.sha256));

/** Writes .cache/peer/mnv3s.onnx from the shipped files. */
export async function writePeerOnnx(): Promise<{ path: string; bytes: number }> {
  const { bytes, entry } = await exportShippedToOnnx();
  mkdirSync(dirname(PEER_ONNX_PATH), { recursive: true });
  writeFileSync(PEER_ONNX_PATH, bytes);
  writeFileSync(SOURCE_NOTE_PATH, sourceOf(entry));
  return { path: PEER_ONNX_PATH, bytes: bytes.byteLength };
}

/** The exported model's path, exported first when it is missing or the shipped files changed since. */
export async function ensurePeerOnnx(log: (line: string) => void = () => undefined): Promise<string> {
  const entry = findModel(readManifest(), PEER_MODEL_ID);
  const current = existsSync(PEER_ONNX_PATH) && existsSync(SOURCE_NOTE_PATH) && readFileSync(SOURCE_NOTE_PATH, 'utf8') === sourceOf(entry);
  if (!current) {
    log(`peer: exporting ${PEER_MODEL_ID} to ONNX (npm run models:onnx)…`);
    await writePeerOnnx();
  }
  return PEER_ONNX_PATH;
}
