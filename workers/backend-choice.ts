/**
 * Which backend the models run on, chosen by measurement (#24): the first time, and again whenever the browser,
 * the GPU (its WebGPU adapter or WebGL renderer) or the ensemble changes, the real models are loaded and timed on
 * WebAssembly and on the GPU backend, the fastest is kept, and the choice is remembered (workers/backend-memory.ts).
 * A software GPU (SwiftShader, llvmpipe) is measured like any other, never assumed fast or slow.
 *
 * Cheap by design: wasm is timed first (about a second); the GPU then has GPU_BUDGET_MS to start, warm up and run.
 * A GPU still warming up when the budget runs out, or whose first warm pass is clearly slower than wasm's, is
 * abandoned: its device is destroyed (so the shader compilation it queued stops) and its backend removed.
 * `?backend=` and the widget's `backend` attribute skip all this and force one backend.
 */
import * as tf from '@tensorflow/tfjs';
import { backbones, type ModelEntry, type ModelManifest } from '../src/shared/manifest.ts';
import type { BackendChoice, BackendMeasurement, BackendName, GpuIdentity } from '../src/shared/worker-api/models.ts';
import { keepBackend, removeBackend, selectBackend, startBackend, stopGpuBackend, wasmThreadsAllowed } from './backend.ts';
import { choiceKey, gpuSignature, recallChoice, rememberChoice, sameGpus } from './backend-memory.ts';
import { gpuIdentities, safeWebglIdentity } from './gpu-identity.ts';
import type { Embedder } from './models/ensemble.ts';
import { GraphCache } from './models/load-backbone.ts';

/** What the GPU backend gets to start, load, warm up and run once, before it is abandoned. */
export const GPU_BUDGET_MS = 4000;
/** A warm pass this many times wasm's is clearly slower: no second pass is timed. */
export const CLEARLY_SLOWER = 1.5;
/** Warm passes timed per backend (the median counts); wasm stops early once its passes took WASM_RUNS_MS. */
const RUNS = 3;
const WASM_RUNS_MS = 1500;
/** How long an abandoned GPU backend gets to give up its pending work before it is removed anyway. */
const SETTLE_MS = 3000;
/**
 * How long a visit with a remembered choice waits for the GPU to name itself. A software GPU still compiling the
 * shaders an abandoned measurement queued (tens of seconds after the first visit, in the browser's GPU process)
 * answers only once it is done: the remembered choice is used meanwhile, and the GPU is checked again next visit.
 */
export const GPU_PROBE_MS = 1000;

export interface ChoiceDeps {
  manifest: ModelManifest;
  /** Loads `manifest`'s models onto the current backend (into `graphs`) and warms them up; `signal` abandons it (it then frees what it loaded). */
  load(manifest: ModelManifest, graphs: GraphCache, signal: AbortSignal): Promise<Embedder>;
  /** Progress while measuring ("timing wasm"). */
  onMeasure(message: string): void;
}

