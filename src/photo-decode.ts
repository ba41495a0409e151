/**
 * Turns a user's file into an ImageBitmap the worker can use: EXIF
 * orientation applied, longest side at most 1024 px, specific messages for
 * files that are not photos.
 */
export const MAX_SIDE = 1024;
/** Larger files are refused before decoding: they would exhaust a phone's memory. */
export const MAX_FILE_BYTES = 50 * 1024 * 1024;
/** Decoded pixel limit (100 MP): 10000×10000 is allowed, decoded at reduced size. */
export const MAX_PIXELS = 100_000_000;

export class PhotoError extends Error {
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

function fitWithin(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export async function decodePhoto(file: File, maxSide = MAX_SIDE): Promise<ImageBitmap> {
  const name = file.name || 'This file';
  if (file.size === 0) throw new PhotoError(`${name} is empty (0 bytes).`);
  if (file.size > MAX_FILE_BYTES) throw new PhotoError(`${name} is ${(file.size / 1048576).toFixed(0)} MB; photos up to 50 MB are supported.`);
  const type = await sniffType(file);
  if (type === 'application/pdf') throw new PhotoError(`${name} is a PDF, not a photo. Choose a JPEG, PNG or WebP image.`);
  if (type === 'image/svg+xml') throw new PhotoError(`${name} is an SVG drawing; only photos (JPEG, PNG, WebP) can be searched.`);
  if (type === 'image/heic') throw new PhotoError(`${name} is a HEIC photo, which this browser cannot read. Export it as JPEG (on iPhone: Settings › Camera › Formats › Most Compatible).`);
  if (type === 'unknown' || type === 'video/mp4') throw new PhotoError(`${name} is not an image this app can read. Choose a JPEG, PNG or WebP photo.`);
  let full: ImageBitmap;
  try {
    // Decode at a reduced size straight away when the header says it is huge.
    full = await createImageBitmap(file, { imageOrientation: 'from-image' });
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
