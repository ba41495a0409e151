/**
 * Model and app timings in real Chromium against the built app (dist/), one
 * page per backend (`?backend=`): load with the Service Worker and HTTP caches
 * warm (download excluded), warm-up, raw model latency (the worker's
 * `benchPredict`, workers/bench-api.ts) and the app's whole query (file chosen →
 * decode → transfer → setPhoto → search → results on screen), timed inside the
 * page by an init script that watches the UI.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { BenchMemory, BenchPredictResult } from '../../workers/bench-api.ts';
import type { PhotoSet } from './bench-photos.ts';

/** `wasm-threaded`: wasm with `?threads=on`, tfjs's threaded build even where the app would not choose it (2 cores). */
export type BenchBackend = 'webgpu' | 'webgl' | 'wasm' | 'wasm-threaded';

/** The app's URL parameters for a benchmarked variant: `backend=…` (and `threads=on` for wasm-threaded). */
export const backendParams = (b: BenchBackend) => (b === 'wasm-threaded' ? 'backend=wasm&threads=on' : `backend=${b}`);

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const round = (x: number, digits = 1): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

// ------------------------------------------------------------------ in-page probe

interface ProbeQuery {
  /** `change` of the photo input (the file is chosen; Playwright's file transfer is before this). */
  start: number;
  /** The DOM shows "Looked at …" and the results (same Preact commit). */
  commit: number;
  /** The next animation frame after that commit: results painted. */
  frame: number;
  status: string;
  /** "How it ran": the models' time on the photo, and the search's. */
  embed: string;
  search: string;
}

interface Probe {
  marks: { text: string; t: number }[];
  queries: ProbeQuery[];
}

/**
 * Installed with addInitScript in every page: records when each status text and each
 * model-load phase (the progress bar's data-phase) first appears, and times each photo query. Plain JavaScript in
 * a string: functions compiled by tsx carry `__name` helpers the page does not have.
 */
const PROBE_SCRIPT = `(() => {
  if (window.__lookalikeBench) return;
  const probe = { marks: [], queries: [], pending: undefined, last: '', seen: new Set() };
  window.__lookalikeBench = probe;
  document.addEventListener('change', (event) => {
    const target = event.target;
    if (target && target.getAttribute && target.getAttribute('data-testid') === 'photo-input') probe.pending = performance.now();
  }, true);
  new MutationObserver(() => {
    const now = performance.now();
    const statusEl = document.querySelector('[data-testid="status"]');
    const progressEl = document.querySelector('.progress[data-phase]');
    const status = statusEl ? statusEl.textContent : '';
    const phase = progressEl ? progressEl.getAttribute('data-phase') : '';
    for (const text of ['status:' + status, 'phase:' + phase]) {
      if (!probe.seen.has(text)) { probe.seen.add(text); probe.marks.push({ text, t: now }); }
    }
    if (status === probe.last) return;
    probe.last = status;
    if (probe.pending !== undefined && /^Looked at .* in /.test(status)) {
      // The worker's own figures, from "How it ran" beside the results (same Preact commit as the status).
      const figure = (id) => (document.querySelector('[data-testid="' + id + '"]') || {}).textContent || '';
      const q = { start: probe.pending, commit: now, frame: NaN, status, embed: figure('embed-ms'), search: figure('search-ms') };
      probe.pending = undefined;
      probe.queries.push(q);
      requestAnimationFrame(() => { q.frame = performance.now(); });
      // A hidden page gets no frames: fall back to the commit time.
      setTimeout(() => { if (Number.isNaN(q.frame)) q.frame = q.commit; }, 1000);
    }
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-phase'] });
})();`;

export async function instrumentContext(context: BrowserContext): Promise<void> {
  await context.addInitScript({ content: PROBE_SCRIPT });
}

async function probe(page: Page): Promise<Probe> {
  return page.evaluate(() => {
    const p = (window as unknown as { __lookalikeBench: Probe }).__lookalikeBench;
    return { marks: p.marks, queries: p.queries };
  });
}