export interface Chosen {
  choice: BackendChoice;
  /** When measured: the winner's models, already loaded and warm, and their graph cache. */
  embedder?: Embedder;
  graphs?: GraphCache;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One warm pass of the whole ensemble (every member, heads, projection, read back) on a fixed photo-sized input. */
async function timePass(embedder: Embedder): Promise<number> {
  const size = embedder.members[0]?.entry.inputSize ?? 224;
  const input = tf.tidy(() => tf.randomUniform([size, size, 3], 0, 255, 'int32', 24) as tf.Tensor3D);
  try {
    const started = performance.now();
    await embedder.run(input);
    return performance.now() - started;
  } finally {
    input.dispose();
  }
}

/** A backend being measured: what it loaded so far, so an abandoned one can still be disposed. */
interface Trial {
  backend: BackendName;
  abort: AbortController;
  embedder?: Embedder;
  graphs: GraphCache;
  runs: number[];
  startMs: number;
}

/** Loads and warms the models on the current backend and times up to RUNS passes while `more(runs, elapsed)` says so. */
async function runTrial(trial: Trial, deps: ChoiceDeps, started: number, more: (runs: number[], elapsed: number) => boolean): Promise<void> {
  deps.onMeasure(`timing ${trial.backend}`);
  trial.embedder = await deps.load(deps.manifest, trial.graphs, trial.abort.signal);
  trial.startMs = performance.now() - started;
  while (trial.runs.length < RUNS && more(trial.runs, performance.now() - started)) {
    trial.abort.signal.throwIfAborted();
    trial.runs.push(await timePass(trial.embedder));
  }
}

const measurementOf = (trial: Trial, abandoned?: string): BackendMeasurement => ({
  backend: trial.backend,
  startMs: Math.round(trial.startMs),
  ...(trial.runs.length ? { warmMs: Math.round(median(trial.runs) * 10) / 10 } : {}),
  ...(abandoned ? { abandoned } : {}),
});

async function measureWasm(deps: ChoiceDeps): Promise<{ trial?: Trial; failure?: string }> {
  const trial: Trial = { backend: 'wasm', abort: new AbortController(), graphs: new GraphCache(), runs: [], startMs: 0 };
  const started = performance.now();
  try {
    await startBackend('wasm');
    await runTrial(trial, deps, started, (runs) => runs.length === 0 || runs.reduce((a, b) => a + b, 0) < WASM_RUNS_MS);
    return { trial };
  } catch (error) {
    trial.embedder?.dispose();
    return { failure: message(error) };
  }
}

/**
 * The GPU's first stage: the ensemble's smallest member alone (no heads, projection or views). A software GPU
 * compiles shaders for tens of seconds, in its GPU process, where abandoning cannot stop them: asking it for one
 * member first queues a fraction of that work before it is judged. On a real GPU nothing is wasted (the graph and
 * its compiled shaders are reused by the whole ensemble).
 */
export function probeManifest(manifest: ModelManifest): ModelManifest {
  const bytes = (m: ModelEntry) => m.files.reduce((n, f) => n + f.bytes, 0);
  const smallest = backbones(manifest).reduce((a, b) => (bytes(b) < bytes(a) ? b : a));
  return { formatVersion: 1, ensembleId: manifest.ensembleId, models: [smallest] };
}

/**
 * Times the GPU backend within GPU_BUDGET_MS: its smallest member alone first, then (unless that alone is clearly
 * slower than wasm's whole ensemble) the whole ensemble. Abandons it (load aborted, device destroyed, backend
 * removed) when the budget runs out, when it fails, or when it is clearly slower. `trial` is returned only when
 * the whole ensemble is loaded on it and timed; `failure` only when the backend did not start at all.
 */
async function measureGpu(
  gpu: GpuIdentity,
  wasmMs: number | undefined,
  deps: ChoiceDeps,
): Promise<{ trial?: Trial; measurement?: BackendMeasurement; failure?: string }> {
  const trial: Trial = { backend: gpu.backend, abort: new AbortController(), graphs: new GraphCache(), runs: [], startMs: 0 };
  const started = performance.now();
  try {
    await startBackend(gpu.backend);
  } catch (error) {
    return { failure: message(error) };
  }
  const clearlySlower = (ms: number) => wasmMs !== undefined && ms > wasmMs * CLEARLY_SLOWER;
  let probe: Embedder | undefined;
  let verdict: string | undefined;
  const work = (async () => {
    const probeManifestOf = probeManifest(deps.manifest);
    deps.onMeasure(`timing ${gpu.backend} (${probeManifestOf.models[0]!.name} first)`);
    probe = await deps.load(probeManifestOf, trial.graphs, trial.abort.signal);
    const probeMs = await timePass(probe);
    if (clearlySlower(probeMs)) {
      trial.startMs = performance.now() - started;
      verdict = `${probeManifestOf.models[0]!.name} alone took ${Math.round(probeMs)} ms a photo, over ${CLEARLY_SLOWER}× wasm's whole ensemble`;
      return;
    }
    await runTrial(trial, deps, started, (runs, elapsed) => !(runs.length && clearlySlower(runs[runs.length - 1]!)) && elapsed < GPU_BUDGET_MS);
    if (trial.runs.length === 1 && clearlySlower(trial.runs[0]!)) verdict = `a warm pass took ${Math.round(trial.runs[0]!)} ms, over ${CLEARLY_SLOWER}× wasm's`;
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    work.then(
      () => 'done' as const,
      (error: unknown) => ({ error }),
    ),
    new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), Math.max(0, GPU_BUDGET_MS - (performance.now() - started))))),
  ]);
  clearTimeout(timer);
  if (outcome === 'done' && trial.embedder) {
    probe?.dispose();
    return { trial, measurement: measurementOf(trial, verdict) };
  }
  // Clearly slower, over budget or failed: the load gives up and frees what it loaded (the abort), the GPU drops
  // what it can of the work it queued (its device destroyed, so a pass in flight fails at once), and this worker
  // never uses it again.
  trial.startMs = trial.startMs || performance.now() - started;
  trial.abort.abort(new Error('over its time budget'));
  stopGpuBackend(gpu.backend);
  let settle: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([work.catch(() => undefined), new Promise((resolve) => (settle = setTimeout(resolve, SETTLE_MS)))]);
  clearTimeout(settle);
  (probe as Embedder | undefined)?.dispose();
  trial.embedder?.dispose();
  removeBackend(gpu.backend);
  const late = trial.embedder ? `a warm pass was still running after ${seconds(GPU_BUDGET_MS)}` : `still warming up after ${seconds(GPU_BUDGET_MS)}`;
  const why = outcome === 'done' ? verdict! : outcome === 'late' ? late : `failed: ${message(outcome.error)}`;
  return { measurement: measurementOf(trial, why) };
}

