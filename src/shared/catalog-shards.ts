/**
 * Embedding shards: int8 codes with one float32 scale per vector (symmetric
 * quantisation, scale = max|x| / 127, x ≈ scale · code). Binary layout, all
 * little-endian (docs/catalog-format.md):
 *
 *   0  uint32 magic "LKS1"     4  uint32 count     8  uint32 dimension   12 uint32 0
 *   16 float32 scale × count   16 + 4·count  int8 code × count × dimension (row-major)
 *
 * Decoding is zero-copy: the scales and codes are views on the file's bytes.
 * Realm-neutral.
 */
import { CatalogError, SHARD_HEADER_BYTES, SHARD_MAGIC, shardByteLength } from './catalog-format.ts';

export interface Shard {
  count: number;
  dimension: number;
  /** One per vector. */
  scales: Float32Array;
  /** count × dimension, row-major; 4-byte aligned. */
  codes: Int8Array;
}

/** Quantises `v` into `out` at `offset`; returns the scale (0 for a zero vector). */
export function quantizeInto(v: ArrayLike<number>, out: Int8Array, offset: number): number {
  let maxAbs = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]!);
    if (a > maxAbs) maxAbs = a;
  }
  if (!(maxAbs > 0) || !Number.isFinite(maxAbs)) {
    out.fill(0, offset, offset + v.length);
    return 0;
  }
  const scale = Math.fround(maxAbs / 127);
  const inv = 1 / scale;
  for (let i = 0; i < v.length; i++) {
    const q = Math.round(v[i]! * inv);
    out[offset + i] = q > 127 ? 127 : Math.max(q, -127);
  }
  return scale;
}

/** Quantises `count` vectors (row-major in `vectors`) into an in-memory shard. */
export function quantize(vectors: Float32Array, count: number, dimension: number): Shard {
  if (vectors.length !== count * dimension) throw new RangeError(`quantize: ${vectors.length} values are not ${count} × ${dimension}`);
  const { shard } = allocateShard(count, dimension);
  for (let i = 0; i < count; i++) shard.scales[i] = quantizeInto(vectors.subarray(i * dimension, (i + 1) * dimension), shard.codes, i * dimension);
  return shard;
}

function views(buffer: ArrayBuffer, count: number, dimension: number, byteOffset = 0): Shard {
  return {
    count,
    dimension,
    scales: new Float32Array(buffer, byteOffset + SHARD_HEADER_BYTES, count),
    codes: new Int8Array(buffer, byteOffset + SHARD_HEADER_BYTES + 4 * count, count * dimension),
  };
}

/**
 * A new shard file of `count` vectors of `dimension`: its header written (the
 * one place shard headers are written), scales and codes zero. `bytes` is the
 * whole file; `shard`'s scales and codes are views on it, to fill.
 */
export function allocateShard(count: number, dimension: number): { bytes: Uint8Array<ArrayBuffer>; shard: Shard } {
  const buffer = new ArrayBuffer(shardByteLength(count, dimension));
  const header = new DataView(buffer, 0, SHARD_HEADER_BYTES);
  header.setUint32(0, SHARD_MAGIC, true);
  header.setUint32(4, count, true);
  header.setUint32(8, dimension, true);
  header.setUint32(12, 0, true);
  return { bytes: new Uint8Array(buffer), shard: views(buffer, count, dimension) };
}

/**
 * The largest scale a shard vector may have: catalog vectors are unit length,
 * so no component exceeds 1 and scale = max|x| / 127 is at most 1/127 (plus
 * float32 rounding). A larger scale is a damaged or hostile shard, whose
 * similarities would be far above 1.
 */
export const MAX_SHARD_SCALE = (1 / 127) * (1 + 1e-4);

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The shard's file bytes, in a new buffer. */
export function encodeShard(shard: Shard): Uint8Array {
  if (!littleEndian) throw new Error('catalog shards are written on little-endian machines only');
  const { bytes } = allocateShard(shard.count, shard.dimension);
  bytes.set(new Uint8Array(shard.scales.buffer, shard.scales.byteOffset, shard.scales.byteLength), SHARD_HEADER_BYTES);
  bytes.set(new Uint8Array(shard.codes.buffer, shard.codes.byteOffset, shard.codes.byteLength), SHARD_HEADER_BYTES + 4 * shard.count);
  return bytes;
}

/**
 * Reads a shard file (zero-copy when `data` is 4-byte aligned); checks the
 * header against what catalog.json says. Throws CatalogError naming the file.
 */
export function decodeShard(data: ArrayBuffer | Uint8Array, expected: { count: number; dimension: number }, file = 'shard'): Shard {
  if (!littleEndian) throw new CatalogError(`${file}: catalog shards are read on little-endian machines only`);
  let buffer: ArrayBuffer;
  let offset = 0;
  if (data instanceof Uint8Array) {
    if (data.byteOffset % 4 === 0 && data.buffer instanceof ArrayBuffer) {
      buffer = data.buffer;
      offset = data.byteOffset;
    } else buffer = data.slice().buffer as ArrayBuffer;
  } else buffer = data;
  const length = data.byteLength;
  if (length < SHARD_HEADER_BYTES) throw new CatalogError(`${file} is too short to be a catalog shard (${length} bytes)`);
  const header = new DataView(buffer, offset, SHARD_HEADER_BYTES);
  if (header.getUint32(0, true) !== SHARD_MAGIC) throw new CatalogError(`${file} is not a catalog shard (wrong magic bytes)`);
  const count = header.getUint32(4, true);
  const dimension = header.getUint32(8, true);
  if (count !== expected.count || dimension !== expected.dimension) {
    throw new CatalogError(`${file} holds ${count} vectors of ${dimension}; catalog.json says ${expected.count} of ${expected.dimension}`);
  }
  if (length !== shardByteLength(count, dimension))
    throw new CatalogError(`${file} is ${length} bytes; ${count} vectors of ${dimension} take ${shardByteLength(count, dimension)}`);
  const shard = views(buffer, count, dimension, offset);
  for (let i = 0; i < count; i++) {
    const s = shard.scales[i]!;
    if (!(s >= 0) || !Number.isFinite(s)) throw new CatalogError(`${file}: vector ${i} has an invalid scale (${s})`);
    if (s > MAX_SHARD_SCALE) {
      throw new CatalogError(
        `${file}: vector ${i} has the scale ${s}, more than a unit-length vector can have (at most 1/127): the shard is damaged or was not made from this app's embeddings`,
      );
    }
  }
  return shard;
}

/** Vector `i` of a shard, dequantised (scale · code). */
export function dequantize(shard: Shard, i: number, out: Float32Array = new Float32Array(shard.dimension)): Float32Array {
  const d = shard.dimension;
  const s = shard.scales[i]!;
  const base = i * d;
  for (let j = 0; j < d; j++) out[j] = s * shard.codes[base + j]!;
  return out;
}
