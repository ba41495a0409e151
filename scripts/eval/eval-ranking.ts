/**
 * Personal ranking evaluation (`npm run eval:ranking`):
 *
 *   npx tsx scripts/eval/eval-ranking.ts [--catalog <dir>] [--shoppers 200] [--seed 1] [--beta 0.25] [--no-history-weights]
 *                                   [--colour-weight 0.4] [--noise 1.0]   (synthetic catalog only)
 *
 * Simulated shoppers like one category and colour (wishlist, clicks, plus
 * noise: stray clicks, views of anything, dismissals). Reports the share of
 * their top-10 For-you in that taste with no history, after onboarding only,
 * and after their history; how taste drift is followed; and where items of
 * their taste land for a photo query before and after re-ranking. Runs on a
 * seeded synthetic catalog (10 categories × 8 colours × 20 items, dim 256;
 * embedding = normalise(category centre + 0.4·colour centre + noise of norm 1))
 * unless --catalog is given. Last line: `for-you@10 before=0.xx after=0.xx`.
 */
import { parseArgs } from 'node:util';
import { loadCatalogDir, makeSyntheticCatalog, runRankingEval } from '../lib/ranking-sim.ts';
import type { RankingSettingsPatch } from '../../src/personal/settings.ts';
import { DEFAULT_CATEGORY_PRIOR } from '../../workers/search/category-prior.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      catalog: { type: 'string' },
      shoppers: { type: 'string', default: '200' },
      seed: { type: 'string', default: '1' },
      beta: { type: 'string' },
      'no-history-weights': { type: 'boolean', default: false },
      'colour-weight': { type: 'string', default: '0.4' },
      noise: { type: 'string', default: '1.0' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      'usage: npx tsx scripts/eval/eval-ranking.ts [--catalog <dir>] [--shoppers N] [--seed N] [--beta B] [--no-history-weights] [--colour-weight W] [--noise N]',
    );
    return;
  }
  const catalog = values.catalog
    ? await loadCatalogDir(values.catalog)
    : makeSyntheticCatalog({ colourWeight: Number(values['colour-weight']), noise: Number(values.noise) });
  const settings: RankingSettingsPatch = {};
  if (values.beta !== undefined) settings.beta = Number(values.beta);
  if (values['no-history-weights']) {
    settings.weights = { wishlist: 0, preference: 0, click: 0, view: 0, dismiss: 0 };
    settings.beta = 0;
  }
  const t0 = performance.now();
  const r = runRankingEval({ catalog, shoppers: Number(values.shoppers), seed: Number(values.seed), settings });
  const f = (x: number) => x.toFixed(2);
  const kind = values.catalog ?? `synthetic, colour weight ${values['colour-weight']}, noise ${values.noise}`;
  console.log(`catalog: ${kind} (${r.catalogSize} items, dim ${r.dim}); ${r.shoppers} simulated shoppers`);
  console.log(
    `settings: weights ${JSON.stringify(r.settings.weights)}, half-life ${r.settings.halfLifeDays} d, β ${r.settings.beta}, category prior ${DEFAULT_CATEGORY_PRIOR} (the search's)`,
  );
  console.log('');
  console.log('For-you top-10 in the shopper’s taste (category and colour):');
  console.log(`  no history (default list)   ${f(r.forYou.before)}`);
  console.log(`  onboarding picks only       ${f(r.forYou.onboardingOnly)}`);
  console.log(`  after history               ${f(r.forYou.after)}`);
  console.log(`Taste drift (old taste 60–90 days ago, new one this week): new taste ${f(r.drift.newTaste)}, old taste ${f(r.drift.oldTaste)}`);
  console.log(`Photo of their category in another colour (${r.photo.candidates} visual candidates, ${r.photo.counted} shoppers counted):`);
  console.log(`  mean rank of their-taste items   before ${r.photo.meanRankBefore.toFixed(1)}   after ${r.photo.meanRankAfter.toFixed(1)}`);
  console.log(`  their taste in the top-10        before ${f(r.photo.top10Before)}   after ${f(r.photo.top10After)}`);
  console.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  console.log(`for-you@10 before=${f(r.forYou.before)} after=${f(r.forYou.after)}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
