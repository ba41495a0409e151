/**
 * Torch tensor layouts → tfjs layouts, and BatchNorm folding, for the converters of torch networks
 * (MobileNetV3-S from a GGUF, EfficientNet-Lite from a state dict).
 */

/** A tensor as a converter holds it: shape and values, row-major. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Conv weight [O, I, kh, kw] and an eval-mode BatchNorm after it → the folded weight (same layout) and bias:
 * w·γ/√(var+ε) and β − mean·γ/√(var+ε), computed in double precision, stored as float32.
 */
export function foldBatchNorm(
  w: Tensor,
  bn: { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array },
  eps: number,
): { w: Tensor; bias: Float32Array } {
  const outCh = w.shape[0]!;
  for (const [k, v] of Object.entries(bn)) if (v.length !== outCh) throw new Error(`BatchNorm ${k} has ${v.length} values for a conv of ${outCh} channels`);
  const per = w.data.length / outCh;
  const folded = new Float32Array(w.data.length);
  const bias = new Float32Array(outCh);
  for (let o = 0; o < outCh; o++) {
    const s = bn.gamma[o]! / Math.sqrt(bn.variance[o]! + eps);
    for (let i = 0; i < per; i++) folded[o * per + i] = w.data[o * per + i]! * s;
    bias[o] = bn.beta[o]! - bn.mean[o]! * s;
  }
  return { w: { shape: w.shape, data: folded }, bias };
}

/** OIHW → HWIO (tf.conv2d filter). */
export function convToHwio(t: Tensor): Tensor {
  const [O, I, H, W] = t.shape as [number, number, number, number];
  const out = new Float32Array(t.data.length);
  for (let o = 0; o < O; o++)
    for (let i = 0; i < I; i++)
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) out[((h * W + w) * I + i) * O + o] = t.data[((o * I + i) * H + h) * W + w]!;
  return { shape: [H, W, I, O], data: out };
}

/** Depthwise (C, 1, kh, kw) → (kh, kw, C, 1) (tf.depthwiseConv2d filter). */
export function depthwiseToHwc1(t: Tensor): Tensor {
  const [C, one, H, W] = t.shape as [number, number, number, number];
  if (one !== 1) throw new Error(`depthwise weight has shape [${t.shape}]`);
  const out = new Float32Array(t.data.length);
  for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) out[(h * W + w) * C + c] = t.data[(c * H + h) * W + w]!;
  return { shape: [H, W, C, 1], data: out };
}

/** Linear / 1×1 conv weight [out, in(, 1, 1)] → matMul matrix [in, out]. */
export function toMatrix(t: Tensor): Tensor {
  const [O, I] = t.shape as [number, number];
  if (t.data.length !== O * I) throw new Error(`expected a [${O}, ${I}] matrix, got [${t.shape}]`);
  const out = new Float32Array(t.data.length);
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) out[i * O + o] = t.data[o * I + i]!;
  return { shape: [I, O], data: out };
}