// ------------------------------------------------------------------ page helpers

/** Waits until the models are ready, or the status line shows the load failed. */
export async function waitLoaded(page: Page, timeout: number): Promise<{ ok: true; backend: string; detail: string } | { ok: false; error: string }> {
  try {
    await page.waitForFunction(
      () => {
        const el = document.querySelector('[data-testid="status"]');
        return /ready on/i.test(el?.textContent ?? '') || !!el?.classList.contains('error');
      },
      undefined,
      { timeout },
    );
  } catch {
    return {
      ok: false,
      error: `not ready within ${timeout / 1000} s: "${
        (await page
          .getByTestId('status')
          .textContent()
          .catch(() => '')) ?? ''
      }"`,
    };
  }
  const status = page.getByTestId('status');
  if (await status.evaluate((el) => el.classList.contains('error'))) return { ok: false, error: ((await status.textContent()) ?? '').trim() };
  const backend = ((await page.getByTestId('backend').textContent()) ?? '').trim();
  // The badge's tooltip: the backend's description first (then, when measured, the timings behind the choice).
  const detail = ((await page.getByTestId('backend-badge').getAttribute('title')) ?? '').split('\n')[0]!;
  return { ok: true, backend, detail };
}

/** Waits until the catalog named in ?catalog= is open (status "… N items."). */
async function waitCatalog(page: Page, timeout: number): Promise<void> {
  await page.waitForFunction(() => /\d items\./.test(document.querySelector('[data-testid="status"]')?.textContent ?? ''), undefined, { timeout });
}

type BenchMethod = 'benchPredict' | 'benchMemory';
type BenchArg = number | boolean | null;

/**
 * Calls a benchmark method of the worker (workers/bench-api.ts) through its
 * `self.lookalikeBench`. Returns undefined when the worker has none (a production build).
 */
async function callBench<T>(page: Page, method: BenchMethod, args: BenchArg[]): Promise<T | undefined> {
  const worker = page.workers().find((w) => w.url().includes('inference.worker'));
  if (worker) {
    const viaWorker = await worker.evaluate(
      async ([name, list]) => {
        const bench = (globalThis as { lookalikeBench?: Record<string, (...a: unknown[]) => Promise<unknown>> }).lookalikeBench;
        return bench?.[name] ? bench[name](...list.map((x) => x ?? undefined)) : null;
      },
      [method, args] as const,
    );
    if (viaWorker) return viaWorker as T;
  }
  return undefined;
}

export const NOT_WIRED =
  'the worker has no benchPredict: serve the test build (`npm run build:test`, dist-test/), which has the benchmark hooks of workers/bench-api.ts';

/** The worker's benchPredict: `n` timed `embedder.run` calls on a fixed tensor after `warmRuns` untimed ones. */
export async function benchPredict(page: Page, n: number, warmRuns = 1, size?: number, fromPhoto = false): Promise<BenchPredictResult> {
  const result = await callBench<BenchPredictResult>(page, 'benchPredict', [n, size ?? null, warmRuns, fromPhoto]);
  if (!result) throw new Error(NOT_WIRED);
  return result;
}

/** tfjs memory counters: the bench API's (GPU bytes on WebGPU too), else the page's `lookalike.memory()`. */
export async function workerMemory(page: Page): Promise<BenchMemory> {
  const viaBench = await callBench<BenchMemory>(page, 'benchMemory', []).catch(() => undefined);
  if (viaBench) return viaBench;
  const m = await page.evaluate(() =>
    (window as unknown as { lookalike: { memory(): Promise<{ numTensors: number; numBytes: number; numBytesInGPUAllocated?: number }> } }).lookalike.memory(),
  );
  return {
    backend: '?',
    numTensors: m.numTensors,
    numDataBuffers: NaN,
    numBytes: m.numBytes,
    ...(m.numBytesInGPUAllocated !== undefined ? { gpuBytesAllocated: m.numBytesInGPUAllocated } : {}),
  };
}

