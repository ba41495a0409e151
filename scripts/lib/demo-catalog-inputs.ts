/**
 * The demo catalog's inputs (`npm start` indexes them): the shared datasets' IKEA and H&M item lists with what a
 * shop's list has and theirs lack — a plausible price (by category, fixed per item id) and a link to the app's own
 * demo product page (public/demo/product.html, clearly marked as a demo) — so that opening a product and the
 * widget's `lookalike:select` can be tried. Written to CSV files the indexer reads; the photos stay where they are.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseCsvTable } from '../../src/shared/csv.ts';

/** Bump when what these files hold changes: `npm start` re-indexes the demo catalog (reusing its embeddings). */
export const DEMO_INPUTS_VERSION = 2;

/** Price ranges in euros by category (IKEA's and H&M's categories); others get OTHER_RANGE. */
const PRICE_RANGES: Record<string, [number, number]> = {
  sofa: [299, 1299],
  armchair: [99, 499],
  bed: [149, 899],
  chair: [29, 199],
  stool_bench: [19, 129],
  table_desk: [49, 399],
  storage: [19, 349],
  lamp: [9, 149],
  textile: [5, 59],
  tableware: [2, 39],
  mirror_frame: [5, 129],
  plant_pot: [3, 49],
  tshirt: [7, 25],
  shirt: [15, 45],
  longsleeve: [10, 35],
  pants: [20, 60],
  shorts: [12, 35],
  skirt: [15, 50],
  dress: [20, 80],
  outerwear: [40, 150],
  shoes: [25, 90],
  hat: [8, 25],
};
const OTHER_RANGE: [number, number] = [5, 99];

/** A price in the category's range, the same for an item id every time, ending in .99 or .95 as shop prices do. */
export function demoPrice(itemId: string, category: string): number {
  const [lo, hi] = Object.hasOwn(PRICE_RANGES, category) ? PRICE_RANGES[category]! : OTHER_RANGE;
  const unit = createHash('sha256').update(itemId).digest().readUInt32BE(0) / 2 ** 32;
  const euros = Math.floor(lo + unit * (hi - lo));
  return euros + (unit * 1000 < 500 ? 0.99 : 0.95);
}

/**
 * The product link: the app's demo product page, relative to the demo catalog's catalog.json (served at
 * catalog/demo/), so it works on whatever host and port serves the app.
 */
export function demoProductUrl(item: { id: string; title: string; price: number }): string {
  const query = new URLSearchParams({ id: item.id, title: item.title, price: item.price.toFixed(2) });
  return `../../demo/product.html?${query}`;
}

const csvField = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** Writes `<outDir>/<name>` from a dataset CSV: absolute photo paths, plus `price` and `url` columns. */
function withPricesAndLinks(csvPath: string, outDir: string, name: string): string {
  const table = parseCsvTable(readFileSync(csvPath, 'utf8'), csvPath);
  const col = (c: string) => table.header.indexOf(c);
  const [path, id, title, category] = [col('path'), col('item_id'), col('name'), col('category')];
  if (path < 0 || id < 0) throw new Error(`${csvPath}: expected the columns path and item_id`);
  const header = [...table.header, 'price', 'url'];
  const lines = [header.join(',')];
  for (const row of table.rows) {
    const itemId = row[id]!;
    const price = demoPrice(itemId, category >= 0 ? row[category]! : '');
    const photo = row[path]!;
    const out = [...row];
    out[path] = isAbsolute(photo) ? photo : resolve(dirname(csvPath), photo);
    out.push(price.toFixed(2), demoProductUrl({ id: itemId, title: title >= 0 ? row[title]! : itemId, price }));
    lines.push(out.map(csvField).join(','));
  }
  const file = join(outDir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** The IKEA and H&M item lists with prices and links, written under `outDir`; returns their paths. */
export function writeDemoInputs(datasets: string, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  return [
    withPricesAndLinks(join(datasets, 'ikea/products.csv'), outDir, 'ikea-products.csv'),
    withPricesAndLinks(join(datasets, 'hm-catalog/items.csv'), outDir, 'hm-items.csv'),
  ];
}
