/**
 * Starts tfjs backends: `startBackend` makes one current (its files, its adapter), `selectBackend` takes the first
 * of a list that starts (WebGPU, then WebGL, then WASM, then CPU by default) and says why each one it skipped was
 * skipped. Which backend to ask for (forced, remembered or measured) is decided in workers/backend-choice.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// `no-inline`: real files beside the worker, also in the widget's library build (which would inline them as data: URLs).
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url&no-inline';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url&no-inline';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url&no-inline';
import type { BackendChoice, BackendName, WasmThreads } from '../src/shared/worker-api/models.ts';
import { watchGpuDevice } from './device-loss.ts';

export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** tfjs's threaded build runs half the cores (at least one). */
const threadedBuildThreads = () => Math.max(1, Math.floor((navigator.hardwareConcurrency || 1) / 2));

/** Why the wasm backend runs the single-threaded build, or undefined when it may run the threaded one. */
let singleThreadReason: string | undefined = 'threads not allowed here';

/**
 * Decides, before the wasm backend first starts, whether it may load tfjs's threaded SIMD build (InitOptions
 * .wasmThreads): only in a cross-origin isolated page (COOP + COEP, which SharedArrayBuffer needs), only where the
 * page allows it (the build starts its threads from `blob:` URLs), and with `auto` only where that build runs two
 * threads or more: with one (2 cores) it was measured slower than the single-threaded build, and so were two
 * threads on 2 cores (docs/performance.md, "Threads").
 */
export function allowWasmThreads(mode: WasmThreads): void {
  singleThreadReason =
    mode === 'off'
      ? 'threads not allowed here'
      : self.crossOriginIsolated !== true
        ? 'the page is not cross-origin isolated'
        : mode === 'auto' && threadedBuildThreads() < 2
          ? `${navigator.hardwareConcurrency} cores: the single-threaded build is faster here`
          : undefined;
  // tfjs picks the threaded build by this flag alone (whether a SharedArrayBuffer can be posted).
  if (singleThreadReason) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
}

export const wasmThreadsAllowed = (): boolean => singleThreadReason === undefined;

/** The wasm threads in use (1 unless the threaded build runs), for the badge and the bench. */
export function wasmThreads(): number {
  try {
    return Math.max(1, getThreadsCount());
  } catch {
    return 1;
  }
}

export function isBackendName(value: string | null | undefined): value is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(value ?? '');
}

async function prepare(backend: BackendName): Promise<string> {
  switch (backend) {
    case 'webgpu': {
      if (!('gpu' in navigator) || !navigator.gpu) throw new Error('this browser has no WebGPU (navigator.gpu is missing)');
      const adapter = await navigator.gpu.requestAdapter();
      if (!adapter) throw new Error('no WebGPU adapter is available on this device');
      await import('@tensorflow/tfjs-backend-webgpu');
      const info = (adapter as GPUAdapter & { info?: { vendor?: string; architecture?: string } }).info;
      return [info?.vendor, info?.architecture].filter(Boolean).join(' ') || 'WebGPU adapter';
    }
    case 'webgl': {
      if (typeof OffscreenCanvas === 'undefined') throw new Error('OffscreenCanvas is not available in workers here');
      const gl = new OffscreenCanvas(1, 1).getContext('webgl2') ?? new OffscreenCanvas(1, 1).getContext('webgl');
      if (!gl) throw new Error('WebGL is not available');
      return 'WebGL';
    }
    case 'wasm':
      setWasmPaths({
        'tfjs-backend-wasm.wasm': wasmPlain,
        'tfjs-backend-wasm-simd.wasm': wasmSimd,
        'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
      });
      return 'WebAssembly';
    case 'cpu':
      return 'plain JavaScript';
  }
}

/** Makes `backend` tfjs's current backend (starting it if needed); returns its description, or throws why it cannot start. */
export async function startBackend(backend: BackendName): Promise<string> {
  const detail = await prepare(backend);
  if (!(await tf.setBackend(backend))) throw new Error('tfjs could not initialise it');
  await tf.ready();
  if (backend !== 'wasm') return detail;
  if (singleThreadReason) return `${detail}, 1 thread (${singleThreadReason})`;
  const threads = wasmThreads();
  return `${detail}, ${threads} ${threads === 1 ? 'thread' : 'threads'} (threaded build: half of ${navigator.hardwareConcurrency} cores)`;
}

/** The backend the app keeps: a lost GPU device cannot be used again, so the worker crashes and the page starts a fresh one. */
export function keepBackend(backend: BackendName): void {
  if (backend === 'webgpu') watchGpuDevice((tf.backend() as unknown as { device: GPUDevice }).device);
}

/**
 * Stops a GPU backend that is still busy (an abandoned measurement): destroys its WebGPU device or loses its
 * WebGL context, so the work it queued (shader compilation, a pass) fails fast instead of running on.
 */
export function stopGpuBackend(backend: BackendName): void {
  const instance = tf.findBackend(backend) as unknown as { device?: GPUDevice; gpgpu?: { gl: WebGLRenderingContext } } | null;
  try {
    if (backend === 'webgpu') instance?.device?.destroy();
    if (backend === 'webgl') instance?.gpgpu?.gl.getExtension('WEBGL_lose_context')?.loseContext();
  } catch {
    /* already gone */
  }
}

/** Removes a backend this worker will not use again, freeing what it holds (its tensors must be disposed first). */
export function removeBackend(backend: BackendName): void {
  try {
    tf.removeBackend(backend);
  } catch {
    /* a backend whose device is gone may fail to dispose: it is unreachable either way */
  }
}

/** The first of `order` that starts, kept; `fallbacks` says why each one before it did not. */
export async function selectBackend(order: readonly BackendName[] = BACKEND_ORDER): Promise<BackendChoice> {
  const fallbacks: BackendChoice['fallbacks'] = [];
  for (const backend of order) {
    try {
      const detail = await startBackend(backend);
      keepBackend(backend);
      return { backend, fallbacks, detail, how: 'only' };
    } catch (error) {
      fallbacks.push({ backend, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  const reasons = fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ');
  throw new Error(`No compute backend could start (${reasons})`);
}