export interface QueryTiming {
  /** change → results painted (next frame). */
  totalMs: number;
  /** change → DOM commit of the results. */
  commitMs: number;
  /** The worker's own figures from the status line. */
  embedMs?: number;
  searchMs?: number;
  /** The raw models on this query's photo, shrunk to their input size (benchPredict fromPhoto), timed right after. */
  rawOnPhotoMs?: number;
}

function parseMs(text: string | undefined): number | undefined {
  const m = text?.match(/([\d.]+) (ms|s)/);
  return m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : undefined;
}

/**
 * Chooses each photo in turn through the photo input and times it. With a
 * catalog open the app then looks for objects in the photo (detector): that is
 * after the results are on screen, so it is waited for but not timed.
 */
export async function runQueries(page: Page, files: string[], options: { timeout: number; catalog: boolean }): Promise<QueryTiming[]> {
  const out: QueryTiming[] = [];
  for (const file of files) {
    const before = (await probe(page)).queries.length;
    await page.getByTestId('photo-input').setInputFiles(file);
    await page.waitForFunction(
      (n) => {
        const q = (window as unknown as { __lookalikeBench: Probe }).__lookalikeBench.queries;
        return q.length > n && !Number.isNaN(q[q.length - 1]!.frame);
      },
      before,
      { timeout: options.timeout, polling: 50 },
    );
    if (options.catalog) await page.waitForFunction(() => !document.querySelector('.object-chips .hint'), undefined, { timeout: options.timeout, polling: 50 });
    const q = (await probe(page)).queries[before]!;
    const embedMs = parseMs(q.embed);
    const searchMs = parseMs(q.search);
    out.push({
      totalMs: q.frame - q.start,
      commitMs: q.commit - q.start,
      ...(embedMs !== undefined ? { embedMs } : {}),
      ...(searchMs !== undefined ? { searchMs } : {}),
    });
  }
  return out;
}

/** A photo set's name in results and tables: its size, and how it was decoded when not the app's way. */
export const photoSetKey = (set: PhotoSet): string => `${set.width}×${set.height}${set.decode ? ' decoded as before #24' : ''}`;

// ------------------------------------------------------------------ per backend

export interface LoadTiming {
  /** Navigation → "Ready on …" (models loaded and warmed up), caches warm: no download. */
  toReadyMs: number;
  /** Navigation → the worker starts fetching models (page, worker boot, backend start, manifest). */
  startupMs?: number;
  /** Model files from cache → graphs built and weights on the backend (InitInfo.loadMs without download). */
  modelLoadMs?: number;
  /** The warm-up pass at the production shape (InitInfo.warmupMs). */
  warmupMs?: number;
  /** The worker's own timing of that warm-up, per member (with its head) and the step combining them (Embedder.warmupMs). */
  warmupByPartMs?: Record<string, number>;
  /** Model bytes fetched over the network during this load (the network-first manifest.json only, when the caches work). */
  modelNetworkBytes: number;
}

export interface QueryStats {
  /** e.g. 240×320 */
  photos: string;
  label: string;
  runs: number;
  /** File chosen → results painted. */
  medianMs: number;
  commitMedianMs: number;
  /** The worker's embed time for these photos (includes resizing the photo to the models' input). */
  embedMedianMs?: number;
  searchMedianMs?: number;
  /** medianMs − embed − search: decode on the page, transfers, setPhoto, rendering. */
  pageMedianMs?: number;
  /** Median over rounds of (this round's query ÷ this round's raw run): paired, so drift cancels (target ≤ 1.25). */
  ratioToRaw?: number;
  /** medianMs ÷ raw medianMs. */
  ratioOfMedians?: number;
  /** The raw models on each query's own photo (the same views open: the crop view for clothing), median. */
  rawOnPhotoMedianMs?: number;
  /** Median over queries of (query ÷ raw models on that photo): what the app adds around the models (target ≤ 1.25). */
  ratioToRawOnPhoto?: number;
  allMs: number[];
}

