/**
 * The soak: many consecutive searches in one page on the test catalog, through
 * the UI (photo chosen → search → results on screen; the app then runs object
 * detection on the photo, which is waited for but not timed). Checks that the
 * worker's tfjs tensors and GPU bytes do not grow and that the last queries are
 * as fast as the first. Shared by tests/browser/soak.test.ts and `npm run bench -- --soak`.
 */
import type { BrowserContext } from 'playwright-core';
import type { BenchMemory } from '../../workers/bench-api.ts';
import { backendParams, median, round, runQueries, waitLoaded, workerMemory, type BenchBackend } from './bench-browser.ts';

export interface SoakOptions {
  baseUrl: string;
  catalogUrl: string;
  backend: BenchBackend;
  /** Consecutive searches (default 500). */
  queries?: number;
  /** Photos used in turn; all the same pixel size, so memory can be compared exactly. */
  photos: string[];
  /** Queries compared at each end (default 100). */
  window?: number;
  /** Memory sampled every this many queries (default 50). */
  sampleEvery?: number;
  /** Allowed ratio of the last window's median to the first's (default 1.2). */
  maxSlowdown?: number;
  readyTimeoutMs?: number;
  queryTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface SoakSample extends BenchMemory {
  /** Queries done when sampled. */
  query: number;
}

export interface SoakResult {
  backend: string;
  catalog: string;
  catalogItems?: number;
  queries: number;
  distinctPhotos: number;
  window: number;
  firstMedianMs: number;
  lastMedianMs: number;
  /** lastMedianMs / firstMedianMs (must be ≤ maxSlowdown). */
  slowdown: number;
  maxSlowdown: number;
  /** Memory after one full cycle of the photos and at the end (the same photo is current at both). */
  baseline: SoakSample;
  final: SoakSample;
  tensorGrowth: number;
  bytesGrowth: number;
  gpuBytesGrowth?: number;
  samples: SoakSample[];
  checks: { tensorsDoNotGrow: boolean; gpuBytesDoNotGrow: boolean | 'not applicable'; lastWithinSlowdown: boolean };
  pass: boolean;
  /** Worker embed and search medians over all queries, from the status line. */
  embedMedianMs?: number;
  searchMedianMs?: number;
  allMs: number[];
  wallMs: number;
  pageErrors: string[];
}

export async function runSoak(context: BrowserContext, options: SoakOptions): Promise<SoakResult> {
  const total = options.queries ?? 500;
  const window = Math.min(options.window ?? 100, Math.floor(total / 2));
  const every = options.sampleEvery ?? 50;
  const maxSlowdown = options.maxSlowdown ?? 1.2;
  const log = options.log ?? (() => undefined);
  const photos = options.photos;
  if (photos.length === 0) throw new Error('the soak needs photos');
  const started = performance.now();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    await page.goto(`${options.baseUrl}?${backendParams(options.backend)}&catalog=${encodeURIComponent(options.catalogUrl)}`);
    const loaded = await waitLoaded(page, options.readyTimeoutMs ?? 300_000);
    if (!loaded.ok) throw new Error(`the app did not start on ${options.backend}: ${loaded.error}`);
    await page.waitForFunction(() => /\d items\./.test(document.querySelector('[data-testid="status"]')?.textContent ?? ''), undefined, {
      timeout: options.readyTimeoutMs ?? 300_000,
    });
    const catalogItems = Number((await page.getByTestId('status').textContent())?.match(/([\d,]+) items\./)?.[1]?.replace(/,/g, '') ?? NaN);
    log(`soak: ${total} searches on ${loaded.backend} (${loaded.detail}), catalog of ${catalogItems} items, ${photos.length} photos in turn`);

    const times: number[] = [];
    const embeds: number[] = [];
    const searches: number[] = [];
    const samples: SoakSample[] = [];
    // The same photo is current after query `cycle` and after the last query: compare memory there.
    // The first such point after at least 10 queries (the detector loaded, pools settled).
    let baselineAt = ((total - 1) % photos.length) + 1;
    while (baselineAt < 10 && baselineAt + photos.length < total) baselineAt += photos.length;
    let baseline: SoakSample | undefined;
    for (let i = 0; i < total; i++) {
      const [t] = await runQueries(page, [photos[i % photos.length]!], { timeout: options.queryTimeoutMs ?? 180_000, catalog: true });
      times.push(t!.totalMs);
      if (t!.embedMs !== undefined) embeds.push(t!.embedMs);
      if (t!.searchMs !== undefined) searches.push(t!.searchMs);
      const done = i + 1;
      if (done === baselineAt || done % every === 0 || done === total) {
        const sample = { query: done, ...(await workerMemory(page)) };
        samples.push(sample);
        if (done === baselineAt) baseline = sample;
        if (done % every === 0)
          log(
            `soak: ${done}/${total}, median of the last ${every} ${round(median(times.slice(-every)))} ms, ${sample.numTensors} tensors, ${(sample.numBytes / 1e6).toFixed(1)} MB${sample.gpuBytesAllocated !== undefined ? `, GPU ${(sample.gpuBytesAllocated / 1e6).toFixed(1)} MB` : ''}`,
          );
      }
    }
    const final = samples[samples.length - 1]!;
    baseline ??= samples[0]!;
    const firstMedianMs = median(times.slice(0, window));
    const lastMedianMs = median(times.slice(-window));
    const gpuBytesGrowth =
      final.gpuBytesAllocated !== undefined && baseline.gpuBytesAllocated !== undefined ? final.gpuBytesAllocated - baseline.gpuBytesAllocated : undefined;
    const checks: SoakResult['checks'] = {
      tensorsDoNotGrow: final.numTensors <= baseline.numTensors,
      gpuBytesDoNotGrow: gpuBytesGrowth === undefined ? 'not applicable' : gpuBytesGrowth <= 0,
      lastWithinSlowdown: lastMedianMs <= maxSlowdown * firstMedianMs,
    };
    return {
      backend: loaded.backend,
      catalog: options.catalogUrl,
      ...(Number.isFinite(catalogItems) ? { catalogItems } : {}),
      queries: total,
      distinctPhotos: photos.length,
      window,
      firstMedianMs: round(firstMedianMs),
      lastMedianMs: round(lastMedianMs),
      slowdown: round(lastMedianMs / firstMedianMs, 3),
      maxSlowdown,
      baseline,
      final,
      tensorGrowth: final.numTensors - baseline.numTensors,
      bytesGrowth: final.numBytes - baseline.numBytes,
      ...(gpuBytesGrowth !== undefined ? { gpuBytesGrowth } : {}),
      samples,
      checks,
      pass: checks.tensorsDoNotGrow && checks.gpuBytesDoNotGrow !== false && checks.lastWithinSlowdown,
      ...(embeds.length ? { embedMedianMs: round(median(embeds)) } : {}),
      ...(searches.length ? { searchMedianMs: round(median(searches)) } : {}),
      allMs: times.map((t) => round(t)),
      wallMs: round(performance.now() - started, 0),
      pageErrors,
    };
  } finally {
    await page.close().catch(() => undefined);
  }
}

