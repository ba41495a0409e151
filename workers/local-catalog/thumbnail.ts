/** A photo's thumbnail for the result grid: JPEG, longest side 256 px (OffscreenCanvas: worker or page). */

export const THUMBNAIL_SIDE = 256;
export const THUMBNAIL_QUALITY = 0.85;

export function thumbnailSize(width: number, height: number, maxSide = THUMBNAIL_SIDE): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export async function makeThumbnail(bitmap: ImageBitmap, maxSide = THUMBNAIL_SIDE): Promise<Blob> {
  if (bitmap.width === 0 || bitmap.height === 0) throw new Error('the image is empty (0 pixels)');
  const { width, height } = thumbnailSize(bitmap.width, bitmap.height, maxSide);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('could not make a thumbnail (no 2D canvas here)');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  // JPEG has no alpha: transparent PNGs get a white background rather than black.
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(bitmap, 0, 0, width, height);
  return canvas.convertToBlob({ type: 'image/jpeg', quality: THUMBNAIL_QUALITY });
}
