import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CENTROIDS_FILE, readCatalogDir, writeCatalog, type CatalogContent } from '../../scripts/lib/catalog-files.ts';
import { indexCatalog, parseSlice, RUN_FILE, STATE_FILE } from '../../scripts/lib/catalog-indexer.ts';
import { MergeError, mergeCatalogs } from '../../scripts/lib/catalog-merge.ts';
import { meanDirection, partitionLabel, planPartitions } from '../../scripts/lib/catalog-partitions.ts';
import { sliceRange } from '../../scripts/lib/index-run.ts';
import { uniformVectors } from '../../scripts/lib/synthetic-vectors.ts';
import { type CatalogItem, type CatalogJson, parseCatalogJson, partitionLayout } from '../../src/shared/catalog-format.ts';
import { decodeShard, dequantize } from '../../src/shared/catalog-shards.ts';
import { fakeEmbedder } from './fake-embedder.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lookalike-partitions-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const D = 16;

/** `n` items in categories by `categoryOf(i)`, with random unit vectors. */
function content(n: number, categoryOf: (i: number) => string | undefined, seed = 7): CatalogContent {
  const flat = uniformVectors(n, D, seed);
  const items: CatalogItem[] = Array.from({ length: n }, (_, i) => {
    const category = categoryOf(i);
    return { id: `item-${i}`, title: `Item ${i}`, ...(category !== undefined ? { category } : {}) };
  });
  return {
    name: 'Parts',
    ensembleId: 'lookalike-test000000000000',
    modelSha256: ['c'.repeat(64)],
    dimension: D,
    items,
    vectors: Array.from({ length: n }, (_, i) => flat.slice(i * D, (i + 1) * D)),
    scenes: [{ id: 'room', title: 'Room', image: 'scenes/x.jpg', itemIds: ['item-3', 'item-0'] }],
    complements: { sofa: ['rug'] },
    currency: 'EUR',
  };
}

const CATEGORIES = ['sofa', 'lamp', undefined, 'rug/wool & co', 'sofa', 'sofa'];

