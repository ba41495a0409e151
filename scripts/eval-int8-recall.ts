/**
 * How much int8 storage costs search: recall@10 of the int8 exact search
 * against float32 exact search, on real embeddings. The catalog's float32
 * embeddings come from its index state (.index-state.ndjson, written by the
 * indexer); queries are real photos (--queries) or the catalog's own items.
 * Also measured after a seeded random projection to 256 dimensions (the
 * shipped dimension), as a stand-in until the learned projection exists.
 *
 *   npx tsx scripts/eval-int8-recall.ts --catalog <dir> [--queries <csv> [--root <dir>] [--split val]] [--limit 300] [--k 10]
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCsv } from '../src/shared/csv.ts';
import { quantize } from '../src/shared/catalog-shards.ts';
import { exactSearch } from '../workers/search/exact-search.ts';
import { TopK } from '../workers/search/top-k.ts';
import { readCatalogDir } from './lib/catalog-files.ts';
import { STATE_FILE } from './lib/index-state.ts';
import { decodeImage, loadNodeEmbedder } from './lib/node-models.ts';

function readState(dir: string, dimension: number): Map<string, Float32Array> {
  const lines = readFileSync(join(dir, STATE_FILE), 'utf8').split('\n').slice(1);
  const out = new Map<string, Float32Array>();
  for (const line of lines) {
    if (!line) continue;
    try {
      const { h, e } = JSON.parse(line) as { h: string; e: string };
      const bytes = Buffer.from(e, 'base64');
      if (bytes.byteLength !== dimension * 4) continue;
      const v = new Float32Array(dimension);
      new Uint8Array(v.buffer).set(bytes);
      out.set(h.slice(0, 16), v);
    } catch {
      // A line cut short by a kill.
    }
  }
  return out;
}

function floatTopK(vectors: Float32Array, n: number, d: number, q: Float32Array, k: number): number[] {
  const top = new TopK(k);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += q[j]! * vectors[i * d + j]!;
    if (s > top.threshold) top.push(i, s);
  }
  return top.sorted().map((x) => x.index);
}

/** Seeded Gaussian projection d → p, then L2-normalised rows. */
function projector(d: number, p: number, seed = 1): (v: Float32Array) => Float32Array {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
  const m = new Float32Array(d * p);
  for (let i = 0; i < m.length; i++) m[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return (v) => {
    const out = new Float32Array(p);
    let norm = 0;
    for (let c = 0; c < p; c++) {
      let x = 0;
      for (let j = 0; j < d; j++) x += v[j]! * m[j * p + c]!;
      out[c] = x;
      norm += x * x;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let c = 0; c < p; c++) out[c]! *= inv;
    return out;
  };
}

function measure(catalog: Float32Array[], queries: Float32Array[], k: number): { recall: number; scoreError: number; dimension: number } {
  const d = catalog[0]!.length;
  const n = catalog.length;
  const flat = new Float32Array(n * d);
  catalog.forEach((v, i) => flat.set(v, i * d));
  const shard = quantize(flat, n, d);
  let overlap = 0;
  let err = 0;
  for (const q of queries) {
    const exact = floatTopK(flat, n, d, q, k);
    const approx = exactSearch([shard], q, k);
    const set = new Set(exact);
    overlap += approx.filter((r) => set.has(r.index)).length;
    // Score error of the int8 score for the true top-1.
    let s = 0;
    for (let j = 0; j < d; j++) s += q[j]! * flat[exact[0]! * d + j]!;
    const sq = exactSearch([shard], q, n).find((r) => r.index === exact[0])!.score;
    err += Math.abs(sq - s);
  }
  return { recall: overlap / (queries.length * k), scoreError: err / queries.length, dimension: d };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      catalog: { type: 'string' },
      queries: { type: 'string' },
      root: { type: 'string' },
      split: { type: 'string' },
      limit: { type: 'string', default: '300' },
      k: { type: 'string', default: '10' },
    },
  });
  if (!values.catalog) throw new Error('usage: npx tsx scripts/eval-int8-recall.ts --catalog <dir> [--queries <csv> [--root <dir>] [--split val]] [--limit 300] [--k 10]');
  const k = Number(values.k);
  const limit = Number(values.limit);
  const loaded = await readCatalogDir(values.catalog);
  const state = readState(values.catalog, loaded.meta.dimension);
  const floats = loaded.items.map((item) => {
    const v = state.get(basename(item.thumbnail ?? '', '.jpg'));
    if (!v) throw new Error(`${item.id}: no float32 embedding in ${join(values.catalog!, STATE_FILE)} (re-run the indexer)`);
    return v;
  });
  let queries: Float32Array[];
  let what: string;
  if (values.queries) {
    const rows = parseCsv(readFileSync(values.queries, 'utf8'), values.queries).filter((r) => !values.split || r.split === values.split).slice(0, limit);
    const root = values.root ?? dirname(resolve(values.queries));
    const embedder = await loadNodeEmbedder();
    if (embedder.manifest.ensembleId !== loaded.meta.ensembleId) throw new Error(`the catalog was built with ${loaded.meta.ensembleId}, the models are ${embedder.manifest.ensembleId}`);
    queries = [];
    for (const r of rows) {
      const image = await decodeImage(resolve(root, r.path!));
      try {
        queries.push(await embedder.embed(image));
      } finally {
        image.dispose();
      }
    }
    what = `${queries.length} photos from ${values.queries}${values.split ? ` (split ${values.split})` : ''}`;
  } else {
    const step = Math.max(1, Math.floor(floats.length / limit));
    queries = floats.filter((_, i) => i % step === 0).slice(0, limit);
    what = `${queries.length} catalog items as queries`;
  }
  process.stderr.write(`catalog "${loaded.meta.name}" (${floats.length} items), ${what}\n`);
  const native = measure(floats, queries, k);
  const project = projector(native.dimension, 256);
  const projected = measure(floats.map(project), queries.map(project), k);
  for (const r of [native, projected]) {
    process.stderr.write(`  d=${r.dimension}${r === projected ? ' (random projection)' : ''}: int8 vs float32 recall@${k} ${r.recall.toFixed(4)}, mean |score error| of the true top-1 ${r.scoreError.toExponential(2)}\n`);
  }
  process.stdout.write(`int8_recall@${k}=${native.recall.toFixed(3)} (d=${native.dimension}) int8_recall@${k}=${projected.recall.toFixed(3)} (d=256 random projection)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
