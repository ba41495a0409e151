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
import { PEER_VARIANTS, type PeerVariant, variantConfig } from '../../workers/bench-variants.ts';
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

function exportToOnnx(shipped: ShippedMobileNetV3Small, variant: PeerVariant): Uint8Array {
  const { entry, config, weights } = shipped;
  const files = entry.files.map((f) => `${f.path} ${f.sha256.slice(0, 12)}`).join(', ');
  const what = variant === 'shipped' ? '' : ` as the benchmark variant "${variant}" (${PEER_VARIANTS[variant]})`;
  return mobileNetV3SmallToOnnx(variantConfig(config, variant), weights, {
    docString: `Lookalike's ${entry.id} (${entry.name})${what}, exported by scripts/models/export-onnx.ts from ${files}, for the peer-engine benchmark only.`,
  });
}

/** The shipped member as ONNX bytes. */
export async function exportShippedToOnnx(id = PEER_MODEL_ID): Promise<{ bytes: Uint8Array; entry: ModelEntry }> {
  const shipped = await readShippedMobileNetV3Small(id);
  return { bytes: exportToOnnx(shipped, 'shipped'), entry: shipped.entry };
}

/** Where each variant's export lives: .cache/peer/mnv3s.onnx for the shipped network, mnv3s.<variant>.onnx for the others. */
export const peerOnnxPath = (variant: PeerVariant): string => (variant === 'shipped' ? PEER_ONNX_PATH : PEER_ONNX_PATH.replace(/\.onnx$/, `.${variant}.onnx`));

const PEER_VARIANT_LIST = Object.keys(PEER_VARIANTS) as PeerVariant[];
const sourceOf = (entry: ModelEntry): string => JSON.stringify({ files: entry.files.map((f) => f.sha256), variants: PEER_VARIANT_LIST });

/** Writes .cache/peer/mnv3s.onnx (and the breakdown's variants beside it) from the shipped files. */
export async function writePeerOnnx(): Promise<{ path: string; bytes: number }> {
  const shipped = await readShippedMobileNetV3Small();
  mkdirSync(dirname(PEER_ONNX_PATH), { recursive: true });
  for (const variant of PEER_VARIANT_LIST) writeFileSync(peerOnnxPath(variant), exportToOnnx(shipped, variant));
  writeFileSync(SOURCE_NOTE_PATH, sourceOf(shipped.entry));
  return { path: PEER_ONNX_PATH, bytes: readFileSync(PEER_ONNX_PATH).byteLength };
}

/** Each variant's exported model, exported first when missing or when the shipped files changed since. */
export async function ensurePeerOnnx(log: (line: string) => void = () => undefined): Promise<Record<PeerVariant, string>> {
  const entry = findModel(readManifest(), PEER_MODEL_ID);
  const paths = Object.fromEntries(PEER_VARIANT_LIST.map((v) => [v, peerOnnxPath(v)])) as Record<PeerVariant, string>;
  const current =
    Object.values(paths).every((p) => existsSync(p)) && existsSync(SOURCE_NOTE_PATH) && readFileSync(SOURCE_NOTE_PATH, 'utf8') === sourceOf(entry);
  if (!current) {
    log(`peer: exporting ${PEER_MODEL_ID} to ONNX (npm run models:onnx)…`);
    await writePeerOnnx();
  }
  return paths;
}