export interface MemoryDrift {
  /** After the warm-up round, and after the last measured round. */
  start: BenchMemory;
  end: BenchMemory;
  tensorGrowth: number;
  gpuBytesGrowth?: number;
}

export interface BackendResult {
  requested: BenchBackend;
  ok: boolean;
  error?: string;
  backend?: string;
  detail?: string;
  load?: LoadTiming;
  raw?: { medianMs: number; runs: number[]; size: number; members: string[] } | { error: string };
  app?: QueryStats[];
  memory?: MemoryDrift;
  pageErrors?: string[];
  wallMs: number;
  /** Set when this run did not measure the backend (`--backends` left it out): the date of the run whose figures these are. */
  keptFrom?: string;
}

export interface BackendOptions {
  baseUrl: string;
  /** Catalog to open; without one the app also skips object detection after each photo. */
  catalogUrl?: string;
  /** Measured rounds; each round is one raw run and one query per photo set, so drift hits all alike. */
  rounds: number;
  photoSets: PhotoSet[];
  readyTimeoutMs: number;
  queryTimeoutMs: number;
  log?: (line: string) => void;
}

function phases(marks: Probe['marks']): Omit<LoadTiming, 'modelNetworkBytes'> {
  const first = (re: RegExp) => marks.find((m) => re.test(m.text))?.t;
  const ready = first(/^status:Ready on/i);
  const download = first(/^phase:download$/);
  const warmup = first(/^phase:warmup$/);
  return {
    toReadyMs: round(ready ?? NaN, 0),
    ...(download !== undefined ? { startupMs: round(download, 0) } : {}),
    ...(download !== undefined && warmup !== undefined ? { modelLoadMs: round(warmup - download, 0) } : {}),
    ...(warmup !== undefined && ready !== undefined ? { warmupMs: round(ready - warmup, 0) } : {}),
  };
}

const errorLine = (error: unknown) => (error instanceof Error ? error.message.split('\n')[0]! : String(error));

/**
 * One backend, one page: load with the caches warm, then one unmeasured round
 * (raw run + a query per photo set), then `rounds` measured rounds interleaving
 * a raw model run with the app's queries.
 */