/** Measures wasm and the device's GPU backend, keeps the fastest (loaded and warm) and remembers it under `key`. */
async function measure(key: string, gpus: GpuIdentity[], deps: ChoiceDeps): Promise<Chosen> {
  const started = performance.now();
  const fallbacks: BackendChoice['fallbacks'] = [];
  const measurements: BackendMeasurement[] = [];
  const finished: Trial[] = [];
  const wasm = await measureWasm(deps);
  if (wasm.trial) {
    finished.push(wasm.trial);
    measurements.push(measurementOf(wasm.trial));
  } else fallbacks.push({ backend: 'wasm', reason: wasm.failure! });
  let measuredGpu: GpuIdentity | undefined;
  // WebGPU where it has an adapter; if that does not start, WebGL (probed only then).
  const candidates = [...gpus];
  for (let i = 0; i < candidates.length; i++) {
    const gpu = candidates[i]!;
    const result = await measureGpu(gpu, wasm.trial ? median(wasm.trial.runs) : undefined, deps);
    if (result.failure) {
      fallbacks.push({ backend: gpu.backend, reason: result.failure });
      if (gpu.backend === 'webgpu' && i === candidates.length - 1) candidates.push(...safeWebglIdentity());
      continue;
    }
    measuredGpu = gpu;
    measurements.push(result.measurement!);
    if (result.trial) finished.push(result.trial);
    break; // one GPU backend is measured
  }
  if (!finished.length) {
    const cpu = await selectBackend(['cpu']);
    return {
      choice: { ...cpu, fallbacks: [...fallbacks, ...measurements.map((m) => ({ backend: m.backend, reason: m.abandoned ?? 'abandoned' }))], how: 'only' },
    };
  }
  const winner = finished.reduce((best, t) => (median(t.runs) < median(best.runs) ? t : best));
  for (const trial of finished) {
    if (trial === winner) continue;
    trial.embedder?.dispose();
    if (trial.backend !== 'wasm') removeBackend(trial.backend);
  }
  const detail = await startBackend(winner.backend);
  keepBackend(winner.backend);
  const choiceMs = Math.round(performance.now() - started);
  const measuredAt = Date.now();
  const how = measurements.length > 1 ? 'measured' : 'only';
  await rememberChoice({
    key,
    gpus: gpuSignature(gpus),
    backend: winner.backend,
    measurements,
    ...(measuredGpu ? { gpu: measuredGpu } : {}),
    choiceMs,
    measuredAt,
  });
  return {
    choice: { backend: winner.backend, fallbacks, detail, how, measurements, ...(measuredGpu ? { gpu: measuredGpu } : {}), choiceMs, measuredAt },
    embedder: winner.embedder!,
    graphs: winner.graphs,
  };
}

/** `?backend=` or the widget's `backend` attribute: that backend only, no measuring. */
export async function forceBackend(forced: BackendName): Promise<BackendChoice> {
  return { ...(await selectBackend([forced])), how: 'forced' };
}

/**
 * The backend for this load when none is forced: the one remembered for this ensemble, browser and GPU, else
 * measured now (then `embedder` holds the winner's warm models, so they are not loaded again).
 */
export async function chooseBackend(deps: ChoiceDeps): Promise<Chosen> {
  // Whether wasm may run threaded is part of the key: it changes wasm's speed (a host that adds COOP/COEP measures again).
  const key = choiceKey(deps.manifest.ensembleId, `${navigator.userAgent}; wasm threads ${wasmThreadsAllowed() ? navigator.hardwareConcurrency : 1}`);
  const remembered = await recallChoice(key);
  const probe = gpuIdentities();
  if (remembered) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gpus = await Promise.race([probe, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), GPU_PROBE_MS)))]);
    clearTimeout(timer);
    // The same GPUs, or a GPU too busy to say (then it is checked again next visit): start on the remembered backend.
    if (!gpus || sameGpus(remembered, gpus)) {
      try {
        const detail = await startBackend(remembered.backend);
        keepBackend(remembered.backend);
        const { key: _key, gpus: _gpus, ...known } = remembered;
        return { choice: { ...known, fallbacks: [], detail, how: 'remembered' } };
      } catch {
        /* it no longer starts: measure again */
      }
    }
  }
  return measure(key, await probe, deps);
}