/** sha256 of every file under `root` (relative path → hex), hidden files and thumbnails aside. */
function fileHashes(root: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(root, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${name.name}` : name.name;
    if (name.name.startsWith('.') || path === 'catalog.json') continue;
    if (name.isDirectory()) Object.assign(out, fileHashes(root, path));
    else
      out[path] = createHash('sha256')
        .update(readFileSync(join(root, path)))
        .digest('hex');
  }
  return out;
}

const withoutDate = (c: CatalogJson) => ({ ...c, createdAt: undefined });
const catalogJson = (out: string) => JSON.parse(readFileSync(join(out, 'catalog.json'), 'utf8')) as CatalogJson;

describe('planPartitions', () => {
  it('groups by category (sorted, uncategorised last), splits a large one by k-means, keeps input order inside', () => {
    const c = content(40, (i) => (i < 30 ? 'sofa' : i < 35 ? 'Lamp' : undefined));
    const plan = planPartitions(c.items, c.vectors, D, { partitionSize: 10 });
    expect(plan.map((p) => p.category)).toEqual(['Lamp', 'sofa', 'sofa', 'sofa', undefined]);
    expect(plan.map((p) => p.id)).toEqual(['Lamp/000', 'sofa/000', 'sofa/001', 'sofa/002', 'uncategorised/000']);
    expect(plan.flatMap((p) => p.indices).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    for (const p of plan) expect(p.indices).toEqual([...p.indices].sort((a, b) => a - b));
    expect(plan.slice(1, 4).reduce((n, p) => n + p.indices.length, 0)).toBe(30);
    expect(planPartitions(c.items, c.vectors, D, { partitionSize: 10 })).toEqual(plan);
  });

  it('labels: safe characters only, two categories with one label told apart', () => {
    expect(partitionLabel('rug/wool & co')).toBe('rug_wool_co');
    expect(partitionLabel('../..')).toBe('.._..');
    expect(partitionLabel('Möbel')).toBe('Möbel');
    expect(partitionLabel('///')).toBe('_');
    const c = content(3, (i) => ['a b', 'a/b', 'a_b'][i]);
    expect(planPartitions(c.items, c.vectors, D).map((p) => [p.id, p.category])).toEqual([
      ['a_b/000', 'a b'],
      ['a_b~2/000', 'a/b'],
      ['a_b~3/000', 'a_b'],
    ]);
  });
});

describe('writeCatalog, partitioned', () => {
  it('round-trips through readCatalogDir; no file straddles two partitions; centroids are the mean directions', async () => {
    const out = join(dir, 'write');
    const c = content(60, (i) => CATEGORIES[i % CATEGORIES.length]);
    // 5 vectors per shard, 4 items per file: partitions span several files of each kind.
    const options = { partitioned: true, partitionSize: 12, maxShardBytes: 16 + 5 * (D + 4), itemsPerFile: 4 } as const;
    const catalog = writeCatalog(out, c, options);
    expect(catalog.formatVersion).toBe(2);
    expect(parseCatalogJson(catalogJson(out))).toBeTruthy();
    const sofas = catalog.partitions!.list.filter((p) => p.category === 'sofa');
    expect(sofas.length).toBeGreaterThan(1); // 30 sofas > 12: split
    expect(catalog.partitions!.list.find((p) => p.category === 'rug/wool & co')!.id).toBe('rug_wool_co/000');
    expect(catalog.partitions!.list.at(-1)).toEqual({ id: 'uncategorised/000', count: 10 });

    const loaded = await readCatalogDir(out);
    expect(loaded.items).toHaveLength(60);
    expect(loaded.meta.scenes).toEqual(c.scenes);
    expect(loaded.meta.complements).toEqual(c.complements);
    expect(loaded.meta.currency).toBe('EUR');
    const layout = partitionLayout(loaded.meta)!;
    const byId = new Map(c.items.map((item, i) => [item.id, i]));
    const centroids = decodeShard(readFileSync(join(out, CENTROIDS_FILE)), { count: layout.length, dimension: D });
    for (const [p, part] of layout.entries()) {
      for (const f of [...part.shards, ...part.items]) expect(f.path.startsWith(`partitions/${String(p).padStart(4, '0')}/`)).toBe(true);
      const items = loaded.items.slice(part.start, part.start + part.count);
      for (const item of items) expect(item.category).toBe(part.category);
      // Input order inside the partition; each item's int8 vector is its own.
      const indices = items.map((item) => byId.get(item.id)!);
      expect(indices).toEqual([...indices].sort((a, b) => a - b));
      let row = part.start;
      for (const shard of part.shards) {
        const decoded = loaded.shards[loaded.meta.shards.indexOf(shard)]!;
        for (let i = 0; i < decoded.count; i++, row++) {
          const v = dequantize(decoded, i);
          const original = c.vectors[byId.get(loaded.items[row]!.id)!]!;
          for (let j = 0; j < D; j++) expect(Math.abs(v[j]! - original[j]!)).toBeLessThan(0.01);
        }
      }
      // Centroid row p: the partition's mean direction.
      const mean = meanDirection(c.vectors, indices, D);
      const got = dequantize(centroids, p);
      for (let j = 0; j < D; j++) expect(Math.abs(got[j]! - mean[j]!)).toBeLessThan(0.01);
    }
  });

  it('is deterministic; switching flat ↔ partitioned removes only the other build’s files', () => {
    const a = join(dir, 'det-a');
    const b = join(dir, 'det-b');
    const c = content(50, (i) => CATEGORIES[i % CATEGORIES.length]);
    const options = { partitioned: true, partitionSize: 8, itemsPerFile: 5 } as const;
    const ca = writeCatalog(a, c, options);
    const cb = writeCatalog(b, c, options);
    expect(withoutDate(ca)).toEqual(withoutDate(cb));
    expect(fileHashes(a)).toEqual(fileHashes(b));

    writeFileSync(join(a, 'notes.txt'), 'mine');
    mkdirSync(join(a, 'partitions/extra'), { recursive: true });
    writeFileSync(join(a, 'partitions/extra/keep.bin'), 'mine');
    writeFileSync(join(a, 'partitions/0000/readme.txt'), 'mine');
    const flat = writeCatalog(a, c, { partitioned: false, itemsPerFile: 5 });
    expect(flat.formatVersion).toBe(1);
    expect(Object.keys(fileHashes(a)).sort()).toEqual(
      [...flat.shards, ...flat.items]
        .map((f) => f.path)
        .concat(['notes.txt', 'partitions/0000/readme.txt', 'partitions/extra/keep.bin'])
        .sort(),
    );
    const again = writeCatalog(a, c, options);
    expect(withoutDate(again)).toEqual(withoutDate(ca));
    expect(Object.keys(fileHashes(a)).sort()).toEqual(
      [...again.shards, ...again.items, again.partitions!.centroids]
        .map((f) => f.path)
        .concat(['notes.txt', 'partitions/0000/readme.txt', 'partitions/extra/keep.bin'])
        .sort(),
    );
    // Fewer partitions than before: the folders of the dropped ones go.
    writeCatalog(a, c, { ...options, partitionSize: 1000 });
    expect(existsSync(join(a, 'partitions/0004'))).toBe(false);
  });

  it('refuses more partitions than a catalog may have, before writing anything', () => {
    const out = join(dir, 'too-many');
    expect(() =>
      writeCatalog(
        out,
        content(10_001, (i) => `c${i}`),
        { partitioned: true },
      ),
    ).toThrow(/would have 10,001 partitions \(10,001 categories\); a catalog may have at most 10,000: merge small categories/);
    expect(existsSync(join(out, 'partitions'))).toBe(false);
  });

  it("'auto' partitions only large catalogs", () => {
    const small = writeCatalog(
      join(dir, 'auto'),
      content(20, () => 'sofa'),
    );
    expect(small.formatVersion).toBe(1);
    expect(small.partitions).toBeUndefined();
  });
});

describe('slices and merge', () => {
  let csv: string;
  beforeAll(async () => {
    const rows = ['path,id,title,category'];
    for (let i = 0; i < 15; i++) {
      const size = 32;
      const pixels = Buffer.alloc(size * size * 3);
      for (let p = 0; p < pixels.length; p += 3) {
        const x = (p / 3) % size;
        pixels[p] = (i * 37 + x * 3) % 256;
        pixels[p + 1] = (i * 91) % 256;
        pixels[p + 2] = (i * 53 + (p / 3 / size) * 5) % 256;
      }
      mkdirSync(join(dir, 'shop/img'), { recursive: true });
      await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
        .png()
        .toFile(join(dir, `shop/img/${i}.png`));
      rows.push(`img/${i}.png,P${i},Product ${i},${['sofa', 'lamp', 'sofa', 'sofa', ''][i % 5]}`);
    }
    rows.push('img/missing.png,PX,Missing,lamp'); // fails in whichever slice has it
    rows.push('img/3.png,P3,Duplicate id,lamp'); // de-duplicated before slicing
    csv = join(dir, 'shop/items.csv');
    writeFileSync(csv, `${rows.join('\n')}\n`);
    writeFileSync(join(dir, 'shop/rooms.csv'), 'room,item_id\nimg/0.png,P0\nimg/0.png,P14\n');
  });

  const write = { partitioned: true, partitionSize: 3, itemsPerFile: 2 } as const;
  const index = (out: string, extra: Partial<Parameters<typeof indexCatalog>[0]> = {}) =>
    indexCatalog({ inputs: [csv], out: join(dir, out), name: 'Shop', embedder: fakeEmbedder(), currency: 'EUR', write, ...extra });

  it('slices 0/2 and 1/2 merged = one run (catalog.json but createdAt, every file’s bytes)', async () => {
    const whole = await index('whole');
    expect(whole.indexed).toBe(15);
    expect(whole.catalog.partitions!.list.filter((p) => p.category === 'sofa').length).toBeGreaterThan(1); // 9 sofas > 3
    const s0 = await index('slice-0', { slice: parseSlice('0/2') });
    const s1 = await index('slice-1', { slice: parseSlice('1/2') });
    expect(s0.slice).toEqual({ index: 0, count: 2, start: 0, end: 8, inputItems: 16 });
    expect(s1.slice).toEqual({ index: 1, count: 2, start: 8, end: 16, inputItems: 16 });
    expect(s0.indexed + s1.indexed).toBe(15);
    // Named in any order: merged in slice order.
    const merged = await mergeCatalogs({ dirs: [join(dir, 'slice-1'), join(dir, 'slice-0')], out: join(dir, 'merged'), name: 'Shop', write });
    expect(withoutDate(catalogJson(join(dir, 'merged')))).toEqual(withoutDate(catalogJson(join(dir, 'whole'))));
    expect(fileHashes(join(dir, 'merged'))).toEqual(fileHashes(join(dir, 'whole')));
    expect(merged.items).toBe(15);
    // The merged folder has its own state and run file: merging it again (flat this time) reads it.
    expect(existsSync(join(dir, 'merged', STATE_FILE)) && existsSync(join(dir, 'merged', RUN_FILE))).toBe(true);
    const again = await mergeCatalogs({ dirs: [join(dir, 'merged')], out: join(dir, 'merged-flat'), write: { partitioned: false } });
    expect((await readCatalogDir(again.outDir)).items.map((i) => i.id)).toEqual(Array.from({ length: 15 }, (_, i) => `P${i}`));
  });

  it('three slices with scenes: the same items and vectors; scenes united', async () => {
    const scenes = join(dir, 'shop/rooms.csv');
    const whole = await index('whole-scenes', { scenes });
    for (let i = 0; i < 3; i++) await index(`s3-${i}`, { scenes, slice: { index: i, count: 3 } });
    await mergeCatalogs({ dirs: [0, 1, 2].map((i) => join(dir, `s3-${i}`)), out: join(dir, 'merged-scenes'), name: 'Shop', write });
    const merged = catalogJson(join(dir, 'merged-scenes'));
    expect(withoutDate(merged)).toEqual(withoutDate(whole.catalog));
    expect(fileHashes(join(dir, 'merged-scenes'))).toEqual(fileHashes(join(dir, 'whole-scenes')));
  });

  it('a killed slice run continues where it stopped', async () => {
    const first = fakeEmbedder();
    await index('slice-resume', { slice: { index: 1, count: 2 }, embedder: first });
    const state = join(dir, 'slice-resume', STATE_FILE);
    const lines = readFileSync(state, 'utf8').split('\n');
    writeFileSync(state, `${lines[0]}\n${lines[1]}\n${lines[2]!.slice(0, 30)}`);
    const resumed = fakeEmbedder();
    const report = await index('slice-resume', { slice: { index: 1, count: 2 }, embedder: resumed });
    expect(report).toMatchObject({ reused: 1, embedded: 6, state: { badLines: 1 } });
    expect(resumed.calls).toBe(6); // the missing image fails before the models
    expect(fileHashes(join(dir, 'slice-resume'))).toEqual(fileHashes(join(dir, 'slice-1')));
  });

  it('refuses other models, overlapping ids, an incomplete set of slices, slices mixed with catalogs', async () => {
    const out = join(dir, 'refused');
    await index('other-models', { slice: { index: 1, count: 2 }, embedder: fakeEmbedder('lookalike-other0000000000') });
    await expect(mergeCatalogs({ dirs: [join(dir, 'slice-0'), join(dir, 'other-models')], out })).rejects.toThrow(
      /other-models was built with the models "lookalike-other0000000000".*slice-0 with "lookalike-test000000000000"/,
    );
    await expect(mergeCatalogs({ dirs: [join(dir, 'slice-0')], out })).rejects.toThrow(/slice 1\/2 missing/);
    await expect(mergeCatalogs({ dirs: [join(dir, 'slice-0'), join(dir, 'slice-1'), join(dir, 'slice-resume')], out })).rejects.toThrow(
      /slice-1 and .*slice-resume are both slice 1\/2/,
    );
    await expect(mergeCatalogs({ dirs: [join(dir, 'whole'), join(dir, 'slice-0')], out })).rejects.toThrow(/is a slice \(--slice\) but .*whole is not/);
    await expect(mergeCatalogs({ dirs: [join(dir, 'whole'), join(dir, 'merged')], out })).rejects.toThrow(/item id "P0" is in both .*whole and .*merged/);
    await expect(mergeCatalogs({ dirs: [join(dir, 'whole')], out: join(dir, 'whole') })).rejects.toThrow(MergeError);
    // A slice cut from other inputs (same number of items, other ids).
    const otherCsv = join(dir, 'shop/other.csv');
    writeFileSync(otherCsv, readFileSync(csv, 'utf8').replace('P14,', 'Q14,'));
    await index('other-inputs', { inputs: [otherCsv], slice: { index: 1, count: 2 } });
    await expect(mergeCatalogs({ dirs: [join(dir, 'slice-0'), join(dir, 'other-inputs')], out })).rejects.toThrow(
      /other-inputs was cut from 16 input items, .*slice-0 from 16 with other ids: the slices were not made from the same inputs/,
    );
    expect(existsSync(join(out, 'catalog.json'))).toBe(false);
  });

  it('slice arithmetic', () => {
    expect(parseSlice('3/8')).toEqual({ index: 3, count: 8 });
    expect(() => parseSlice('8/8')).toThrow(/counted from 0/);
    expect(() => parseSlice('1-2')).toThrow(/written i\/n/);
    const ranges = Array.from({ length: 7 }, (_, i) => sliceRange({ index: i, count: 7 }, 100));
    expect(ranges[0]!.start).toBe(0);
    expect(ranges.at(-1)!.end).toBe(100);
    ranges.slice(1).forEach((r, i) => expect(r.start).toBe(ranges[i]!.end));
    for (const r of ranges) expect([14, 15]).toContain(r.end - r.start);
  });
});
