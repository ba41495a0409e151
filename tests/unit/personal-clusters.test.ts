import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { buildClusterFile, chooseK, elbowK, kmeans, parseEventsCsv } from '../../scripts/lib/taste-clusters.ts';
import { makeSyntheticCatalog, mulberry32, pick, sample, type SyntheticCatalog } from '../../scripts/lib/ranking-sim.ts';
import { assignCluster, parseClusterFile } from '../../src/personal/clusters.ts';
import { forYou } from '../../src/personal/for-you.ts';
import { buildCatalogProfile } from '../../src/personal/profile.ts';
import { tasteSpaceOf } from '../../src/personal/taste-space.ts';
import { resolveRankingSettings } from '../../src/personal/settings.ts';

const GROUPS = ['dress/red', 'pants/navy', 'shoes/white'];

/**
 * Three planted groups of 40 shoppers. Each group likes one category/colour
 * and has 4 "hit" items most of its shoppers wishlist or click; plus noise
 * (other items of their taste, random views, a stray click).
 */
function plantedEvents(catalog: SyntheticCatalog, seed = 3): { csv: string; hits: Map<string, string[]> } {
  const rng = mulberry32(seed);
  const hits = new Map<string, string[]>();
  const rows = ['user,item_id,event'];
  GROUPS.forEach((taste, g) => {
    const pool = catalog.byTaste.get(taste)!.map((it) => it.id);
    const groupHits = pool.slice(0, 4);
    hits.set(taste, groupHits);
    for (let u = 0; u < 40; u++) {
      const user = `u${g}-${u}`;
      for (const id of sample(rng, groupHits, 2)) rows.push(`${user},${id},wishlist`);
      for (const id of sample(rng, groupHits, 3)) rows.push(`${user},${id},click`);
      for (const id of sample(rng, pool.slice(4), 2)) rows.push(`${user},${id},click`);
      for (let v = 0; v < 5; v++) rows.push(`${user},${pick(rng, catalog.items).id},view`);
      rows.push(`${user},${pick(rng, catalog.items).id},click`);
    }
  });
  return { csv: `${rows.join('\n')}\n`, hits };
}