export async function measureBackend(context: BrowserContext, backend: BenchBackend, options: BackendOptions): Promise<BackendResult> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const page = await context.newPage();
  const errors: string[] = [];
  let modelNetworkBytes = 0;
  page.on('pageerror', (e) => errors.push(e.message));
  // Model bytes that came over the network: requests the Service Worker did not answer (or made itself).
  const onFinished = async (request: import('playwright-core').Request) => {
    if (!/\/models\/.*\.(bin|json)/.test(request.url())) return;
    const response = await request.response().catch(() => null);
    if (response?.fromServiceWorker() && !request.serviceWorker()) return;
    const sizes = await request.sizes().catch(() => undefined);
    modelNetworkBytes += sizes?.responseBodySize ?? 0;
  };
  context.on('requestfinished', onFinished);
  const result: BackendResult = { requested: backend, ok: false, wallMs: 0 };
  try {
    const url = `${options.baseUrl}?${backendParams(backend)}&catalog=${options.catalogUrl ? encodeURIComponent(options.catalogUrl) : 'none'}`;
    await page.goto(url);
    const loaded = await waitLoaded(page, options.readyTimeoutMs);
    if (!loaded.ok) {
      result.error = loaded.error;
      log(`  ${backend}: did not start: ${loaded.error}`);
      return result;
    }
    result.ok = true;
    result.backend = loaded.backend;
    result.detail = loaded.detail;
    result.load = { ...phases((await probe(page)).marks), modelNetworkBytes };
    log(`  ${backend}: ready in ${result.load.toReadyMs} ms (warm-up ${result.load.warmupMs ?? '?'} ms) on ${loaded.detail}`);
    if (options.catalogUrl) await waitCatalog(page, options.readyTimeoutMs);
    const catalog = !!options.catalogUrl;

    let rawError: string | undefined;
    let rawInfo: BenchPredictResult | undefined;
    const raw = async (warmRuns: number) => {
      if (rawError) return;
      try {
        const r = await benchPredict(page, 1, warmRuns);
        rawInfo ??= r;
        return r.runs[0];
      } catch (error) {
        rawError = errorLine(error);
        log(`  ${backend}: raw models not measured: ${rawError}`);
        return undefined;
      }
    };
    const decodeAsBefore = (on: boolean) =>
      page.evaluate(
        (on) => (window as unknown as { lookalike: { debug: { scaledJpegDecoding(e: boolean): void } } }).lookalike.debug.scaledJpegDecoding(!on),
        on,
      );
    const query = async (set: PhotoSet, i: number) => {
      if (set.decode) await decodeAsBefore(true);
      let timing: QueryTiming;
      try {
        timing = (await runQueries(page, [set.files[i % set.files.length]!], { timeout: options.queryTimeoutMs, catalog }))[0]!;
      } finally {
        if (set.decode) await decodeAsBefore(false);
      }
      if (!rawError) {
        const onPhoto = await benchPredict(page, 1, 0, undefined, true).catch(() => undefined);
        if (onPhoto) timing.rawOnPhotoMs = onPhoto.runs[0];
      }
      return timing;
    };

    // Warm-up round: first raw run, first query of each set (first decode, first render of results).
    await raw(1);
    for (const set of options.photoSets) await query(set, 0);
    const memStart = await workerMemory(page);

    const rawRuns: number[] = [];
    const rawByRound: (number | undefined)[] = [];
    const timings = options.photoSets.map(() => [] as QueryTiming[]);
    for (let r = 1; r <= options.rounds; r++) {
      const ms = await raw(0);
      if (ms !== undefined) rawRuns.push(ms);
      rawByRound.push(ms);
      for (const [i, set] of options.photoSets.entries()) timings[i]!.push(await query(set, r));
      log(
        `  ${backend}: round ${r}/${options.rounds}: raw ${ms === undefined ? '–' : round(ms)} ms, app ${timings.map((t) => round(t[t.length - 1]!.totalMs)).join(' / ')} ms`,
      );
    }
    const memEnd = await workerMemory(page);
    result.memory = {
      start: memStart,
      end: memEnd,
      tensorGrowth: memEnd.numTensors - memStart.numTensors,
      ...(memStart.gpuBytesAllocated !== undefined && memEnd.gpuBytesAllocated !== undefined
        ? { gpuBytesGrowth: memEnd.gpuBytesAllocated - memStart.gpuBytesAllocated }
        : {}),
    };

    const rawMedian = median(rawRuns);
    if (rawInfo && result.load) result.load.warmupByPartMs = rawInfo.warmupMs;
    result.raw =
      rawInfo && rawRuns.length
        ? { medianMs: round(rawMedian), runs: rawRuns.map((r) => round(r)), size: rawInfo.size, members: rawInfo.members }
        : { error: rawError ?? 'no runs' };
    result.app = options.photoSets.map((set, i) => {
      const measured = timings[i]!;
      const embeds = measured.flatMap((t) => (t.embedMs !== undefined ? [t.embedMs] : []));
      const searches = measured.flatMap((t) => (t.searchMs !== undefined ? [t.searchMs] : []));
      const pages = measured.flatMap((t) => (t.embedMs !== undefined ? [t.totalMs - t.embedMs - (t.searchMs ?? 0)] : []));
      const stats: QueryStats = {
        photos: photoSetKey(set),
        label: set.label,
        runs: measured.length,
        medianMs: round(median(measured.map((t) => t.totalMs))),
        commitMedianMs: round(median(measured.map((t) => t.commitMs))),
        ...(embeds.length ? { embedMedianMs: round(median(embeds)) } : {}),
        ...(searches.length ? { searchMedianMs: round(median(searches)) } : {}),
        ...(pages.length ? { pageMedianMs: round(median(pages)) } : {}),
        ...(rawRuns.length
          ? {
              ratioToRaw: round(median(measured.flatMap((t, r) => (rawByRound[r] ? [t.totalMs / rawByRound[r]!] : []))), 2),
              ratioOfMedians: round(median(measured.map((t) => t.totalMs)) / rawMedian, 2),
            }
          : {}),
        allMs: measured.map((t) => round(t.totalMs)),
      };
      const onPhoto = measured.filter((t) => t.rawOnPhotoMs !== undefined);
      if (onPhoto.length) {
        stats.rawOnPhotoMedianMs = round(median(onPhoto.map((t) => t.rawOnPhotoMs!)));
        stats.ratioToRawOnPhoto = round(median(onPhoto.map((t) => t.totalMs / t.rawOnPhotoMs!)), 2);
      }
      log(
        `  ${backend}: app query on ${stats.photos} photos ${stats.medianMs} ms (median of ${stats.runs}; worker embed ${stats.embedMedianMs ?? '?'} ms)${stats.ratioToRaw ? `, ${stats.ratioToRaw}× raw` : ''}`,
      );
      return stats;
    });
    return result;
  } catch (error) {
    result.ok = false;
    result.error = errorLine(error);
    log(`  ${backend}: failed: ${result.error}`);
    return result;
  } finally {
    context.off('requestfinished', onFinished);
    if (errors.length) result.pageErrors = errors;
    result.wallMs = round(performance.now() - started, 0);
    await page.close().catch(() => undefined);
  }
}

