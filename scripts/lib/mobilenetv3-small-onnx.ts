/**
 * The app's MobileNetV3-Small (workers/models/mobilenetv3-small.ts) as an ONNX graph, for the peer-engine
 * benchmark (onnxruntime-web, the engine under Transformers.js): the same layers, the same folded weights,
 * re-laid out for ONNX (NCHW activations, OIHW kernels, depthwise = a grouped Conv with [C, 1, kh, kw]
 * kernels, squeeze-excite's dense layers as 1×1 Convs, as torchvision has them).
 *
 * Input `input` [1, 3, size, size]: the app's preprocessed batch (toModelInput), transposed to NCHW.
 * Output `features` [1, lastConv.outChannels]: what the member's `features()` gives (last 1×1 conv,
 * hard-swish, global average pool), before any head.
 */
import type { BlockConfig, MobileNetV3Config } from '../../workers/models/mobilenetv3-small.ts';
import { OnnxGraphBuilder } from './onnx-graph.ts';

export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'features';

/** A weight as the app's weights file holds it (tfjs layouts), decoded to float32. */
export interface WeightArray {
  shape: number[];
  values: Float32Array;
}

/** Reorders a row-major tensor's axes: output axis i is input axis perm[i]. */
export function transpose(t: WeightArray, perm: number[]): WeightArray {
  const { shape, values } = t;
  if (perm.length !== shape.length) throw new Error(`transpose: ${perm.length} axes for shape [${shape.join(', ')}]`);
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const strides = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(values.length);
  const index = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let a = 0; a < index.length; a++) src += index[a]! * strides[a]!;
    out[o] = values[src]!;
    for (let a = index.length - 1; a >= 0; a--) {
      if (++index[a]! < outShape[a]!) break;
      index[a] = 0;
    }
  }
  return { shape: outShape, values: out };
}

/** tfjs conv kernel [kh, kw, in, out] → ONNX [out, in, kh, kw]. */
const hwioToOihw = (t: WeightArray): WeightArray => transpose(t, [3, 2, 0, 1]);
/** tfjs depthwise kernel [kh, kw, C, 1] → ONNX grouped Conv [C, 1, kh, kw]. */
const depthwiseToC1hw = (t: WeightArray): WeightArray => transpose(t, [2, 3, 0, 1]);
/** tfjs dense kernel [in, out] → ONNX 1×1 Conv [out, in, 1, 1]. */
const denseToConv1x1 = (t: WeightArray): WeightArray => {
  const [inC, outC] = t.shape as [number, number];
  return { shape: [outC, inC, 1, 1], values: transpose(t, [1, 0]).values };
};

export function mobileNetV3SmallToOnnx(config: MobileNetV3Config, weights: ReadonlyMap<string, WeightArray>, options: { docString: string }): Uint8Array {
  const g = new OnnxGraphBuilder();
  const take = (name: string): WeightArray => {
    const w = weights.get(name);
    if (!w) throw new Error(`mobilenetv3-small ONNX export: weight "${name}" is missing`);
    return w;
  };
  const init = (name: string, w: WeightArray): string => g.initializer(name, w.shape, w.values);

  /** A Conv with torch's padding (k//2 zeros on every side), bias included. */
  const conv = (x: string, prefix: string, kernel: WeightArray, opts: { stride: number; group?: number }): string => {
    const k = kernel.shape[2]!;
    const pad = Math.floor(k / 2);
    const bias = take(`${prefix}.bias`);
    return g.node('Conv', [x, init(`${prefix}.weight`, kernel), init(`${prefix}.bias`, bias)], prefix, {
      kernel_shape: [k, kernel.shape[3]!],
      strides: [opts.stride, opts.stride],
      pads: [pad, pad, pad, pad],
      group: opts.group ?? 1,
    });
  };
  const act = (x: string, activation: 'relu' | 'hardswish'): string => g.node(activation === 'relu' ? 'Relu' : 'HardSwish', [x], `${x}.${activation}`);

  const squeezeExcite = (x: string, prefix: string): string => {
    const pooled = g.node('GlobalAveragePool', [x], `${prefix}.pool`);
    const fc1 = act(conv(pooled, `${prefix}.fc1`, denseToConv1x1(take(`${prefix}.fc1.kernel`)), { stride: 1 }), 'relu');
    const fc2 = conv(fc1, `${prefix}.fc2`, denseToConv1x1(take(`${prefix}.fc2.kernel`)), { stride: 1 });
    // hard-sigmoid relu6(x + 3) / 6 is ONNX HardSigmoid with alpha 1/6, beta 1/2.
    const gate = g.node('HardSigmoid', [fc2], `${prefix}.gate`, { alpha: { float: 1 / 6 }, beta: { float: 0.5 } });
    return g.node('Mul', [x, gate], `${prefix}.scaled`);
  };

  const block = (x: string, b: BlockConfig): string => {
    const p = `features.${b.index}`;
    let y = x;
    if (b.expandChannels !== b.inChannels) y = act(conv(y, `${p}.expand`, hwioToOihw(take(`${p}.expand.kernel`)), { stride: 1 }), b.activation);
    y = act(conv(y, `${p}.dw`, depthwiseToC1hw(take(`${p}.dw.kernel`)), { stride: b.stride, group: b.expandChannels }), b.activation);
    if (b.seChannels > 0) y = squeezeExcite(y, `${p}.se`);
    y = conv(y, `${p}.project`, hwioToOihw(take(`${p}.project.kernel`)), { stride: 1 });
    return b.stride === 1 && b.inChannels === b.outChannels ? g.node('Add', [y, x], `${p}.residual`) : y;
  };

  const size = config.inputSize;
  let x = act(conv(ONNX_INPUT, 'features.0.conv', hwioToOihw(take('features.0.conv.kernel')), { stride: config.stem.stride }), config.stem.activation);
  for (const b of config.blocks) x = block(x, b);
  const last = `features.${config.lastConv.index}.conv`;
  x = act(conv(x, last, hwioToOihw(take(`${last}.kernel`)), { stride: 1 }), config.lastConv.activation);
  x = g.node('GlobalAveragePool', [x], 'pooled');
  g.node('Flatten', [x], ONNX_OUTPUT, { axis: 1 });

  return g.encode({
    graphName: 'mobilenetv3-small',
    input: { name: ONNX_INPUT, dims: [1, 3, size, size] },
    output: { name: ONNX_OUTPUT, dims: [1, config.lastConv.outChannels] },
    producerVersion: '1',
    docString: options.docString,
  });
}
