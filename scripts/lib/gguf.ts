/**
 * A small reader for GGUF files (versions 2 and 3), the container llama.cpp /
 * ggml use: header, key/value metadata, tensor infos, aligned tensor data.
 * Only F32 and F16 tensor data can be read (what our converters need).
 *
 * Shapes: GGUF stores ggml's `ne` order (fastest-varying axis first); `shape`
 * here is reversed to the row-major order torch and tfjs use.
 */
import { readFile } from 'node:fs/promises';
import { LookalikeError } from '../../src/shared/errors.ts';
import { float16BitsToFloat32 } from './float16.ts';

export class GgufError extends LookalikeError {
  override name = 'GgufError';
}

/** GGUF metadata value types (the numbering is part of the format). */
export const GGUF_VALUE_TYPE = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

/** ggml tensor types this reader decodes. */
export const GGML_TYPE = { F32: 0, F16: 1 } as const;

/** 64-bit integers come back as bigint; everything else as number/boolean/string. */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufTensorInfo {
  name: string;
  /** Row-major (torch) order: the reverse of the stored ggml dims. */
  shape: number[];
  /** ggml type id (0 = F32, 1 = F16, …). */
  type: number;
  /** Absolute byte offset of the tensor's data in the file. */
  offset: number;
  /** Byte length of the data (F32/F16 only; 0 for types this reader cannot size). */
  byteLength: number;
}

export interface GgufFile {
  version: number;
  alignment: number;
  metadata: Map<string, GgufValue>;
  tensors: Map<string, GgufTensorInfo>;
  /** Absolute offset where the tensor data section starts. */
  dataOffset: number;
  bytes: Uint8Array;
}

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32

class Cursor {
  private pos = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get offset(): number {
    return this.pos;
  }
  private need(n: number, what: string): number {
    const at = this.pos;
    if (at + n > this.bytes.byteLength) {
      throw new GgufError(`GGUF file is truncated: needed ${n} bytes for ${what} at offset ${at}, file has ${this.bytes.byteLength}`);
    }
    this.pos += n;
    return at;
  }
  u8 = (w: string): number => this.view.getUint8(this.need(1, w));
  i8 = (w: string): number => this.view.getInt8(this.need(1, w));
  u16 = (w: string): number => this.view.getUint16(this.need(2, w), true);
  i16 = (w: string): number => this.view.getInt16(this.need(2, w), true);
  u32 = (w: string): number => this.view.getUint32(this.need(4, w), true);
  i32 = (w: string): number => this.view.getInt32(this.need(4, w), true);
  f32 = (w: string): number => this.view.getFloat32(this.need(4, w), true);
  f64 = (w: string): number => this.view.getFloat64(this.need(8, w), true);
  u64 = (w: string): bigint => this.view.getBigUint64(this.need(8, w), true);
  i64 = (w: string): bigint => this.view.getBigInt64(this.need(8, w), true);
  /** A u64 that must fit a JS number (counts, lengths, offsets). */
  size(w: string): number {
    const v = this.u64(w);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufError(`GGUF ${w} is implausibly large (${v})`);
    return Number(v);
  }
  string(w: string): string {
    const len = this.size(`${w} length`);
    const at = this.need(len, w);
    return new TextDecoder('utf-8', { fatal: false }).decode(this.bytes.subarray(at, at + len));
  }
}

function readValue(c: Cursor, type: number, what: string): GgufValue {
  const T = GGUF_VALUE_TYPE;
  switch (type) {
    case T.UINT8:
      return c.u8(what);
    case T.INT8:
      return c.i8(what);
    case T.UINT16:
      return c.u16(what);
    case T.INT16:
      return c.i16(what);
    case T.UINT32:
      return c.u32(what);
    case T.INT32:
      return c.i32(what);
    case T.FLOAT32:
      return c.f32(what);
    case T.BOOL:
      return c.u8(what) !== 0;
    case T.STRING:
      return c.string(what);
    case T.UINT64:
      return c.u64(what);
    case T.INT64:
      return c.i64(what);
    case T.FLOAT64:
      return c.f64(what);
    case T.ARRAY: {
      const itemType = c.u32(`${what} array type`);
      const count = c.size(`${what} array length`);
      const out: GgufValue[] = [];
      for (let i = 0; i < count; i++) out.push(readValue(c, itemType, `${what}[${i}]`));
      return out;
    }
    default:
      throw new GgufError(`GGUF ${what} has unknown value type ${type}`);
  }
}