/** One line per figure, for logs and the test output. */
export function describeSoak(r: SoakResult): string[] {
  const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
  return [
    `soak on ${r.backend}: ${r.queries} searches, ${r.distinctPhotos} photos in turn, catalog ${r.catalog}${r.catalogItems ? ` (${r.catalogItems} items)` : ''}, ${(r.wallMs / 1000).toFixed(0)} s`,
    `  query time (photo chosen → results on screen): first ${r.window} median ${r.firstMedianMs} ms, last ${r.window} median ${r.lastMedianMs} ms → ${r.slowdown}× (limit ${r.maxSlowdown}×) ${r.checks.lastWithinSlowdown ? 'ok' : 'FAIL'}`,
    `  tensors: ${r.baseline.numTensors} after ${r.baseline.query} queries → ${r.final.numTensors} after ${r.final.query} (${r.tensorGrowth >= 0 ? '+' : ''}${r.tensorGrowth}) ${r.checks.tensorsDoNotGrow ? 'ok' : 'FAIL'}; bytes ${mb(r.baseline.numBytes)} → ${mb(r.final.numBytes)}`,
    r.gpuBytesGrowth !== undefined
      ? `  GPU bytes allocated: ${mb(r.baseline.gpuBytesAllocated!)} → ${mb(r.final.gpuBytesAllocated!)} (${r.gpuBytesGrowth >= 0 ? '+' : ''}${r.gpuBytesGrowth}) ${r.checks.gpuBytesDoNotGrow ? 'ok' : 'FAIL'}`
      : `  GPU bytes: not applicable on ${r.backend}`,
    `  worker: embed median ${r.embedMedianMs ?? '?'} ms, search median ${r.searchMedianMs ?? '?'} ms${r.pageErrors.length ? `; page errors: ${r.pageErrors.join(' | ')}` : ''}`,
  ];
}
