/**
 * The files the user picked (photos or a whole folder): which are photos to
 * index, which are skipped and why, each one's category (its sub-folder) and
 * content hash. Page side; no decoding here.
 */
import { sha256Hex } from '../shared/sha256.ts';

export interface SkippedFile {
  name: string;
  reason: string;
}

const PHOTO_EXTENSIONS = new Set(['jpg', 'jpeg', 'jfif', 'pjpeg', 'png', 'webp', 'gif', 'bmp', 'avif', 'heic', 'heif']);

/** The path the user sees: inside the chosen folder (`wardrobe/shoes/a.jpg`), or the file name. */
export function displayPath(file: File): string {
  return relativePath(file) || file.name;
}

/** `webkitRelativePath`, '' when picked one by one (or where File has none, as in Node). */
export function relativePath(file: File): string {
  return typeof file.webkitRelativePath === 'string' ? file.webkitRelativePath : '';
}

function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/** Why a file is not indexed, or undefined when it looks like a photo (decoding decides the rest). */
export function skipReason(file: File): string | undefined {
  const base = file.name;
  if (base.startsWith('._') || base === '.DS_Store' || base === 'Thumbs.db' || base === 'desktop.ini') return 'a system file, not a photo';
  if (
    displayPath(file)
      .split('/')
      .some((part, i, parts) => i < parts.length - 1 && part.startsWith('.'))
  )
    return 'inside a hidden folder';
  const ext = extension(base);
  const type = file.type.toLowerCase();
  if (type === 'image/svg+xml' || ext === 'svg') return 'an SVG drawing, not a photo';
  if (PHOTO_EXTENSIONS.has(ext) || (type.startsWith('image/') && !ext)) return undefined;
  if (type.startsWith('image/')) return `a ${ext.toUpperCase()} image, which is not indexed (JPEG, PNG, WebP, GIF, BMP and AVIF are)`;
  return `not a photo${ext ? ` (.${ext})` : ''}: only JPEG, PNG, WebP, GIF, BMP and AVIF photos are indexed`;
}

/** Splits the picked files into photos to index and files skipped with a reason. */
export function selectPhotos(files: readonly File[]): { photos: File[]; skipped: SkippedFile[] } {
  const photos: File[] = [];
  const skipped: SkippedFile[] = [];
  for (const file of files) {
    const reason = skipReason(file);
    if (reason) skipped.push({ name: displayPath(file), reason });
    else photos.push(file);
  }
  return { photos, skipped };
}

/**
 * The category of a photo picked with a folder that has sub-folders: the
 * first sub-folder (`wardrobe/shoes/a.jpg` → `shoes`, `wardrobe/shoes/summer/b.jpg`
 * → `shoes`); none for photos at the top of the folder or picked one by one.
 */
export function categoryFromPath(relativePath: string): string | undefined {
  const parts = relativePath.split('/').filter(Boolean);
  if (parts.length < 3) return undefined;
  return parts[1]!.trim() || undefined;
}

/** The top folder's name (`wardrobe/shoes/a.jpg` → `wardrobe`), for a default catalog name. */
export function folderName(files: readonly File[]): string | undefined {
  for (const file of files) {
    const parts = relativePath(file).split('/');
    if (parts.length > 1 && parts[0]) return parts[0];
  }
  return undefined;
}

/** SHA-256 (lowercase hex) of the file's bytes: the same photo is indexed once per catalog. */
export async function hashFile(file: Blob): Promise<string> {
  return sha256Hex(await file.arrayBuffer());
}