/**
 * First visit on a fresh profile (everything downloaded from the local server),
 * then a reload so the Service Worker controls the page and stores the models:
 * every later page in this context loads with the caches warm.
 */
export async function primeCaches(context: BrowserContext, baseUrl: string, timeoutMs: number): Promise<{ firstVisitReadyMs: number; reloadReadyMs: number }> {
  const page = await context.newPage();
  try {
    await page.goto(`${baseUrl}?backend=wasm&catalog=none`);
    const first = await waitLoaded(page, timeoutMs);
    if (!first.ok) throw new Error(`the app did not start on wasm: ${first.error}`);
    const firstVisitReadyMs = phases((await probe(page)).marks).toReadyMs;
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await page.reload();
    const second = await waitLoaded(page, timeoutMs);
    if (!second.ok) throw new Error(`the app did not restart: ${second.error}`);
    return { firstVisitReadyMs, reloadReadyMs: phases((await probe(page)).marks).toReadyMs };
  } finally {
    await page.close();
  }
}

export interface GpuInfo {
  webgpu: { available: boolean; vendor?: string; architecture?: string; device?: string; description?: string; error?: string };
  webgl: { available: boolean; vendor?: string; renderer?: string; version?: string; error?: string };
  userAgent: string;
  hardwareConcurrency: number;
  crossOriginIsolated: boolean;
}

/** The page's view of the GPU: WebGPU adapter info and the WebGL renderer (SwiftShader here). */
export async function gpuInfo(context: BrowserContext, baseUrl: string): Promise<GpuInfo> {
  const page = await context.newPage();
  try {
    await page.goto(`${baseUrl}?backend=wasm&catalog=none`);
    return await page.evaluate(async () => {
      const info: GpuInfo = {
        webgpu: { available: false },
        webgl: { available: false },
        userAgent: navigator.userAgent,
        hardwareConcurrency: navigator.hardwareConcurrency,
        crossOriginIsolated: self.crossOriginIsolated,
      };
      try {
        const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
        const adapter = gpu ? await gpu.requestAdapter() : null;
        if (adapter) {
          const a = (adapter as GPUAdapter & { info: { vendor: string; architecture: string; device: string; description: string } }).info;
          info.webgpu = { available: true, vendor: a.vendor, architecture: a.architecture, device: a.device, description: a.description };
        } else info.webgpu.error = gpu ? 'no adapter' : 'navigator.gpu is missing';
      } catch (error) {
        info.webgpu.error = String(error);
      }
      try {
        const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
        if (gl) {
          const ext = gl.getExtension('WEBGL_debug_renderer_info');
          info.webgl = {
            available: true,
            vendor: String(gl.getParameter(ext ? ext.UNMASKED_VENDOR_WEBGL : gl.VENDOR)),
            renderer: String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER)),
            version: String(gl.getParameter(gl.VERSION)),
          };
        } else info.webgl.error = 'no webgl2 context';
      } catch (error) {
        info.webgl.error = String(error);
      }
      return info;
    });
  } finally {
    await page.close();
  }
}

