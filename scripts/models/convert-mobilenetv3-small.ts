/**
 * Converts QVAC's MobileNetV3-Small (scripts/lib/mobilenetv3-small-converter.ts) into a folder of its own, in
 * another weight type or with other fine-tuned tensors; `npm run models:build` converts the shipped one.
 *
 *   npx tsx scripts/models/convert-mobilenetv3-small.ts <outDir> [float16|float32|uint8] [tunedTensorsDir]
 */
import { join } from 'node:path';
import { convertMobileNetV3Small } from '../lib/mobilenetv3-small-converter.ts';
import { readTunedTensors } from '../lib/tuned-tensors.ts';

const [outDir, q = 'float16', tunedDir] = process.argv.slice(2);
if (!outDir || (q !== 'float16' && q !== 'float32' && q !== 'uint8')) {
  console.error('usage: npx tsx scripts/models/convert-mobilenetv3-small.ts <outDir> [float16|float32|uint8] [tunedTensorsDir]');
  process.exit(2);
}
const result = await convertMobileNetV3Small(outDir, q, tunedDir ? readTunedTensors(tunedDir) : undefined);
console.log(`wrote ${join(outDir, 'model.json')} and weights.bin (${q}); featureDim ${result.featureDim}; labels ${result.labels.join(', ')}`);
