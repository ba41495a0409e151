/**
 * Turns a user's file into an ImageBitmap the worker can use: EXIF
 * orientation applied, longest side at most 1024 px, specific messages for
 * files that are not photos. A huge image (say 10000×10000) is decoded straight
 * at reduced size, its dimensions read from the file header first, so the
 * full-size pixels never sit in memory at once.
 *
 * A camera JPEG larger than that is decoded by WebCodecs' ImageDecoder asked for about the size we keep: the
 * JPEG decoder then scales in the DCT (1/2, 1/4, 1/8) instead of producing 12 MP and shrinking them, several
 * times faster (#24, docs/performance.md). createImageBitmap with resize options decodes in full first.
 */
import { LookalikeError } from './shared/errors.ts';

export const MAX_SIDE = 1024;
/** Larger files are refused before decoding: they would exhaust a phone's memory. */
export const MAX_FILE_BYTES = 50 * 1024 * 1024;
/** Decoded pixel limit (100 MP): 10000×10000 is allowed, decoded at reduced size. */
export const MAX_PIXELS = 100_000_000;

export class PhotoError extends LookalikeError {
  override name = 'PhotoError';
}

/** Reads the first bytes to name what the file really is. */
export async function sniffType(file: Blob): Promise<string> {
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  const ascii = String.fromCharCode(...head);
  if (head[0] === 0xff && head[1] === 0xd8) return 'image/jpeg';
  if (ascii.startsWith('\x89PNG')) return 'image/png';
  if (ascii.startsWith('GIF8')) return 'image/gif';
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return 'image/webp';
  if (ascii.startsWith('BM')) return 'image/bmp';
  if (ascii.slice(4, 8) === 'ftyp') {
    const brand = ascii.slice(8, 12);
    return /hei|hev|mif|msf/.test(brand) ? 'image/heic' : brand.startsWith('avif') ? 'image/avif' : 'video/mp4';
  }
  if (ascii.startsWith('%PDF')) return 'application/pdf';
  if (/^\s*<(\?xml|svg)/i.test(ascii)) return 'image/svg+xml';
  return 'unknown';
}

/** Width and height from a PNG, GIF, WebP, BMP or JPEG header (the first 64 KiB), or undefined. */
export async function headerSize(file: Blob, type: string): Promise<{ width: number; height: number } | undefined> {
  const bytes = new Uint8Array(await file.slice(0, 65536).arrayBuffer());
  const view = new DataView(bytes.buffer);
  const size = (width: number, height: number) => (width > 0 && height > 0 ? { width, height } : undefined);
  try {
    if (type === 'image/png') return size(view.getUint32(16), view.getUint32(20));
    if (type === 'image/gif') return size(view.getUint16(6, true), view.getUint16(8, true));
    if (type === 'image/bmp') return size(Math.abs(view.getInt32(18, true)), Math.abs(view.getInt32(22, true)));
    if (type === 'image/webp') {
      const chunk = String.fromCharCode(...bytes.subarray(12, 16));
      if (chunk === 'VP8X') return size(1 + (view.getUint32(24, true) & 0xffffff), 1 + (view.getUint32(27, true) & 0xffffff));
      if (chunk === 'VP8 ') return size(view.getUint16(26, true) & 0x3fff, view.getUint16(28, true) & 0x3fff);
      if (chunk === 'VP8L') {
        const b = view.getUint32(21, true);
        return size((b & 0x3fff) + 1, ((b >> 14) & 0x3fff) + 1);
      }
      return undefined;
    }
    if (type === 'image/jpeg') {
      // Walk the markers to the first start-of-frame (SOF0…SOF15, not DHT/JPG/DAC).
      for (let o = 2; o + 9 < bytes.length; ) {
        if (bytes[o] !== 0xff) return undefined;
        const marker = bytes[o + 1]!;
        if (marker === 0xff) {
          o++;
          continue;
        }
        const length = view.getUint16(o + 2);
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
          return size(view.getUint16(o + 7), view.getUint16(o + 5));
        o += 2 + length;
      }
    }
  } catch {
    /* a header shorter than it claims: let the decoder report it */
  }
  return undefined;
}