function bytesPerElement(type: number): number {
  if (type === GGML_TYPE.F32) return 4;
  if (type === GGML_TYPE.F16) return 2;
  return 0;
}

/** Parses the header, metadata and tensor infos; tensor data stays in `bytes`. */
export function parseGguf(bytes: Uint8Array): GgufFile {
  if (bytes.byteLength < 4 || new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) !== MAGIC) {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new GgufError(`not a GGUF file: bad magic (${head || 'empty file'}; expected 47 47 55 46 "GGUF")`);
  }
  const c = new Cursor(bytes);
  c.u32('magic');
  const version = c.u32('version');
  if (version !== 2 && version !== 3) throw new GgufError(`unsupported GGUF version ${version} (this reader handles 2 and 3)`);
  const tensorCount = c.size('tensor count');
  const kvCount = c.size('metadata count');

  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = c.string(`metadata key #${i}`);
    const type = c.u32(`type of "${key}"`);
    metadata.set(key, readValue(c, type, `metadata "${key}"`));
  }

  const rawAlignment = metadata.get('general.alignment');
  const alignment = rawAlignment === undefined ? 32 : Number(rawAlignment);
  if (!Number.isInteger(alignment) || alignment <= 0) throw new GgufError(`GGUF general.alignment is invalid (${String(rawAlignment)})`);

  const infos: { name: string; dims: number[]; type: number; relOffset: number }[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = c.string(`tensor #${i} name`);
    const nDims = c.u32(`tensor "${name}" dim count`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(c.size(`tensor "${name}" dim ${d}`));
    const type = c.u32(`tensor "${name}" type`);
    const relOffset = c.size(`tensor "${name}" offset`);
    infos.push({ name, dims, type, relOffset });
  }

  const dataOffset = Math.ceil(c.offset / alignment) * alignment;
  const tensors = new Map<string, GgufTensorInfo>();
  for (const info of infos) {
    const count = info.dims.reduce((a, b) => a * b, 1);
    const byteLength = count * bytesPerElement(info.type);
    const offset = dataOffset + info.relOffset;
    if (byteLength > 0 && offset + byteLength > bytes.byteLength) {
      throw new GgufError(`GGUF file is truncated: tensor "${info.name}" needs bytes ${offset}–${offset + byteLength}, file has ${bytes.byteLength}`);
    }
    tensors.set(info.name, { name: info.name, shape: [...info.dims].reverse(), type: info.type, offset, byteLength });
  }
  return { version, alignment, metadata, tensors, dataOffset, bytes };
}

export async function readGgufFile(path: string): Promise<GgufFile> {
  const buf = await readFile(path);
  try {
    return parseGguf(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch (e) {
    if (e instanceof GgufError) e.message = `${path}: ${e.message}`;
    throw e;
  }
}

/** A tensor's values as float32, in row-major (torch) order, with its torch-order shape. */
export function readGgufTensor(file: GgufFile, name: string): { shape: number[]; data: Float32Array } {
  const info = file.tensors.get(name);
  if (!info) throw new GgufError(`GGUF has no tensor "${name}"`);
  const count = info.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(file.bytes.buffer, file.bytes.byteOffset + info.offset, info.byteLength);
  const data = new Float32Array(count);
  if (info.type === GGML_TYPE.F32) {
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true);
  } else if (info.type === GGML_TYPE.F16) {
    for (let i = 0; i < count; i++) data[i] = float16BitsToFloat32(view.getUint16(i * 2, true));
  } else {
    throw new GgufError(`tensor "${name}" has ggml type ${info.type}; only F32 (0) and F16 (1) are supported`);
  }
  return { shape: [...info.shape], data };
}

/** A metadata value that must be a number (64-bit integers are converted). */
export function metaNumber(file: GgufFile, key: string): number {
  const v = file.metadata.get(key);
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new GgufError(`GGUF metadata "${key}" is ${v === undefined ? 'missing' : `not a number (${typeof v})`}`);
}

/** A metadata value that must be a string. */
export function metaString(file: GgufFile, key: string): string {
  const v = file.metadata.get(key);
  if (typeof v === 'string') return v;
  throw new GgufError(`GGUF metadata "${key}" is ${v === undefined ? 'missing' : `not a string (${typeof v})`}`);
}
