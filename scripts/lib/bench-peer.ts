/**
 * The peer-engine benchmark (#24.5, `npm run bench -- --only peer`): the app's tfjs path for one ensemble member
 * (MobileNetV3-S) against onnxruntime-web — the engine under Transformers.js — running the same network exported
 * to ONNX (scripts/lib/peer-onnx.ts), in one Chromium page, on the same input, round by round.
 *
 * Ours runs in the app's inference worker (test build: workers/bench-member.ts loads a fresh copy with the
 * app's loader). Theirs runs on the same page's main thread: onnxruntime-web's ESM build and its .wasm are
 * served from node_modules by Playwright routes under /__peer/ (never from a CDN), so the app's bundles never
 * contain it. The page is not cross-origin isolated, so both engines run one wasm thread (SIMD).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { Browser, Page, Worker } from 'playwright-core';
import type { MemberOpenResult, MemberRunResult } from '../../workers/bench-member.ts';
import { PEER_VARIANTS, type PeerVariant } from '../../workers/bench-variants.ts';
import { cosine } from '../../src/shared/vector.ts';
import { median, round, waitLoaded } from './bench-browser.ts';

export type PeerBackend = 'wasm' | 'webgpu';

export interface EngineResult {
  engine: string;
  version: string;
  /** What the engine reports it ran on (tfjs backend, onnxruntime execution provider). */
  backend: string;
  /** wasm threads: 1 unless the page is cross-origin isolated (then each engine picks its own number). */
  threads: number | 'default';
  /** Weights in memory → ready to run (tfjs: loadBackbone; onnxruntime: InferenceSession.create on the bytes). */
  loadMs: number;
  /** onnxruntime only: its first session also starts its wasm runtime (the app's tfjs backend was already started). */
  runtimeStartMs?: number;
  /** The first pass after the load. */
  warmupMs: number;
  medianMs: number;
  /** The fastest round: the least disturbed by whatever else the machine runs. */
  minMs: number;
  runs: number[];
}

export interface PeerBackendResult {
  backend: PeerBackend;
  /** Why it was not measured (e.g. a software GPU). */
  skipped?: string;
  /** Said of figures measured on a software GPU anyway (`--peer-software-gpu`). */
  note?: string;
  error?: string;
  rounds?: number;
  ours?: EngineResult;
  theirs?: EngineResult;
  /** ours median ÷ theirs median (goal ≤ 1.0). */
  ratio?: number;
  /** Median over rounds of that round's ours ÷ theirs (the two run back to back, so drift cancels). */
  pairedRatio?: number;
  crossOriginIsolated?: boolean;
  /** Cosine of the two engines' features for the input, measured in the page (the same network: ≈ 1). */
  featureCosine?: number;
  /** Where the time goes: the same comparison on variants with one kind of layer swapped out (workers/bench-variants.ts). */
  breakdown?: VariantTiming[];
}

export interface VariantTiming {
  variant: PeerVariant;
  rounds: number;
  oursMedianMs: number;
  theirsMedianMs: number;
  /** Median over rounds of (shipped − this variant) in that round: what the swapped-out layers cost each engine. */
  oursCostMs?: number;
  theirsCostMs?: number;
}

export interface PeerSection {
  date: string;
  model: string;
  inputSize: number;
  onnxBytes: number;
  crossOriginIsolated: boolean;
  backends: PeerBackendResult[];
}

const require = createRequire(import.meta.url);
const ORT_DIST = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
const TFJS_VERSION = (JSON.parse(readFileSync(require.resolve('@tensorflow/tfjs/package.json'), 'utf8')) as { version: string }).version;

