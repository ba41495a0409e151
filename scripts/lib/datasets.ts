/**
 * The shared photo datasets (../shared/datasets) as labelled image lists.
 * Nothing from them is copied into the repository; only derived weights and metrics are.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { parseCsv } from '../../src/shared/csv.ts';

export const DATASETS_DIR = resolve(import.meta.dirname, '../../../shared/datasets');
export const hasDatasets = () => existsSync(resolve(DATASETS_DIR, 'clothing-photos/labels.csv'));

export const CLOTHING_LABELS = ['tshirt', 'longsleeve', 'pants', 'shoes', 'shirt', 'dress', 'outerwear', 'shorts', 'hat', 'skirt'];
/** ikea's coarse categories the heads learn (not `other`, and not `clock`: 12 photos are too few to learn or measure). */
export const FURNITURE_LABELS = [
  'sofa',
  'armchair',
  'chair',
  'table_desk',
  'bed',
  'storage',
  'lamp',
  'rug',
  'mirror_frame',
  'stool_bench',
  'plant_pot',
  'textile',
  'tableware',
];
export const ALL_LABELS = [...CLOTHING_LABELS, ...FURNITURE_LABELS];

export interface LabelledImage {
  path: string;
  label: string;
  split: 'train' | 'val' | 'test';
  source: 'clothing-photos' | 'hm-catalog' | 'ikea';
  id: string;
}

function readCsv(file: string): Record<string, string>[] {
  return parseCsv(readFileSync(file, 'utf8'));
}

export function clothingPhotos(): LabelledImage[] {
  const csv = resolve(DATASETS_DIR, 'clothing-photos/labels.csv');
  return readCsv(csv).map((r) => ({
    path: resolve(dirname(csv), r.path!),
    label: r.category!,
    split: r.split === 'val' ? 'val' : 'train',
    source: 'clothing-photos',
    id: r.path!,
  }));
}

export function hmCatalog(): LabelledImage[] {
  const csv = resolve(DATASETS_DIR, 'hm-catalog/items.csv');
  return readCsv(csv).map((r) => ({ path: resolve(dirname(csv), r.path!), label: r.category!, split: 'train', source: 'hm-catalog', id: r.item_id! }));
}

/** ikea products of the learned categories, a stratified 20% held out (deterministic by item id). */
export function ikeaProducts(): LabelledImage[] {
  const csv = resolve(DATASETS_DIR, 'ikea/products.csv');
  const rows = readCsv(csv).filter((r) => FURNITURE_LABELS.includes(r.category!));
  const byLabel = new Map<string, Record<string, string>[]>();
  for (const r of rows) byLabel.set(r.category!, [...(byLabel.get(r.category!) ?? []), r]);
  const out: LabelledImage[] = [];
  for (const [label, group] of byLabel) {
    const ranked = [...group].sort((a, b) => hashOf(a.item_id!).localeCompare(hashOf(b.item_id!)));
    const nTest = Math.max(1, Math.round(group.length * 0.2));
    ranked.forEach((r, i) => out.push({ path: resolve(dirname(csv), r.path!), label, split: i < nTest ? 'test' : 'train', source: 'ikea', id: r.item_id! }));
  }
  return out;
}

/**
 * Furniture validation: a stratified 20% of the given ikea training products (deterministic by item id). No head
 * and no fine-tuned backbone trains on it; with clothing-photos val it makes every choice of `train:backbone` and
 * `train:heads`, so the held-out ikea products stay untouched.
 */
export function furnitureVal(ikeaTrain: LabelledImage[]): LabelledImage[] {
  const byLabel = new Map<string, LabelledImage[]>();
  for (const x of ikeaTrain) byLabel.set(x.label, [...(byLabel.get(x.label) ?? []), x]);
  const key = (x: LabelledImage) => hashOf(`furniture-val:${x.id}`);
  return [...byLabel.values()].flatMap((group) => [...group].sort((a, b) => key(a).localeCompare(key(b))).slice(0, Math.round(group.length * 0.2)));
}

function hashOf(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
