/**
 * `npm run models:vgg19 -- <path/to/vgg19_..._notop.h5> [outDir] [--float32]`: converts the user-supplied Keras
 * VGG19 ImageNet weights (scripts/lib/vgg19-converter.ts) into the models folder; then `npm run models:build`
 * adds VGG19 to the manifest. We do not ship these weights; see docs/vgg19.md.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { VGG19_DEFAULT_OUT_DIR, VGG19_KERAS_FILE, VGG19_LICENCE, Vgg19ConversionError, convertVgg19 } from '../lib/vgg19-converter.ts';

async function main(argv: string[]): Promise<number> {
  const float32 = argv.includes('--float32');
  const args = argv.filter((a) => a !== '--float32');
  if (args.length < 1 || args.length > 2 || args.some((a) => a.startsWith('-'))) {
    console.error(`usage: npx tsx scripts/models/convert-vgg19.ts <path/to/${VGG19_KERAS_FILE}> [outDir] [--float32]`);
    console.error(`       (outDir defaults to model-artifacts/shipped/vgg19; see docs/vgg19.md)`);
    return 2;
  }
  const [h5Path, outDir = VGG19_DEFAULT_OUT_DIR] = args as [string, string?];
  const started = performance.now();
  try {
    const result = await convertVgg19(resolve(h5Path), resolve(outDir), float32 ? 'float32' : 'float16');
    const [jsonInfo, binInfo] = await Promise.all([stat(result.modelJson), stat(result.weightsBin)]);
    console.log(`VGG19 (Keras ImageNet weights, ${VGG19_LICENCE})`);
    console.log(`  source      ${resolve(h5Path)} (sha256 ${result.sourceSha256}${result.kerasReleaseFile ? ", Keras's release file" : ''})`);
    console.log(`  wrote       ${result.modelJson} (${jsonInfo.size} B)`);
    console.log(`              ${result.weightsBin} (${(binInfo.size / 1e6).toFixed(1)} MB, ${result.quantization}, ${result.parameters} parameters)`);
    console.log(`  features    ${result.featureDim}-d at ${result.inputSize}×${result.inputSize}, normalization ${JSON.stringify(result.normalization)}`);
    for (const note of result.notes) console.log(`  note        ${note}`);
    console.log(`  took        ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } catch (err) {
    if (err instanceof Vgg19ConversionError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