/** onnxruntime-web's build per backend: the wasm-only one, or the one with the native WebGPU execution provider (its asyncify wasm). */
const ORT_BUILDS: Record<PeerBackend, { script: string; files: string[] }> = {
  wasm: { script: 'ort.wasm.min.mjs', files: ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'] },
  webgpu: { script: 'ort.webgpu.min.mjs', files: ['ort.webgpu.min.mjs', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'] },
};
const PEER_PATH = '__peer/';
const modelFile = (variant: PeerVariant) => (variant === 'shipped' ? 'model.onnx' : `model.${variant}.onnx`);

const contentType = (file: string) => (file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('.mjs') ? 'text/javascript' : 'application/octet-stream');

const errorLine = (error: unknown) => (error instanceof Error ? error.message.split('\n')[0]! : String(error));

/** The app's inference worker's benchmark hooks (workers/bench-api.ts). */
async function callWorker<T>(worker: Worker, method: string, args: unknown[]): Promise<T> {
  return (await worker.evaluate(
    async ([name, list]) => {
      const bench = (globalThis as { lookalikeBench?: Record<string, (...a: unknown[]) => Promise<unknown>> }).lookalikeBench;
      if (!bench?.[name]) throw new Error(`the worker has no ${name}: serve the test build (npm run build:test)`);
      return bench[name](...list);
    },
    [method, args] as const,
  )) as T;
}

interface TheirsOpen {
  version: string;
  runtimeStartMs: number;
  loadMs: number;
  warmupMs: number;
  features: number[];
  threads: number;
  crossOriginIsolated: boolean;
}

/** What the page keeps of onnxruntime-web between calls: a session per variant, with its input. */
type PeerPageState = {
  __peer?: Record<string, { session: import('onnxruntime-web').InferenceSession; feeds: Record<string, import('onnxruntime-web').Tensor>; outputName: string }>;
};

/**
 * Loads onnxruntime-web in the page and the variant's model into a session of its own: on the page's first call it
 * first starts the runtime (a first session, released), then times a second session's load and first run.
 */
async function openTheirs(page: Page, backend: PeerBackend, variant: PeerVariant, open: MemberOpenResult): Promise<TheirsOpen> {
  return page.evaluate(
    async ({ base, script, backend, variant, file, input, shape }) => {
      const ort = (await import(`${base}${script}`)) as typeof import('onnxruntime-web');
      const state = globalThis as PeerPageState;
      await state.__peer?.[variant]?.session.release();
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.wasmPaths = base;
      const bytes = new Uint8Array(await (await fetch(`${base}${file}`)).arrayBuffer());
      const options = { executionProviders: [backend], graphOptimizationLevel: 'all' as const };
      let t = performance.now();
      let runtimeStartMs = 0;
      if (!state.__peer) {
        state.__peer = {};
        const first = await ort.InferenceSession.create(bytes, options);
        runtimeStartMs = performance.now() - t;
        await first.release();
      }
      t = performance.now();
      const session = await ort.InferenceSession.create(bytes, options);
      const loadMs = performance.now() - t;
      // The same values, NHWC → NCHW.
      const [, h, w, c] = shape as [number, number, number, number];
      const nchw = new Float32Array(input.length);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) nchw[(k * h + y) * w + x] = input[(y * w + x) * c + k]!;
      const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', nchw, [1, c, h, w]) };
      t = performance.now();
      const out = await session.run(feeds);
      const warmupMs = performance.now() - t;
      const features = Array.from(out[session.outputNames[0]!]!.data as Float32Array);
      state.__peer[variant] = { session, feeds, outputName: session.outputNames[0]! };
      return {
        version: ort.env.versions.web ?? '?',
        runtimeStartMs,
        loadMs,
        warmupMs,
        features,
        threads: ort.env.wasm.numThreads ?? 1,
        crossOriginIsolated: self.crossOriginIsolated,
      };
    },
    { base: `/${PEER_PATH}`, script: ORT_BUILDS[backend].script, backend, variant, file: modelFile(variant), input: open.input, shape: open.inputShape },
  );
}

/** One timed `run` of the variant's session, its output read. */
async function runTheirs(page: Page, variant: PeerVariant): Promise<number> {
  return page.evaluate(async (variant) => {
    const peer = (globalThis as PeerPageState).__peer?.[variant];
    if (!peer) throw new Error(`no onnxruntime-web session for "${variant}"`);
    const t = performance.now();
    const out = await peer.session.run(peer.feeds);
    const data = out[peer.outputName]!.data as Float32Array;
    const ms = performance.now() - t;
    if (!data.length) throw new Error('onnxruntime-web returned no features');
    return ms;
  }, variant);
}

export interface PeerOptions {
  baseUrl: string;
  /** The exported ONNX model of each variant (scripts/lib/peer-onnx.ts: ensurePeerOnnx). */
  onnxPaths: Record<PeerVariant, string>;
  modelId: string;
  backends: PeerBackend[];
  /** Rounds: each runs the shipped network (and each breakdown variant) once in each engine. */
  rounds: number;
  /** Also time the breakdown's variants (workers/bench-variants.ts) in the same rounds. */
  breakdown: boolean;
  /** Set when the WebGPU adapter is a software one (SwiftShader): WebGPU is then recorded as not measured… */
  softwareGpu: boolean;
  /** …unless this is set (to check the WebGPU path itself: the figures then say little). */
  measureSoftwareGpu?: boolean;
  readyTimeoutMs: number;
  log?: (line: string) => void;
}

interface Opened {
  ours: MemberOpenResult;
  theirs: TheirsOpen;
}

/** A variant in both engines: fresh loads, first passes timed. */
async function openBoth(page: Page, worker: Worker, backend: PeerBackend, modelId: string, variant: PeerVariant, log: (line: string) => void): Promise<Opened> {
  const tag = `  peer ${backend}${variant === 'shipped' ? '' : ` (${variant})`}`;
  const ours = await callWorker<MemberOpenResult>(worker, 'benchMemberOpen', [modelId, variant]);
  log(`${tag}: tfjs ${ours.backend}: load ${round(ours.loadMs)} ms, warm-up ${round(ours.warmupMs)} ms`);
  const theirs = await openTheirs(page, backend, variant, ours);
  log(
    `${tag}: onnxruntime-web ${theirs.version}:${theirs.runtimeStartMs ? ` runtime start ${round(theirs.runtimeStartMs)} ms,` : ''} load ${round(theirs.loadMs)} ms, warm-up ${round(theirs.warmupMs)} ms`,
  );
  return { ours, theirs };
}

async function measureOne(browser: Browser, backend: PeerBackend, options: PeerOptions): Promise<PeerBackendResult> {
  const log = options.log ?? (() => undefined);
  // No Service Worker: Playwright's routes (onnxruntime-web's files) must see every request.
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const files = new Map<string, string>(ORT_BUILDS[backend].files.map((f) => [f, join(ORT_DIST, f)]));
  for (const [variant, path] of Object.entries(options.onnxPaths)) files.set(modelFile(variant as PeerVariant), path);
  await context.route(`${options.baseUrl}${PEER_PATH}**`, async (route) => {
    const file = files.get(basename(new URL(route.request().url()).pathname));
    if (!file) return route.fulfill({ status: 404, body: 'not a peer benchmark file' });
    return route.fulfill({ status: 200, body: readFileSync(file), headers: { 'content-type': contentType(file) } });
  });
  const result: PeerBackendResult = { backend, rounds: options.rounds };
  try {
    const page = await context.newPage();
    await page.goto(`${options.baseUrl}?backend=${backend}&catalog=none`);
    const loaded = await waitLoaded(page, options.readyTimeoutMs);
    if (!loaded.ok) throw new Error(`the app did not start on ${backend}: ${loaded.error}`);
    const worker = page.workers().find((w) => w.url().includes('inference.worker'));
    if (!worker) throw new Error('the app has no inference worker');

    // The shipped network first (its load and warm-up are the ones reported), then the breakdown's variants.
    const variants = options.breakdown ? (Object.keys(PEER_VARIANTS) as PeerVariant[]) : (['shipped'] as const);
    const opened = new Map<PeerVariant, Opened>();
    for (const variant of variants) opened.set(variant, await openBoth(page, worker, backend, options.modelId, variant, log));
    const { ours, theirs } = opened.get('shipped')!;
    result.crossOriginIsolated = theirs.crossOriginIsolated;
    result.featureCosine = Number(cosine(Float32Array.from(ours.features), Float32Array.from(theirs.features)).toFixed(6));

    // Round by round: every variant once in each engine, the order turning each round, so drift hits all alike.
    const runs = new Map<PeerVariant, { ours: number[]; theirs: number[] }>(variants.map((v) => [v, { ours: [], theirs: [] }]));
    for (let r = 0; r < options.rounds; r++) {
      for (let i = 0; i < variants.length; i++) {
        const variant = variants[(r + i) % variants.length]!;
        const slot = runs.get(variant)!;
        const runOurs = async () => slot.ours.push((await callWorker<MemberRunResult>(worker, 'benchMemberRun', [1, variant])).runs[0]!);
        const runTheirsOnce = async () => slot.theirs.push(await runTheirs(page, variant));
        if ((r + i) % 2) {
          await runTheirsOnce();
          await runOurs();
        } else {
          await runOurs();
          await runTheirsOnce();
        }
      }
      const shipped = runs.get('shipped')!;
      if ((r + 1) % 20 === 0 || r + 1 === options.rounds)
        log(`  peer ${backend}: round ${r + 1}/${options.rounds}: tfjs ${round(shipped.ours.at(-1)!)} ms, onnxruntime-web ${round(shipped.theirs.at(-1)!)} ms`);
    }
    await callWorker(worker, 'benchMemberClose', []);
    const oursRuns = runs.get('shipped')!.ours;
    const theirsRuns = runs.get('shipped')!.theirs;
    const oursMedian = median(oursRuns);
    const theirsMedian = median(theirsRuns);
    result.ours = {
      engine: 'tfjs (the app)',
      version: TFJS_VERSION,
      backend: ours.backend,
      // tfjs's wasm backend uses threads only when the page is cross-origin isolated.
      threads: theirs.crossOriginIsolated ? 'default' : 1,
      loadMs: round(ours.loadMs),
      warmupMs: round(ours.warmupMs),
      medianMs: round(oursMedian, 2),
      minMs: round(Math.min(...oursRuns), 2),
      runs: oursRuns.map((x) => round(x, 2)),
    };
    result.theirs = {
      engine: 'onnxruntime-web',
      version: theirs.version,
      backend,
      threads: theirs.threads,
      runtimeStartMs: round(theirs.runtimeStartMs),
      loadMs: round(theirs.loadMs),
      warmupMs: round(theirs.warmupMs),
      medianMs: round(theirsMedian, 2),
      minMs: round(Math.min(...theirsRuns), 2),
      runs: theirsRuns.map((x) => round(x, 2)),
    };
    result.ratio = round(oursMedian / theirsMedian, 2);
    result.pairedRatio = round(median(oursRuns.map((o, i) => o / theirsRuns[i]!)), 2);
    log(
      `  peer ${backend}: tfjs ${result.ours.medianMs} ms, onnxruntime-web ${result.theirs.medianMs} ms per image (medians of ${options.rounds}): ours ÷ theirs ${result.ratio}× (paired ${result.pairedRatio}×); features cosine ${result.featureCosine}`,
    );

    if (options.breakdown) {
      const cost = (base: number[], variant: number[]) => round(median(variant.map((v, r) => base[r]! - v)), 2);
      result.breakdown = variants.map((variant) => {
        const slot = runs.get(variant)!;
        return {
          variant,
          rounds: options.rounds,
          oursMedianMs: round(median(slot.ours), 2),
          theirsMedianMs: round(median(slot.theirs), 2),
          ...(variant === 'shipped' ? {} : { oursCostMs: cost(oursRuns, slot.ours), theirsCostMs: cost(theirsRuns, slot.theirs) }),
        };
      });
    }
  } catch (error) {
    result.error = errorLine(error);
    log(`  peer ${backend}: failed: ${result.error}`);
  } finally {
    await context.close();
  }
  return result;
}

export async function measurePeer(browser: Browser, options: PeerOptions & { inputSize: number }): Promise<PeerSection> {
  const section: PeerSection = {
    date: new Date().toISOString(),
    model: options.modelId,
    inputSize: options.inputSize,
    onnxBytes: readFileSync(options.onnxPaths.shipped).byteLength,
    crossOriginIsolated: false,
    backends: [],
  };
  for (const backend of options.backends) {
    if (backend === 'webgpu' && options.softwareGpu && !options.measureSoftwareGpu) {
      section.backends.push({ backend, skipped: 'not measured: software GPU (SwiftShader)' });
      options.log?.('  peer webgpu: not measured: software GPU');
      continue;
    }
    const result = await measureOne(browser, backend, options);
    if (backend === 'webgpu' && options.softwareGpu) result.note = 'software GPU (SwiftShader): measured only to check the path; the figures say little';
    section.crossOriginIsolated ||= result.crossOriginIsolated ?? false;
    section.backends.push(result);
  }
  return section;
}
