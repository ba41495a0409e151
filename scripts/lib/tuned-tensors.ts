/**
 * Fine-tuned tensors of a torch network, as `npm run train:backbone` writes them (scripts/train/train-backbone/finetune.py):
 * `tensors.json` (the recipe, and each tensor's name, shape and offset) and `tensors.bin` (float16, little-endian,
 * torch layout and names), with the sha256 of `tensors.bin` in the JSON so a corrupt or truncated file is refused.
 * The converters read them in place of the package's own tensors of the same names.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { float16BitsToFloat32 } from './float16.ts';

export const TUNED_TENSORS_FORMAT = 'lookalike-tuned-tensors/1';

export interface TunedTensors {
  /** What was trained, how, on what (written by the trainer; quoted in the model's source). */
  recipe: string;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

interface TunedTensorsJson {
  format: string;
  recipe: string;
  sha256: string;
  tensors: { name: string; shape: number[]; offset: number }[];
}

export const hasTunedTensors = (dir: string) => existsSync(join(dir, 'tensors.json'));

export function readTunedTensors(dir: string): TunedTensors {
  const index = JSON.parse(readFileSync(join(dir, 'tensors.json'), 'utf8')) as TunedTensorsJson;
  if (index.format !== TUNED_TENSORS_FORMAT) throw new Error(`${dir}/tensors.json: format "${index.format}", expected "${TUNED_TENSORS_FORMAT}"`);
  const bin = readFileSync(join(dir, 'tensors.bin'));
  const sha256 = createHash('sha256').update(bin).digest('hex');
  if (sha256 !== index.sha256)
    throw new Error(
      `${dir}/tensors.bin is corrupt or truncated (${bin.length} bytes, sha256 ${sha256.slice(0, 12)}…, expected ${index.sha256.slice(0, 12)}…): run \`npm run train:backbone\` again`,
    );
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const t of index.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.offset + 2 * n > bin.length) throw new Error(`${dir}/tensors.bin: ${t.name} runs past the end of the file`);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = float16BitsToFloat32(bin.readUInt16LE(t.offset + 2 * i));
    tensors.set(t.name, { shape: t.shape, data });
  }
  return { recipe: index.recipe, tensors };
}
