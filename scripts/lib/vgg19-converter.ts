/**
 * Converts the user-supplied Keras VGG19 ImageNet weights
 * (`vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`, the file
 * `keras.applications.VGG19(include_top=False, weights='imagenet')`
 * downloads) into our weights format for workers/models/vgg19.ts.
 * We do not ship these weights; see docs/vgg19.md.
 *
 * The command: `npm run models:vgg19` (scripts/models/convert-vgg19.ts).
 *
 * Reads Keras's HDF5 weights layout: the root (or, for a whole saved model,
 * `model_weights`) carries a `layer_names` attribute; each layer group carries
 * a `weight_names` attribute whose entries are dataset paths inside that group
 * (`block1_conv1_W_1:0` / `block1_conv1_b_1:0` in the Keras 1 era files,
 * `block1_conv1/kernel:0` / `block1_conv1/bias:0` in later ones). Kernels are
 * already HWIO (TensorFlow dim ordering) and are copied as they are.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import h5wasm, { Dataset, Group, type File as H5File } from 'h5wasm/node';
import { LookalikeError } from '../../src/shared/errors.ts';
import type { Normalization } from '../../src/shared/manifest.ts';
import { VGG19_CONV_LAYERS, VGG19_FEATURE_DIM, VGG19_INPUT_SIZE, VGG19_NORMALIZATION, vgg19BiasName, vgg19KernelName } from '../../workers/models/vgg19.ts';
import { sameShape } from '../../workers/models/weights-format.ts';
import { SHIPPED_DIR } from './model-artifacts.ts';
import { type NamedArray, writeWeightsModel } from './weights-writer.ts';

export const VGG19_KERAS_FILE = 'vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5';
/** Keras's `file_hash` for the notop release file (keras/applications/vgg19.py), 80,134,624 bytes. */
export const VGG19_KERAS_NOTOP_MD5 = '253f8cb515780f3b799900260a226db6';
export const VGG19_KERAS_NOTOP_BYTES = 80_134_624;
export const VGG19_DEFAULT_OUT_DIR = join(SHIPPED_DIR, 'vgg19');
export const VGG19_LICENCE = 'CC BY 4.0 (VGG19 ImageNet weights by the Visual Geometry Group, University of Oxford; Keras Applications code Apache-2.0)';

export class Vgg19ConversionError extends LookalikeError {
  override name = 'Vgg19ConversionError';
}

export interface Vgg19Conversion {
  normalization: Normalization;
  featureDim: number;
  inputSize: number;
  quantization: 'float16' | 'float32';
  modelJson: string;
  weightsBin: string;
  parameters: number;
  /** sha256 of the .h5 that was converted (also recorded in model.json's config). */
  sourceSha256: string;
  /** Whether the .h5 is byte-identical to Keras's release file (md5 as Keras checks it). */
  kerasReleaseFile: boolean;
  /** Things worth telling the user (e.g. the classifier layers of a `_top` file were dropped). */
  notes: string[];
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const TOP_LAYERS = ['flatten', 'fc1', 'fc2', 'predictions'];

let h5Ready: Promise<void> | undefined;
function readyH5(): Promise<void> {
  h5Ready ??= h5wasm.ready.then((module) => {
    // Without this, HDF5 errors are printed and the call returns as if it worked.
    module.activate_throwing_error_handler();
  });
  return h5Ready;
}

/** HDF5 puts its signature at 0, or after a user block at 512, 1024, 2048, … */
async function looksLikeHdf5(path: string, size: number): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let offset = 0; offset + 8 <= size && offset <= 1 << 20; offset = offset === 0 ? 512 : offset * 2) {
      const { bytesRead } = await fh.read(buf, 0, 8, offset);
      if (bytesRead === 8 && buf.equals(HDF5_SIGNATURE)) return true;
    }
    return false;
  } finally {
    await fh.close();
  }
}

