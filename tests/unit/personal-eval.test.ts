import { describe, expect, it } from 'vitest';
import { makeSyntheticCatalog, runRankingEval } from '../../scripts/lib/ranking-sim.ts';

// Direction only, with margins a broken ranker fails (the figures themselves: npm run eval:ranking).
const catalog = makeSyntheticCatalog();
const IGNORE_HISTORY = { weights: { wishlist: 0, preference: 0, click: 0, view: 0, dismiss: 0 }, beta: 0 };

describe('ranking evaluation (simulated shoppers)', () => {
  it('history moves For-you to the shopper’s taste, and re-ranking moves their taste up a photo search', () => {
    const r = runRankingEval({ catalog, shoppers: 40, seed: 2 });
    expect(r.forYou.after - r.forYou.before).toBeGreaterThanOrEqual(0.3);
    expect(r.forYou.after).toBeGreaterThanOrEqual(0.7);
    expect(r.forYou.onboardingOnly - r.forYou.before).toBeGreaterThanOrEqual(0.3);
    expect(r.drift.newTaste - r.drift.oldTaste).toBeGreaterThanOrEqual(0.3);
    expect(r.photo.counted).toBeGreaterThan(30);
    expect(r.photo.meanRankBefore - r.photo.meanRankAfter).toBeGreaterThanOrEqual(10);
  });

  it('a ranker that ignores history (taste weight 0) fails those checks', () => {
    const r = runRankingEval({ catalog, shoppers: 40, seed: 2, settings: IGNORE_HISTORY });
    expect(r.forYou.after - r.forYou.before).toBeLessThan(0.3);
    expect(r.photo.meanRankBefore - r.photo.meanRankAfter).toBeLessThan(10);
  });

  it('β = 0 alone leaves the photo ranking where the photo put it', () => {
    const r = runRankingEval({ catalog, shoppers: 20, seed: 2, settings: { beta: 0 } });
    expect(Math.abs(r.photo.meanRankBefore - r.photo.meanRankAfter)).toBeLessThan(3);
    expect(r.forYou.after - r.forYou.before).toBeGreaterThanOrEqual(0.3); // For-you still personalised
  });
});
