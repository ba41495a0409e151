/**
 * "Shoppers like you, without sharing": clusters anonymous shoppers by taste,
 * offline, into a small file the app ships with the catalog.
 *
 *   npx tsx scripts/catalog/clusters.ts <events.csv> --catalog <dir> --out <clusters.json>
 *   npx tsx scripts/catalog/clusters.ts <events.csv> --embeddings <id→number[].json> --out <clusters.json>
 *       [--seed 1] [--k-min 2] [--k-max 10] [--top 20] [--restarts 4] [--silhouette-sample 2000] [--catalog-id ID]
 *
 * events.csv: `user,item_id,event` (event: view, click, wishlist, dismiss;
 * also wishlist_add, preference). Each user's taste vector is built exactly as
 * on the device (src/personal/profile.ts: the catalog's centred taste space,
 * default weights, no decay: the file has no times). KMeans (k-means++ init, seeded, best of several restarts) for
 * each k; the inertia (elbow) and mean silhouette curves are printed, k is
 * chosen by the rule in `chooseK`. The file holds unit centroids and each
 * cluster's most wishlisted/clicked items (src/personal/clusters.ts reads it).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { tasteSpaceFromVectors, tasteSpaceOf, type TasteSpace } from '../../src/personal/taste-space.ts';
import type { EmbeddingLookup } from '../../src/personal/types.ts';
import { loadCatalogDir, readEmbeddingsJson } from '../lib/ranking-sim.ts';
import { buildClusterFile, parseEventsCsv } from '../lib/taste-clusters.ts';

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      catalog: { type: 'string' },
      embeddings: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'k-min': { type: 'string', default: '2' },
      'k-max': { type: 'string', default: '10' },
      top: { type: 'string', default: '20' },
      restarts: { type: 'string', default: '4' },
      'silhouette-sample': { type: 'string', default: '2000' },
      'catalog-id': { type: 'string' },
    },
  });
  const usage =
    'usage: npx tsx scripts/catalog/clusters.ts <events.csv> (--catalog <dir> | --embeddings <file.json>) --out <file.json> [--seed N] [--k-min 2] [--k-max 10] [--top 20]';
  if (positionals.length !== 1 || !values.out || (!values.catalog && !values.embeddings)) throw new Error(usage);
  const int = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`);
    return n;
  };
  let embedding: EmbeddingLookup;
  let space: TasteSpace;
  let catalogId = values['catalog-id'] ?? null;
  if (values.embeddings) {
    // the file must hold the whole catalog's embeddings: their mean centres the taste space, as on the device
    const map = readEmbeddingsJson(values.embeddings);
    embedding = (id) => map.get(id);
    space = tasteSpaceFromVectors(map.values());
  } else {
    const catalog = await loadCatalogDir(values.catalog!);
    embedding = catalog.embedding;
    space = tasteSpaceOf(catalog);
    catalogId ??= catalog.id;
  }
  const file = positionals[0]!;
  const { events, ignored } = parseEventsCsv(readFileSync(file, 'utf8'), file);
  if (ignored) console.log(`${ignored} wishlist_remove events ignored`);
  const out = buildClusterFile(events, embedding, {
    seed: int('seed', values.seed),
    kMin: int('k-min', values['k-min']),
    kMax: int('k-max', values['k-max']),
    top: int('top', values.top),
    restarts: Math.max(1, int('restarts', values.restarts)),
    silhouetteSample: int('silhouette-sample', values['silhouette-sample']),
    catalogId,
    space,
    log: (line) => console.log(line),
  });
  writeFileSync(values.out, `${JSON.stringify(out)}\n`);
  // Written inside the catalog folder: catalog.json names it (with sha256), so the app finds and verifies it.
  if (values.catalog && resolve(dirname(values.out)) === resolve(values.catalog)) {
    const catalogJson = join(values.catalog, 'catalog.json');
    const meta = JSON.parse(readFileSync(catalogJson, 'utf8')) as Record<string, unknown>;
    const bytes = readFileSync(values.out);
    meta.clusters = { path: basename(values.out), bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
    writeFileSync(catalogJson, `${JSON.stringify(meta, null, 2)}\n`);
    console.log(`recorded the clusters in ${catalogJson}`);
  }
  for (const c of out.clusters)
    console.log(
      `cluster ${c.id}: ${c.size} users; favourites ${c.favourites
        .slice(0, 5)
        .map((f) => f.itemId)
        .join(', ')}`,
    );
  console.log(`wrote ${values.out} (k=${out.k})`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