async function hashFile(path: string): Promise<{ sha256: string; md5: string }> {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(path)) {
    sha256.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  return { sha256: sha256.digest('hex'), md5: md5.digest('hex') };
}

type HasAttrs = Group | Dataset;

function toStringList(value: unknown, where: string): string[] {
  if (typeof value === 'string') return [value.replace(/\0+$/, '')];
  if (Array.isArray(value)) return value.flatMap((v) => toStringList(v, where));
  if (value instanceof Uint8Array) return [new TextDecoder().decode(value).replace(/\0+$/, '')];
  throw new Vgg19ConversionError(`${where} is not a list of strings`);
}

/** Keras's load_attributes_from_hdf5_group: `name`, or chunks `name0`, `name1`, … when it was too big. */
function stringListAttribute(obj: HasAttrs, name: string): string[] | undefined {
  const attrs = obj.attrs;
  const where = `attribute "${name}" of ${obj.path}`;
  if (attrs[name]) return toStringList(attrs[name].value, where);
  if (!attrs[`${name}0`]) return undefined;
  const out: string[] = [];
  for (let i = 0; attrs[`${name}${i}`]; i++) out.push(...toStringList(attrs[`${name}${i}`]!.value, where));
  return out;
}

function child(group: Group, name: string): ReturnType<Group['get']> {
  try {
    return group.get(name);
  } catch {
    return null;
  }
}

/** The group holding the layer groups: the root of a save_weights file, `model_weights` of a model.save file. */
function weightsRoot(file: H5File, path: string): { root: Group; layerNames: string[] } {
  const direct = stringListAttribute(file, 'layer_names');
  if (direct) return { root: file, layerNames: direct };
  const keys = file.keys();
  if (keys.includes('model_weights')) {
    const mw = child(file, 'model_weights');
    const names = mw instanceof Group ? stringListAttribute(mw, 'layer_names') : undefined;
    if (mw instanceof Group && names) return { root: mw, layerNames: names };
  }
  if (keys.includes('layers') && keys.includes('vars')) {
    throw new Vgg19ConversionError(
      `${path} is in the Keras 3 ".weights.h5" layout, which this converter does not read. ` +
        `Use Keras Applications' ${VGG19_KERAS_FILE} (see docs/vgg19.md).`,
    );
  }
  throw new Vgg19ConversionError(
    `${path} is an HDF5 file but not a Keras weights file (no "layer_names" attribute). Expected ${VGG19_KERAS_FILE} (see docs/vgg19.md).`,
  );
}