// ------------------------------------------------------------------ backend choice

export interface ChoiceResult {
  /** What the app chose by itself (no ?backend=) on a fresh profile, how ("measured"), and the badge's words. */
  backend: string;
  how: string;
  reason: string;
  /** The badge's tooltip: the timings behind the choice. */
  details: string;
  /** ms the measuring took (the worker's own figure, from the tooltip). */
  choiceMs?: number;
  /** Navigation → ready on the first visit of a fresh profile: download from the local server and the measuring. */
  firstVisitReadyMs: number;
  /** Then how long the page waited for its next frame (a GPU process still busy compiling delays it). */
  firstVisitFrameMs: number;
  /** The next visit: the remembered choice, nothing measured. */
  secondVisit: { backend: string; how: string; readyMs: number; frameMs: number };
}

async function badgeOf(page: Page): Promise<{ backend: string; how: string; reason: string; details: string }> {
  const badge = page.getByTestId('backend-badge');
  const reason = (
    (await page
      .getByTestId('backend-reason')
      .textContent()
      .catch(() => '')) ?? ''
  ).replace(/^\s*·\s*/, '');
  return {
    backend: ((await page.getByTestId('backend').textContent()) ?? '').trim(),
    how: (await badge.getAttribute('data-how')) ?? '',
    reason,
    details: (await badge.getAttribute('title')) ?? '',
  };
}

/** Navigation → the app's data-phase says ready, polled on a timer (not on animation frames, which a busy GPU process delays). */
async function readyAfterNavigation(page: Page, url: string, timeout: number): Promise<{ readyMs: number; frameMs: number }> {
  const started = performance.now();
  await page.goto(url);
  await page.waitForFunction(() => /^(ready|failed)$/.test(document.querySelector('[data-testid="app"]')?.getAttribute('data-phase') ?? ''), undefined, {
    timeout,
    polling: 100,
  });
  const readyMs = round(performance.now() - started, 0);
  if ((await page.getByTestId('app').getAttribute('data-phase')) === 'failed')
    throw new Error(`the app did not start: ${await page.getByTestId('status').textContent()}`);
  const frameMs = await page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const t = performance.now();
        requestAnimationFrame(() => resolve(Math.round(performance.now() - t)));
      }),
  );
  return { readyMs, frameMs };
}

/**
 * The backend chosen by measurement (#24, workers/backend-choice.ts): a fresh profile opens the app without
 * `?backend=`, so it measures; then a second visit reuses the remembered choice.
 */
export async function measureChoice(browser: Browser, baseUrl: string, timeout: number): Promise<ChoiceResult> {
  const context = await browser.newContext();
  try {
    const url = `${baseUrl}?catalog=none`;
    const page = await context.newPage();
    const first = await readyAfterNavigation(page, url, timeout);
    const chosen = await badgeOf(page);
    const took = chosen.details.match(/choosing took ([\d.]+) s/)?.[1];
    await page.close();
    const again = await context.newPage();
    const second = await readyAfterNavigation(again, url, timeout);
    const remembered = await badgeOf(again);
    return {
      ...chosen,
      ...(took ? { choiceMs: Number(took) * 1000 } : {}),
      firstVisitReadyMs: first.readyMs,
      firstVisitFrameMs: first.frameMs,
      secondVisit: { backend: remembered.backend, how: remembered.how, readyMs: second.readyMs, frameMs: second.frameMs },
    };
  } finally {
    await context.close();
  }
}
