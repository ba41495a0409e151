/**
 * The soak (opt-in, several minutes): 500 consecutive searches on the test
 * catalog in one page. The worker's tensor count and GPU bytes must not grow and
 * the last 100 searches must be within 1.2× of the first 100. WASM by default
 * (WebGPU on a software GPU takes seconds per photo); LOOKALIKE_SOAK_BACKEND=webgpu
 * on a machine with a real GPU. Also run by `npm run bench -- --soak`.
 *
 *   LOOKALIKE_SOAK=1 npx vitest run --project browser tests/browser/soak.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrumentContext, type BenchBackend } from '../../scripts/lib/bench-browser.ts';
import { uniformPhotos } from '../../scripts/lib/bench-photos.ts';
import { describeSoak, runSoak } from '../../scripts/lib/bench-soak.ts';
import { buildTestCatalog } from './catalog-fixture.ts';
import { DATASETS, SKIP_DATASETS, hasDatasets, startBrowserApp, type BrowserApp } from './harness.ts';

const SOAK = !!process.env.LOOKALIKE_SOAK;
const QUERIES = Number(process.env.LOOKALIKE_SOAK_QUERIES || 500);
const BACKEND = (process.env.LOOKALIKE_SOAK_BACKEND || 'wasm') as BenchBackend;
const WINDOW = Math.min(100, Math.floor(QUERIES / 2));

describe.skipIf(!SOAK)('soak: many searches in a row (LOOKALIKE_SOAK=1)', () => {
  let app: BrowserApp;
  let catalogUrl: string;

  beforeAll(async () => {
    if (!hasDatasets) return;
    catalogUrl = (await buildTestCatalog()).url;
    // The test build: the soak reads the worker's GPU bytes through its benchmark hooks.
    app = await startBrowserApp([], { testHooks: true });
    await instrumentContext(app.context);
  });
  afterAll(async () => {
    await app?.close();
  });

  it.skipIf(!SOAK || !hasDatasets)(
    `${QUERIES} searches on ${BACKEND}: tensors and GPU bytes flat, last ${WINDOW} within 1.2× of the first ${WINDOW} ${hasDatasets ? '' : `(${SKIP_DATASETS})`}`,
    async () => {
      const result = await runSoak(app.context, {
        baseUrl: app.url,
        catalogUrl,
        backend: BACKEND,
        queries: QUERIES,
        photos: await uniformPhotos(DATASETS, 20),
        log: (line) => console.log(line),
      });
      for (const line of describeSoak(result)) console.log(line);
      expect(result.pageErrors).toEqual([]);
      expect(result.tensorGrowth).toBeLessThanOrEqual(0);
      if (result.gpuBytesGrowth !== undefined) expect(result.gpuBytesGrowth).toBeLessThanOrEqual(0);
      expect(result.slowdown).toBeLessThanOrEqual(result.maxSlowdown);
    },
    3_600_000,
  );
});
