import 'fake-indexeddb/auto';
import { afterAll, describe, expect, it } from 'vitest';
import { buildClusterFile, type AnonEvent } from '../../scripts/lib/taste-clusters.ts';
import { makeSyntheticCatalog, tasteKey } from '../../scripts/lib/ranking-sim.ts';
import {
  PersonalDb,
  completeOnboarding,
  explain,
  forYou,
  goesWith,
  loadPersonalContext,
  needsOnboarding,
  onboardingCandidates,
  parseClusterFile,
  rerank,
  tasteSpaceOf,
} from '../../src/personal/index.ts';

// The flow the UI runs, end to end on a synthetic catalog: IndexedDB → profile → For-you / photo re-rank / goes-with.
const catalog = makeSyntheticCatalog({ dim: 64, perCombo: 15, seed: 4 });
const byId = new Map(catalog.items.map((it) => [it.id, it]));
let db: PersonalDb;
afterAll(() => db?.close());

describe('personal context (UI flow)', () => {
  it('onboarding → history → For-you, photo re-rank with explanations, goes-with', async () => {
    db = await PersonalDb.open({ name: `context-${Math.random().toString(36).slice(2)}` });
    expect(await needsOnboarding(db, catalog.id)).toBe(true);
    const offered = onboardingCandidates(catalog, 10);
    expect(new Set(offered.map((id) => byId.get(id)!.category)).size).toBe(10); // one per category
    const before = await loadPersonalContext(db, catalog);
    expect(before.profile.vector).toBeNull();
    expect(forYou(catalog, before.signals, { profile: before.profile, settings: before.settings, limit: 5 }).every((r) => r.source === 'default')).toBe(true);

    const navyPants = catalog.byTaste.get('pants/navy')!.map((it) => it.id);
    await completeOnboarding(db, catalog.id, [navyPants[0]!]);
    await db.addToWishlist(catalog.id, navyPants[1]!);
    await db.recordClick(catalog.id, navyPants[2]!);
    await db.dismiss(catalog.id, navyPants[3]!);

    // a cluster file where one cluster loves navy pants
    const events: AnonEvent[] = [];
    for (const [g, taste] of ['pants/navy', 'dress/red'].entries())
      for (let u = 0; u < 10; u++)
        for (const it of catalog.byTaste.get(taste)!.slice(5, 8)) events.push({ user: `u${g}-${u}`, itemId: it.id, kind: 'wishlist' });
    const clusters = parseClusterFile(JSON.parse(JSON.stringify(buildClusterFile(events, catalog.embedding, { space: tasteSpaceOf(catalog), kMax: 3 }))));

    const ctx = await loadPersonalContext(db, catalog, clusters);
    expect(ctx.profile.vector).not.toBeNull();
    expect(ctx.cluster).not.toBeNull();
    expect([...ctx.cluster!.favourites.keys()].slice(0, 3).every((id) => tasteKey(byId.get(id)!) === 'pants/navy')).toBe(true);
    const list = forYou(catalog, ctx.signals, { profile: ctx.profile, settings: ctx.settings, limit: 10, clusterFavourites: ctx.cluster!.favourites });
    const ids = list.map((r) => r.id);
    expect(ids.filter((id) => tasteKey(byId.get(id)!) === 'pants/navy').length).toBeGreaterThanOrEqual(5); // of 80 tastes; 12 navy pants left
    for (const gone of [navyPants[0], navyPants[1], navyPants[3]]) expect(ids).not.toContain(gone); // picked, wishlisted, dismissed

    // a photo search: the search gives visual scores, the page re-ranks and explains
    const candidates = catalog.items.slice(0, 50).map((it, i) => ({ id: it.id, visual: 0.9 - i * 0.002 }));
    const ranked = rerank(candidates, { catalog, profile: ctx.profile, settings: ctx.settings });
    expect(explain(ranked[0]!)).toMatch(/^Similar look · (matches|less like) your taste$/);

    const groups = goesWith(catalog, navyPants[1]!, { profile: ctx.profile, perCategory: 3 });
    expect(groups.map((g) => g.category)).toEqual(['shirt', 'tshirt', 'longsleeve', 'shoes', 'outerwear']);
    expect(groups.every((g) => g.items.length === 3)).toBe(true);
  });
});
