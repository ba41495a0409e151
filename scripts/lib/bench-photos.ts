/**
 * Query photos for the browser benchmarks: real phone snapshots from
 * ../shared/datasets/clothing-photos (as stored: 240×320), the same photos
 * upscaled to a 12-megapixel phone camera's 3024×4032 JPEG (what a shopper's
 * camera roll holds, so the page's decode and downscale are paid in full), and
 * synthetic photos when the datasets are not there. Generated files go to
 * .cache/bench/ (ignored by git).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import sharp from 'sharp';

export interface PhotoSet {
  /** What these photos are, for the report. */
  label: string;
  /** `bitmap`: the page decodes them the way it did before #24 (createImageBitmap in full, then shrink), for comparison. */
  decode?: 'bitmap';
  width: number;
  height: number;
  files: string[];
}

/** `count` photos from the clothing dataset's val split, spread over categories. */
export function datasetPhotos(datasets: string, count: number): string[] {
  const csv = resolve(datasets, 'clothing-photos/labels.csv');
  if (!existsSync(csv)) return [];
  const rows = readFileSync(csv, 'utf8')
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((l) => l.trim().split(','));
  const byCategory = new Map<string, string[]>();
  for (const [path, category, , , split] of rows) {
    if (split !== 'val' || !path || !category) continue;
    byCategory.set(category, [...(byCategory.get(category) ?? []), resolve(datasets, 'clothing-photos', path)]);
  }
  const lists = [...byCategory.values()];
  const out: string[] = [];
  for (let i = 0; out.length < count && lists.some((l) => i < l.length); i++) {
    for (const list of lists) if (i < list.length && out.length < count) out.push(list[i]!);
  }
  return out;
}

/**
 * `count` dataset photos all of the most common pixel size (240×320), so every
 * query has the same tensor shapes: GPU memory pools then settle after the first
 * query, and any later growth is a leak, not a new shape.
 */
export async function uniformPhotos(datasets: string, count: number): Promise<string[]> {
  const candidates = datasetPhotos(datasets, count * 4);
  const sized = await Promise.all(candidates.map(async (file) => ({ file, key: JSON.stringify(await size(file)) })));
  const counts = new Map<string, number>();
  for (const s of sized) counts.set(s.key, (counts.get(s.key) ?? 0) + 1);
  const common = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return sized
    .filter((s) => s.key === common)
    .slice(0, count)
    .map((s) => s.file);
}

async function size(file: string): Promise<{ width: number; height: number }> {
  const meta = await sharp(file).metadata();
  return { width: meta.width ?? 0, height: meta.height ?? 0 };
}

/** Each photo resized to width×height (a phone camera's frame), JPEG quality 88, cached by source file name. */
async function resized(files: string[], cacheDir: string, width: number, height: number): Promise<string[]> {
  const dir = join(cacheDir, `${width}x${height}`);
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (const file of files) {
    const target = join(dir, basename(file).replace(/\.\w+$/, '.jpg'));
    if (!existsSync(target)) await sharp(file).resize(width, height, { fit: 'fill', kernel: 'lanczos3' }).jpeg({ quality: 88 }).toFile(target);
    out.push(target);
  }
  return out;
}

/** Smooth random-ish pictures (gradients and blobs), when there is no dataset. */
async function synthetic(count: number, cacheDir: string, width: number, height: number): Promise<string[]> {
  const dir = join(cacheDir, `synthetic-${width}x${height}`);
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const target = join(dir, `photo-${i}.jpg`);
    if (!existsSync(target)) {
      const raw = Buffer.alloc(width * height * 3);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const o = (y * width + x) * 3;
          raw[o] = (128 + 127 * Math.sin((x + 37 * i) / (23 + i))) | 0;
          raw[o + 1] = (128 + 127 * Math.cos((y + 11 * i) / (31 + i))) | 0;
          raw[o + 2] = ((x * y + 97 * i) >> 6) & 255;
        }
      }
      await sharp(raw, { raw: { width, height, channels: 3 } })
        .jpeg({ quality: 88 })
        .toFile(target);
    }
    out.push(target);
  }
  return out;
}

/** The two sets the benchmarks use: dataset snapshots as stored, and the same at 12 MP. */
export async function benchPhotos(datasets: string, cacheDir: string, count: number): Promise<{ small: PhotoSet; phone: PhotoSet; phoneOldDecode: PhotoSet }> {
  const PHONE = { width: 3024, height: 4032 };
  let files = await uniformPhotos(datasets, count);
  let label = 'clothing-photos (phone snapshots as stored in the dataset, all of one size)';
  if (files.length < count) {
    files = await synthetic(count, cacheDir, 240, 320);
    label = 'synthetic 240×320 pictures (datasets not found)';
  }
  const first = await size(files[0]!);
  const phone = await resized(files, cacheDir, PHONE.width, PHONE.height);
  return {
    small: { label, ...first, files },
    phone: { label: `the same photos as 12 MP camera JPEGs (${PHONE.width}×${PHONE.height})`, ...PHONE, files: phone },
    phoneOldDecode: { label: 'the same 12 MP JPEGs decoded as before #24 (createImageBitmap in full, then shrunk)', ...PHONE, files: phone, decode: 'bitmap' },
  };
}
