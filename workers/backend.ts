/**
 * Picks the tfjs backend: WebGPU, then WebGL, then WASM, then CPU, and says
 * why each one it skipped was skipped. `forced` (from `?backend=`) tries only that one.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// `no-inline`: real files beside the worker, also in the widget's library build (which would inline them as data: URLs).
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url&no-inline';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url&no-inline';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url&no-inline';
import type { BackendChoice, BackendName } from '../src/shared/worker-api/models.ts';
import { watchGpuDevice } from './device-loss.ts';

export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

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

export async function selectBackend(forced?: BackendName): Promise<BackendChoice> {
  const fallbacks: BackendChoice['fallbacks'] = [];
  for (const backend of forced ? [forced] : BACKEND_ORDER) {
    try {
      const detail = await prepare(backend);
      if (!(await tf.setBackend(backend))) throw new Error('tfjs could not initialise it');
      await tf.ready();
      // A lost GPU device cannot be used again: the worker crashes and the page starts a fresh one.
      if (backend === 'webgpu') watchGpuDevice((tf.backend() as unknown as { device: GPUDevice }).device);
      return { backend, fallbacks, detail };
    } catch (error) {
      fallbacks.push({ backend, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  const reasons = fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ');
  throw new Error(`No compute backend could start (${reasons})`);
}
