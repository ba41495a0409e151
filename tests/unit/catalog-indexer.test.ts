import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalogDir } from '../../scripts/lib/catalog-files.ts';
import {
  contentHash,
  IndexError,
  indexCatalog,
  nodeImageEmbedder,
  poolImageEmbedder,
  STATE_FILE,
  type IndexProgress,
  type IndexReport,
} from '../../scripts/lib/catalog-indexer.ts';
import { IndexState } from '../../scripts/lib/index-state.ts';
import { SearchIndex } from '../../workers/search/search-index.ts';
import { fakeEmbedder } from './fake-embedder.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DATASET_ROWS = resolve(ROOT, '../shared/datasets/hm-catalog/items.csv');

async function photo(path: string, r: number, g: number, b: number, size = 400): Promise<void> {
  mkdirSync(resolve(path, '..'), { recursive: true });
  const pixels = Buffer.alloc(size * (size / 2) * 3);
  for (let i = 0; i < pixels.length; i += 3) {
    const x = (i / 3) % size;
    pixels[i] = (r + x) % 256;
    pixels[i + 1] = g;
    pixels[i + 2] = b;
  }
  await sharp(pixels, { raw: { width: size, height: size / 2, channels: 3 } })
    .jpeg()
    .toFile(path);
}

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lookalike-index-'));
  await photo(join(dir, 'shop/img/a.jpg'), 200, 10, 10);
  await photo(join(dir, 'shop/img/b.jpg'), 10, 200, 10);
  await photo(join(dir, 'shop/img/c.jpg'), 10, 10, 200);
  await photo(join(dir, 'shop/img/d.jpg'), 120, 120, 120, 64);
  writeFileSync(join(dir, 'shop/img/broken.jpg'), 'not a jpeg at all');
  writeFileSync(
    join(dir, 'shop/items.csv'),
    [
      'path,item_id,name,category,price,color,type',
      'img/a.jpg,A1,"Sofa, red",sofa,$1299.00,"Red,dark",Sofa',
      'img/b.jpg,B2,Lamp,lamp,49.5,green,Lamp',
      'img/broken.jpg,X,Broken,lamp,,,',
      'img/missing.jpg,M,Missing,lamp,,,',
      'img/c.jpg,C3,"Rug ""Blue""",rug,,blue,Rug',
      ',E,No path,rug,,,',
      'img/d.jpg,B2,Duplicate id,rug,,,',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'shop/rooms.csv'), 'room,item_id\nimg/a.jpg,A1\nimg/a.jpg,C3\nimg/a.jpg,NOPE\nimg/d.jpg,NOPE\n');
  await photo(join(dir, 'other/x.jpg'), 50, 50, 50);
  writeFileSync(join(dir, 'other/list.csv'), 'path,id,title,url\nx.jpg,O1,Other thing,https://shop.example/o1\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('indexCatalog', () => {
  it('indexes a CSV: mapped columns, attributes, thumbnails, bad images reported, progress', async () => {
    const out = join(dir, 'out-csv');
    const progress: IndexProgress[] = [];
    const embedder = fakeEmbedder();
    const report = await indexCatalog({ inputs: [join(dir, 'shop/items.csv')], out, embedder, name: 'Shop' }, (p) => progress.push(p));
    expect(report.indexed).toBe(3);
    expect(report.failed.map((f) => f.name)).toEqual(['img/missing.jpg', 'img/broken.jpg']);
    expect(report.failed[1]!.reason).toMatch(/not a readable image/);
    expect(report.skipped.map((s) => s.reason)).toEqual([expect.stringMatching(/empty path/), expect.stringMatching(/duplicate id "B2"/)]);
    const catalog = await readCatalogDir(out);
    expect(catalog.meta).toMatchObject({ name: 'Shop', ensembleId: embedder.ensembleId, dimension: 48, count: 3 });
    expect(catalog.items[0]).toMatchObject({
      id: 'A1',
      title: 'Sofa, red',
      category: 'sofa',
      price: 1299,
      source: 'shop/items.csv',
      attributes: { color: 'Red,dark', type: 'Sofa' },
    });
    expect(catalog.items[2]!.title).toBe('Rug "Blue"');
    for (const item of catalog.items) {
      const meta = await sharp(join(out, item.thumbnail!)).metadata();
      expect(meta.format).toBe('jpeg');
      expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(256);
      expect(item.thumbnail).toMatch(/^thumbs\/[0-9a-f]{16}\.jpg$/);
    }
    const last = progress.filter((p) => p.phase === 'embed').at(-1)!;
    expect(last).toMatchObject({ done: 4, total: 4, embedded: 3, failed: 2 });
    expect(last.rate).toBeGreaterThan(0);
    expect(last.etaSeconds).toBe(0);
  });

  it('resumes: a re-run reuses every embedding, a killed run continues', async () => {
    const out = join(dir, 'out-resume');
    const csv = join(dir, 'shop/items.csv');
    const first = fakeEmbedder();
    await indexCatalog({ inputs: [csv], out, embedder: first });
    expect(first.calls).toBe(4); // 3 good + the broken one
    const again = fakeEmbedder();
    const r2 = await indexCatalog({ inputs: [csv], out, embedder: again });
    expect(again.calls).toBe(1); // only the broken one is retried
    expect(r2).toMatchObject({ embedded: 0, reused: 3, indexed: 3 });
    // Simulate a kill after one image, mid-way through writing the second line.
    const state = join(out, STATE_FILE);
    const lines = readFileSync(state, 'utf8').split('\n');
    writeFileSync(state, `${lines[0]}\n${lines[1]}\n${lines[2]!.slice(0, 40)}`);
    const resumed = fakeEmbedder();
    const r3 = await indexCatalog({ inputs: [csv], out, embedder: resumed });
    expect(r3).toMatchObject({ embedded: 2, reused: 1, indexed: 3 });
    expect(r3.state.badLines).toBe(1);
    const a = await readCatalogDir(out);
    expect(a.items.map((i) => i.id)).toEqual(['A1', 'B2', 'C3']);
    // Another model: the state is set aside, everything is embedded again.
    const other = { ...fakeEmbedder(), ensembleId: 'lookalike-other0000000000' };
    const r4 = await indexCatalog({ inputs: [csv], out, embedder: other });
    expect(r4.state.discarded).toMatch(/made with the models "lookalike-test000000000000"/);
    expect(r4.embedded).toBe(3);
  });

  it('indexes a folder recursively (id = relative path, title = file name) and several inputs with scenes', async () => {
    const out = join(dir, 'shop/img/out-inside'); // inside the input folder: must not index itself
    const folder = await indexCatalog({ inputs: [join(dir, 'shop/img')], out, embedder: fakeEmbedder() });
    expect(folder.indexed).toBe(4);
    const items = (await readCatalogDir(out)).items;
    expect(items.map((i) => [i.id, i.title, i.source])).toEqual([
      ['a.jpg', 'a', 'img'],
      ['b.jpg', 'b', 'img'],
      ['c.jpg', 'c', 'img'],
      ['d.jpg', 'd', 'img'],
    ]);
    const again = await indexCatalog({ inputs: [join(dir, 'shop/img')], out, embedder: fakeEmbedder() });
    expect(again.indexed).toBe(4);

    const multi = join(dir, 'out-multi');
    const report = await indexCatalog({
      inputs: [join(dir, 'shop/items.csv'), { path: join(dir, 'other/list.csv'), source: 'other-shop' }],
      out: multi,
      embedder: fakeEmbedder(),
      scenes: join(dir, 'shop/rooms.csv'),
      complements: { sofa: ['rug', 'lamp'] },
    });
    expect(report).toMatchObject({ indexed: 4, scenes: 1, droppedSceneItems: 2 });
    const c = await readCatalogDir(multi);
    expect(c.items.map((i) => i.source)).toEqual(['shop/items.csv', 'shop/items.csv', 'shop/items.csv', 'other-shop']);
    expect(c.items[3]).toMatchObject({ id: 'O1', title: 'Other thing', url: 'https://shop.example/o1' });
    expect(c.meta.complements).toEqual({ sofa: ['rug', 'lamp'] });
    const scene = c.meta.scenes![0]!;
    expect(scene).toMatchObject({ id: 'img/a.jpg', title: 'A', itemIds: ['A1', 'C3'] });
    expect(existsSync(join(multi, scene.image))).toBe(true);
    expect(existsSync(join(multi, scene.thumbnail!))).toBe(true);
  });

  it('fails only when nothing could be indexed', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'x.jpg'), 'garbage');
    const error = await indexCatalog({ inputs: [bad], out: join(dir, 'out-bad'), embedder: fakeEmbedder() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IndexError);
    expect((error as IndexError).message).toMatch(/nothing could be indexed: all 1 images failed/);
    expect((error as IndexError).failed[0]!.name).toBe('x.jpg');
    await expect(indexCatalog({ inputs: [join(dir, 'nowhere.csv')], out: join(dir, 'o'), embedder: fakeEmbedder() })).rejects.toThrow(
      /nowhere\.csv does not exist/,
    );
    writeFileSync(join(dir, 'nopath.csv'), 'file,id\na.jpg,1\n');
    await expect(indexCatalog({ inputs: [join(dir, 'nopath.csv')], out: join(dir, 'o'), embedder: fakeEmbedder() })).rejects.toThrow(
      /nopath\.csv has no "path" column/,
    );
  });
});