interface ReadWeight {
  name: string;
  shape: number[];
  dataset: Dataset;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function readValues(dataset: Dataset, expected: number, where: string): Float32Array {
  let value: unknown;
  try {
    value = dataset.value;
  } catch {
    throw new Vgg19ConversionError(`${where}: the weights could not be read; the file is truncated or corrupt`);
  }
  let data: Float32Array;
  if (value instanceof Float32Array) data = value;
  else if (value instanceof Float64Array) data = Float32Array.from(value);
  else throw new Vgg19ConversionError(`${where}: weights are not float32/float64`);
  if (data.length !== expected) throw new Vgg19ConversionError(`${where}: has ${data.length} values, expected ${expected}`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new Vgg19ConversionError(`${where}: value ${i} is ${data[i]} (the file is corrupt)`);
  }
  return data;
}

/**
 * Reads and validates the 16 conv layers of a Keras VGG19 weights file.
 * Throws Vgg19ConversionError listing every missing or misshapen layer.
 */
export async function readKerasVgg19(h5Path: string): Promise<{ arrays: NamedArray[]; notes: string[]; top: boolean }> {
  const info = await stat(h5Path).catch(() => undefined);
  if (!info?.isFile()) throw new Vgg19ConversionError(`${h5Path} does not exist or is not a file`);
  if (!(await looksLikeHdf5(h5Path, info.size))) {
    throw new Vgg19ConversionError(`${h5Path} is not an HDF5 file (expected Keras's ${VGG19_KERAS_FILE}); is the download complete?`);
  }
  await readyH5();
  let file: H5File;
  try {
    file = new h5wasm.File(h5Path, 'r');
  } catch {
    throw new Vgg19ConversionError(
      `${h5Path} could not be opened as HDF5: the file is truncated or corrupt ` +
        `(${info.size} bytes; Keras's ${VGG19_KERAS_FILE} is ${VGG19_KERAS_NOTOP_BYTES}).`,
    );
  }
  try {
    const { root, layerNames } = weightsRoot(file, h5Path);
    const present = new Set(layerNames);
    const rootKeys = new Set(root.keys());
    const problems: string[] = [];
    let theano = stringListAttribute(file, 'backend')?.[0] === 'theano';
    const found: { kernel: ReadWeight; bias: ReadWeight }[] = [];

    for (const layer of VGG19_CONV_LAYERS) {
      const name = layer.name;
      const group = rootKeys.has(name) ? child(root, name) : null;
      if (!present.has(name) || !(group instanceof Group)) {
        problems.push(`${name}: missing${present.has(name) ? ' (listed in layer_names but has no group)' : ''}`);
        continue;
      }
      const weightNames = stringListAttribute(group, 'weight_names');
      if (!weightNames) {
        problems.push(`${name}: the layer group has no "weight_names" attribute`);
        continue;
      }
      let kernel: ReadWeight | undefined;
      let bias: ReadWeight | undefined;
      const layerProblems: string[] = [];
      for (const wn of weightNames) {
        const ds = child(group, wn);
        if (!(ds instanceof Dataset)) {
          layerProblems.push(`${name}: weight "${wn}" is listed in weight_names but not in the file`);
          continue;
        }
        const shape = ds.shape ?? [];
        const w = { name: wn, shape, dataset: ds };
        if (shape.length === 4 && !kernel) kernel = w;
        else if (shape.length === 1 && !bias) bias = w;
        else layerProblems.push(`${name}: unexpected weight "${wn}" with shape ${shapeText(shape)}`);
      }
      const kernelShape = [3, 3, layer.inChannels, layer.outChannels];
      if (!kernel) layerProblems.push(`${name}: no kernel (expected shape ${shapeText(kernelShape)})`);
      else if (!sameShape(kernel.shape, kernelShape)) {
        const oihw = sameShape(kernel.shape, [layer.outChannels, layer.inChannels, 3, 3]);
        if (oihw) theano = true;
        layerProblems.push(
          `${name}: kernel "${kernel.name}" has shape ${shapeText(kernel.shape)}, expected ${shapeText(kernelShape)}` +
            (oihw ? ' (Theano [out, in, h, w] ordering)' : ''),
        );
      }
      if (!bias) layerProblems.push(`${name}: no bias (expected shape [${layer.outChannels}])`);
      else if (!sameShape(bias.shape, [layer.outChannels])) {
        layerProblems.push(`${name}: bias "${bias.name}" has shape ${shapeText(bias.shape)}, expected [${layer.outChannels}]`);
      }
      if (layerProblems.length > 0 || !kernel || !bias) problems.push(...layerProblems);
      else found.push({ kernel, bias });
    }

    const hasTop = TOP_LAYERS.filter((n) => present.has(n));
    if (problems.length > 0) {
      const hints: string[] = [];
      if (theano) {
        hints.push(
          'This looks like a Theano-ordering file (vgg19_weights_th_dim_ordering_th_kernels*.h5): its kernels are [out, in, h, w] ' +
            `and flipped for true convolution. Use ${VGG19_KERAS_FILE} (TensorFlow ordering).`,
        );
      }
      const vgg16 = present.has('block5_conv3') && !present.has('block5_conv4') && !present.has('block3_conv4');
      if (vgg16) hints.push('The file has no block3_conv4/block4_conv4/block5_conv4: it looks like VGG16 weights, not VGG19.');
      else if (hasTop.length > 0) {
        hints.push(
          `The file has VGG19's classifier layers (${hasTop.join(', ')}), so it looks like the "_top" variant ` +
            `(vgg19_weights_tf_dim_ordering_tf_kernels.h5); ${VGG19_KERAS_FILE} is the one this converter expects.`,
        );
      }
      if (!layerNames.some((n) => /^block\d_conv\d$/.test(n))) {
        hints.push(`It has none of VGG19's layers; its layers are: ${layerNames.slice(0, 8).join(', ')}${layerNames.length > 8 ? ', …' : ''}.`);
      }
      throw new Vgg19ConversionError(
        `${basename(h5Path)} is not usable as Keras VGG19 weights:\n` +
          problems.map((p) => `  - ${p}`).join('\n') +
          (hints.length > 0 ? `\n${hints.join('\n')}` : ''),
      );
    }

    const notes: string[] = [];
    if (hasTop.length > 0) {
      notes.push(`the file also holds the classifier layers (${hasTop.join(', ')}), i.e. it is the "_top" variant; only the 16 conv layers were converted`);
    }
    const arrays: NamedArray[] = [];
    VGG19_CONV_LAYERS.forEach((layer, i) => {
      const { kernel, bias } = found[i]!;
      const kernelSize = 9 * layer.inChannels * layer.outChannels;
      arrays.push({
        name: vgg19KernelName(layer.name),
        shape: [3, 3, layer.inChannels, layer.outChannels],
        data: readValues(kernel.dataset, kernelSize, `${layer.name}/${kernel.name}`),
      });
      arrays.push({
        name: vgg19BiasName(layer.name),
        shape: [layer.outChannels],
        data: readValues(bias.dataset, layer.outChannels, `${layer.name}/${bias.name}`),
      });
    });
    return { arrays, notes, top: hasTop.length > 0 };
  } finally {
    file.close();
  }
}

/**
 * Converts Keras's VGG19 notop weights into `<outDir>/model.json` + `<outDir>/weights.bin`
 * (architecture "vgg19-keras"). Returns the preprocessing and feature size the manifest entry needs.
 */
export async function convertVgg19(h5Path: string, outDir: string, quantization: 'float16' | 'float32' = 'float16'): Promise<Vgg19Conversion> {
  const { arrays, notes, top } = await readKerasVgg19(h5Path);
  const { sha256: sourceSha256, md5 } = await hashFile(h5Path);
  const kerasReleaseFile = md5 === VGG19_KERAS_NOTOP_MD5;
  if (!kerasReleaseFile && !top) {
    notes.push(`the file is not byte-identical to Keras's release ${VGG19_KERAS_FILE} (md5 ${md5}); its layers and shapes are VGG19's, so it was converted`);
  }
  const parameters = arrays.reduce((n, a) => n + a.data.length, 0);
  const { modelJson, weightsBin } = await writeWeightsModel(outDir, 'vgg19-keras', arrays, quantization, {
    layers: VGG19_CONV_LAYERS.map((l) => l.name),
    inputSize: VGG19_INPUT_SIZE,
    featureDim: VGG19_FEATURE_DIM,
    normalization: VGG19_NORMALIZATION,
    preprocessing: 'Keras "caffe" mode: RGB to BGR, subtract BGR means [103.939, 116.779, 123.68], no scaling',
    source: `Keras Applications ${VGG19_KERAS_FILE}, supplied by the user`,
    sourceSha256,
    licence: VGG19_LICENCE,
  });
  return {
    normalization: { ...VGG19_NORMALIZATION, mean: [...VGG19_NORMALIZATION.mean], std: [...VGG19_NORMALIZATION.std] },
    featureDim: VGG19_FEATURE_DIM,
    inputSize: VGG19_INPUT_SIZE,
    quantization,
    modelJson,
    weightsBin,
    parameters,
    sourceSha256,
    kerasReleaseFile,
    notes,
  };
}