function fitWithin(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

let scaledJpegs = true;
/** Benchmarks only (the test build's `lookalike.debug`): false decodes JPEGs the way the app did before #24, for comparison in the same run. */
export function useScaledJpegDecoding(enabled: boolean): void {
  scaledJpegs = enabled;
}

/** ImageDecoder whose frames carry the EXIF orientation (VideoFrame.rotation/flip, which createImageBitmap applies). */
async function scaledJpegDecoder(): Promise<boolean> {
  return (
    scaledJpegs &&
    typeof ImageDecoder !== 'undefined' &&
    typeof VideoFrame !== 'undefined' &&
    'rotation' in VideoFrame.prototype &&
    (await ImageDecoder.isTypeSupported('image/jpeg').catch(() => false))
  );
}

/**
 * A JPEG decoded at about `maxSide` (the decoder's DCT scaling), upright; undefined when this browser cannot, or the
 * decoder refuses the file (then the createImageBitmap path decodes it, or says what is wrong with it).
 */
async function decodeJpegScaled(file: Blob, coded: { width: number; height: number }, maxSide: number): Promise<ImageBitmap | undefined> {
  if (!(await scaledJpegDecoder())) return undefined;
  // The header's size is the stored (coded) one, before EXIF rotation: ask in the same orientation.
  const desired = fitWithin(coded.width, coded.height, maxSide);
  let decoder: ImageDecoder | undefined;
  let frame: VideoFrame | undefined;
  try {
    decoder = new ImageDecoder({ data: file.stream(), type: 'image/jpeg', desiredWidth: desired.width, desiredHeight: desired.height, preferAnimation: false });
    frame = (await decoder.decode()).image;
    const bitmap = await createImageBitmap(frame);
    if (Math.max(bitmap.width, bitmap.height) <= maxSide) return bitmap;
    // A decoder that did not scale (or not enough): shrink what it gave.
    try {
      const size = fitWithin(bitmap.width, bitmap.height, maxSide);
      return await createImageBitmap(bitmap, { resizeWidth: size.width, resizeHeight: size.height, resizeQuality: 'high' });
    } finally {
      bitmap.close();
    }
  } catch {
    return undefined;
  } finally {
    frame?.close();
    decoder?.close();
  }
}

export async function decodePhoto(file: File, maxSide = MAX_SIDE): Promise<ImageBitmap> {
  const name = file.name || 'This file';
  if (file.size === 0) throw new PhotoError(`${name} is empty (0 bytes).`);
  if (file.size > MAX_FILE_BYTES) throw new PhotoError(`${name} is ${(file.size / 1048576).toFixed(0)} MB; photos up to 50 MB are supported.`);
  const type = await sniffType(file);
  if (type === 'application/pdf') throw new PhotoError(`${name} is a PDF, not a photo. Choose a JPEG, PNG or WebP image.`);
  if (type === 'image/svg+xml') throw new PhotoError(`${name} is an SVG drawing; only photos (JPEG, PNG, WebP) can be searched.`);
  if (type === 'image/heic')
    throw new PhotoError(
      `${name} is a HEIC photo, which this browser cannot read. Export it as JPEG (on iPhone: Settings › Camera › Formats › Most Compatible).`,
    );
  if (type === 'unknown' || type === 'video/mp4') throw new PhotoError(`${name} is not an image this app can read. Choose a JPEG, PNG or WebP photo.`);
  const header = await headerSize(file, type);
  if (header && header.width * header.height > MAX_PIXELS)
    throw new PhotoError(`${name} is too large to process: ${header.width}×${header.height} is over 100 megapixels.`);
  if (type === 'image/jpeg' && header && Math.max(header.width, header.height) > maxSide) {
    const scaled = await decodeJpegScaled(file, header, maxSide);
    if (scaled) return scaled;
  }
  // Decode at a reduced size straight away when the header says it is large. Only the longest
  // side is given, so the aspect ratio is kept whatever the EXIF orientation does.
  const shrink: ImageBitmapOptions =
    header && Math.max(header.width, header.height) > maxSide
      ? header.width >= header.height
        ? { resizeWidth: maxSide, resizeQuality: 'high' }
        : { resizeHeight: maxSide, resizeQuality: 'high' }
      : {};
  let full: ImageBitmap;
  try {
    full = await createImageBitmap(file, { imageOrientation: 'from-image', ...shrink });
  } catch {
    throw new PhotoError(`${name} could not be decoded: the file looks damaged or truncated.`);
  }
  if (full.width * full.height > MAX_PIXELS) {
    full.close();
    throw new PhotoError(`${name} is too large to process (over 100 megapixels).`);
  }
  if (Math.max(full.width, full.height) <= maxSide) return full;
  const size = fitWithin(full.width, full.height, maxSide);
  try {
    return await createImageBitmap(full, { resizeWidth: size.width, resizeHeight: size.height, resizeQuality: 'high' });
  } finally {
    full.close();
  }
}