const catalog = makeSyntheticCatalog({ dim: 64, perCombo: 12, seed: 11 });
const { csv, hits } = plantedEvents(catalog);
const tmp = mkdtempSync(join(tmpdir(), 'clusters-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('shoppers like you: clustering', () => {
  it('parses the events file and names bad lines', () => {
    const { events, ignored } = parseEventsCsv('user,item_id,event\nu1,a,click\nu1,a,wishlist_remove\nu2,"b,c",Wishlist\n');
    expect(events).toEqual([
      { user: 'u1', itemId: 'a', kind: 'click' },
      { user: 'u2', itemId: 'b,c', kind: 'wishlist' },
    ]);
    expect(ignored).toBe(1);
    expect(() => parseEventsCsv('user,item_id,event\nu1,a,purchase\n', 'ev.csv')).toThrow(/ev\.csv, line 2: unknown event "purchase"/);
    expect(() => parseEventsCsv('user,item,event\n')).toThrow(/no "item_id" column/);
  });

  it('KMeans is deterministic for a seed and k-means++ finds well separated blobs', () => {
    const rng = mulberry32(5);
    const centres = [
      [5, 0],
      [0, 5],
      [-5, -5],
    ];
    const points = centres.flatMap((c) => Array.from({ length: 30 }, () => Float32Array.from([c[0]! + rng() - 0.5, c[1]! + rng() - 0.5])));
    const a = kmeans(points, 3, 1);
    const b = kmeans(points, 3, 1);
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    for (let blob = 0; blob < 3; blob++) expect(new Set(a.labels.slice(blob * 30, blob * 30 + 30)).size).toBe(1);
    expect(new Set(a.labels).size).toBe(3);
  });

  it('elbow and silhouette rules', () => {
    expect(elbowK([2, 3, 4, 5, 6], [100, 40, 35, 32, 30])).toBe(3);
    expect(chooseK([2, 3, 4], [100, 40, 35], [0.3, 0.6, 0.61]).chosenK).toBe(3); // elbow within 0.02 of the best
    expect(chooseK([2, 3, 4], [100, 40, 35], [0.3, 0.4, 0.7]).chosenK).toBe(4); // silhouette clearly better
  });

  it('finds the three planted groups and their favourites', () => {
    const { events } = parseEventsCsv(csv);
    const lines: string[] = [];
    const file = buildClusterFile(events, catalog.embedding, { seed: 1, space: tasteSpaceOf(catalog), log: (l) => lines.push(l) });
    expect(file.k).toBe(3);
    expect(file.selection.ks).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(file.selection.silhouetteK).toBe(3);
    expect(lines.join('\n')).toMatch(/inertia \(elbow\)\s+silhouette/);
    expect(file.clusters.map((c) => c.size).sort()).toEqual([40, 40, 40]);
    const matched = new Set<string>();
    for (const c of file.clusters) {
      const top4 = c.favourites
        .slice(0, 4)
        .map((f) => f.itemId)
        .sort();
      const group = [...hits].find(([, h]) => [...h].sort().join() === top4.join());
      expect(group, `cluster ${c.id} favourites ${top4.join(', ')}`).toBeDefined();
      matched.add(group![0]);
      expect(c.centroid).toHaveLength(64);
      expect(Math.hypot(...c.centroid)).toBeCloseTo(1, 4);
    }
    expect(matched.size).toBe(3);
    expect(parseClusterFile(JSON.parse(JSON.stringify(file)))).toBeTruthy();
  });

  it('on the device: the shopper is matched to their cluster and its favourites move up in For-you', () => {
    const { events } = parseEventsCsv(csv);
    const file = parseClusterFile(JSON.parse(JSON.stringify(buildClusterFile(events, catalog.embedding, { seed: 1, space: tasteSpaceOf(catalog) }))));
    const settings = resolveRankingSettings({ clusterWeight: 0.3 });
    const now = Date.now();
    // a local shopper who clicked two non-hit items of the pants/navy taste
    const pool = catalog.byTaste
      .get('pants/navy')!
      .map((it) => it.id)
      .slice(6, 8);
    const signals = {
      catalogId: 'synthetic',
      wishlist: [],
      preferences: [],
      events: pool.map((itemId) => ({ type: 'click' as const, catalogId: 'synthetic', itemId, at: now })),
    };
    const profile = buildCatalogProfile(signals, catalog, settings, now);
    const assigned = assignCluster(profile, file)!;
    const cluster = file.clusters.find((c) => c.id === assigned.clusterId)!;
    expect(
      cluster.favourites
        .slice(0, 4)
        .map((f) => f.itemId)
        .sort(),
    ).toEqual([...hits.get('pants/navy')!].sort());
    const plain = forYou(catalog, signals, { profile, settings, limit: 10 }).map((r) => r.id);
    const blended = forYou(catalog, signals, { profile, settings, limit: 10, clusterFavourites: assigned.favourites }).map((r) => r.id);
    const navyHits = hits.get('pants/navy')!;
    // the two clicked items stay in For-you (only wishlisted, picked and dismissed ones leave); the hits come right after
    expect(blended.slice(0, 6).filter((id) => navyHits.includes(id) || pool.includes(id))).toHaveLength(6);
    const positions = (ids: string[]) => navyHits.reduce((sum, id) => sum + (ids.includes(id) ? ids.indexOf(id) : 10), 0);
    expect(positions(blended)).toBeLessThan(positions(plain));
    expect(assignCluster({ ...profile, vector: new Float32Array(8) }, file)).toBeNull(); // other dimension
    expect(assignCluster(profile, { ...file, space: 'raw' })).toBeNull(); // other space
  });

  it('CLI: reads the CSV and --embeddings, prints both curves, writes the file', async () => {
    const eventsFile = join(tmp, 'events.csv');
    const embFile = join(tmp, 'emb.json');
    const outFile = join(tmp, 'clusters.json');
    writeFileSync(eventsFile, csv);
    writeFileSync(embFile, JSON.stringify(Object.fromEntries(catalog.items.map((it) => [it.id, Array.from(catalog.embedding(it.id)!, (x) => +x.toFixed(5))]))));
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', 'scripts/catalog/clusters.ts', eventsFile, '--embeddings', embFile, '--out', outFile, '--catalog-id', 'synthetic'],
      { cwd: process.cwd() },
    );
    expect(stdout).toMatch(/k\s+inertia \(elbow\)\s+silhouette/);
    expect(stdout).toMatch(/chosen k=3/);
    const file = parseClusterFile(JSON.parse(readFileSync(outFile, 'utf8')));
    expect(file.k).toBe(3);
    expect(file.catalogId).toBe('synthetic');
    expect(file.space).toBe('catalog-centred');
  });
});