describe('with the real models', () => {
  it('embeds with the app ensemble; an item finds itself first', async () => {
    const embedder = await nodeImageEmbedder();
    try {
      const out = join(dir, 'out-real');
      const report = await indexCatalog({ inputs: [join(dir, 'shop/img')], out, embedder });
      expect(report.indexed).toBe(4);
      const catalog = await readCatalogDir(out, { ensembleId: embedder.ensembleId, dimension: embedder.dimension, modelSha256: embedder.modelSha256 });
      const index = new SearchIndex(catalog);
      const query = await embedder.embed(readFileSync(join(dir, 'shop/img/b.jpg')), 'b.jpg');
      const hits = await index.search(query, { k: 2 });
      expect(hits[0]!.id).toBe('b.jpg');
      expect(hits[0]!.score).toBeGreaterThan(0.98);
    } finally {
      embedder.dispose?.();
    }
  });

  it('a pool of workers gives what one thread gives, in the same order; bad images by name; resumes', async () => {
    const input = join(dir, 'shop/img');
    const single = await indexCatalog({ inputs: [input], out: join(dir, 'out-single'), workers: 0 });
    const pooled = await indexCatalog({ inputs: [input], out: join(dir, 'out-pool'), workers: 2, batchSize: 2 });
    // broken.jpg fails to decode, before it reaches the models.
    expect(single.timings).toMatchObject({ workers: 0, images: 4, batches: 4 });
    expect(pooled.timings).toMatchObject({ workers: 2, images: 4 });
    for (const report of [single, pooled]) {
      expect(report).toMatchObject({ indexed: 4, embedded: 4 });
      expect(report.failed).toEqual([{ name: 'broken.jpg', reason: expect.stringMatching(/^not a readable image/) }]);
    }
    const items = (await readCatalogDir(single.outDir)).items;
    expect(items.map((i) => i.id)).toEqual(['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg']);
    expect((await readCatalogDir(pooled.outDir)).items).toEqual(items);
    /** The float32 embeddings a run kept, in catalog order. */
    const vectors = (report: IndexReport) => {
      const { state } = IndexState.open(report.outDir, report.catalog);
      return items.map((item) => state.get(contentHash(readFileSync(join(input, item.id))))!);
    };
    const a = vectors(single);
    const b = vectors(pooled);
    a.forEach((v, i) => {
      for (let k = 0; k < v.length; k++) expect(Math.abs(v[k]! - b[i]![k]!)).toBeLessThan(1e-4);
    });

    // Killed after one image, mid-way through writing the second: the pool continues.
    const state = join(pooled.outDir, STATE_FILE);
    const lines = readFileSync(state, 'utf8').split('\n');
    writeFileSync(state, `${lines[0]}\n${lines[1]}\n${lines[2]!.slice(0, 40)}`);
    const resumed = await indexCatalog({ inputs: [input], out: pooled.outDir, workers: 2, batchSize: 2 });
    expect(resumed).toMatchObject({ embedded: 3, reused: 1, indexed: 4, state: { badLines: 1 } });
    expect((await readCatalogDir(resumed.outDir)).items).toEqual(items);
  });

  it('a worker that stops fails the run with a clear error instead of hanging; an image the models fail on is named', async () => {
    const embedder = await poolImageEmbedder({ workers: 2, workerScript: new URL('./fixtures/exiting-embed-worker.mjs', import.meta.url) });
    try {
      const error = await indexCatalog({ inputs: [join(dir, 'shop/img')], out: join(dir, 'out-crash'), embedder }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IndexError);
      expect((error as Error).message).toMatch(
        /^embedding worker [12] of 2 stopped \(it exited with code 3\) with \d image\(s\) in hand; .* run the same command again to continue$/,
      );
    } finally {
      await embedder.dispose?.();
    }
    // Models that fail on an image (the worker keeps going): that image is reported by name.
    const refusing = await poolImageEmbedder({ workers: 2, workerScript: new URL('./fixtures/refusing-embed-worker.mjs', import.meta.url) });
    try {
      const error = await indexCatalog({ inputs: [join(dir, 'shop/img')], out: join(dir, 'out-refused'), embedder: refusing }).catch((e: unknown) => e);
      expect((error as IndexError).failed).toEqual([
        ...['a.jpg', 'b.jpg'].map((name) => ({ name, reason: 'the models could not embed it (out of memory)' })),
        { name: 'broken.jpg', reason: expect.stringMatching(/^not a readable image/) },
        ...['c.jpg', 'd.jpg'].map((name) => ({ name, reason: 'the models could not embed it (out of memory)' })),
      ]);
    } finally {
      await refusing.dispose?.();
    }
    await expect(poolImageEmbedder({ workers: 1, workerScript: new URL('./fixtures/failing-embed-worker.mjs', import.meta.url) })).rejects.toThrow(
      'embedding worker 1 of 1 did not start: model-artifacts/shipped/manifest.json is missing',
    );
  });

  it('CLI: reports bad images by name and exits non-zero only when nothing was indexed', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'scripts/catalog/index-catalog.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const bad = run([join(dir, 'bad'), '--out', join(dir, 'out-cli-bad')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/x\.jpg: not a readable image/);
    expect(bad.stderr).toMatch(/error: nothing could be indexed/);
  });

  it.skipIf(!existsSync(DATASET_ROWS))('reads the hm-catalog CSV layout [needs ../shared/datasets]', async () => {
    const csv = join(dir, 'hm3.csv');
    const rows = readFileSync(DATASET_ROWS, 'utf8').split('\n').slice(0, 4);
    writeFileSync(csv, [rows[0], ...rows.slice(1).map((r) => resolve(DATASET_ROWS, '..', r))].join('\n'));
    const out = join(dir, 'out-hm');
    const report = await indexCatalog({ inputs: [csv], out, embedder: fakeEmbedder() });
    expect(report.indexed).toBe(3);
    const item = (await readCatalogDir(out)).items[0]!;
    expect(item).toMatchObject({
      id: '0145872052',
      title: 'Dorian l/s basic',
      category: 'longsleeve',
      attributes: { product_code: '145872', type: 'Sweater', color: 'Dark Blue' },
    });
  });
});
