/**
 * What GPU this device offers, read without starting a tfjs backend: the WebGPU adapter (adapter.info,
 * isFallbackAdapter) and the WebGL renderer string. They key the remembered backend choice (a new GPU or
 * driver measures again) and name a software GPU in the badge ("faster than this software GPU").
 */
import type { GpuIdentity } from '../src/shared/worker-api/models.ts';

/** Renderers that run on the CPU: SwiftShader (Chromium's fallback), Mesa's llvmpipe/softpipe, Windows' WARP. */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|lavapipe|software|microsoft basic render|\bwarp\b/i;

export function isSoftwareRenderer(description: string): boolean {
  return SOFTWARE_RENDERER.test(description);
}

type AdapterInfo = { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };

export async function webgpuIdentity(): Promise<GpuIdentity | undefined> {
  if (!('gpu' in navigator) || !navigator.gpu) return undefined;
  const adapter = (await navigator.gpu.requestAdapter().catch(() => null)) as (GPUAdapter & { info?: AdapterInfo; isFallbackAdapter?: boolean }) | null;
  if (!adapter) return undefined;
  const info = adapter.info ?? {};
  const description = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unnamed WebGPU adapter';
  const fallback = info.isFallbackAdapter === true || adapter.isFallbackAdapter === true;
  return { backend: 'webgpu', description, software: fallback || isSoftwareRenderer(description) };
}

export function webglIdentity(): GpuIdentity | undefined {
  if (typeof OffscreenCanvas === 'undefined') return undefined;
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2') ?? new OffscreenCanvas(1, 1).getContext('webgl');
  if (!gl) return undefined;
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  const description = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '') || 'unnamed WebGL renderer';
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return { backend: 'webgl', description, software: isSoftwareRenderer(description) };
}

/**
 * The GPU the app would measure: the WebGPU adapter where there is one, else the WebGL renderer. The WebGL probe
 * is skipped when WebGPU answers: creating a WebGL context is a synchronous call that blocks this worker for as
 * long as the browser's GPU process is busy (e.g. still compiling a software GPU's shaders).
 */
export async function gpuIdentities(): Promise<GpuIdentity[]> {
  const webgpu = await webgpuIdentity();
  if (webgpu) return [webgpu];
  return safeWebglIdentity();
}

/** The WebGL renderer, as a list of zero or one. */
export function safeWebglIdentity(): GpuIdentity[] {
  try {
    const webgl = webglIdentity();
    return webgl ? [webgl] : [];
  } catch {
    return [];
  }
}
