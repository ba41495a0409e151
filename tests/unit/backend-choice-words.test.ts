/**
 * The backend choice as the shopper reads it (src/app/backend-words.ts), how a software GPU is recognised
 * (workers/gpu-identity.ts), and what makes the app measure again (workers/backend-memory.ts: the key, the GPUs, the store).
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { backendDetails, backendReason } from '../../src/app/backend-words.ts';
import type { BackendChoice } from '../../src/shared/worker-api/index.ts';
import { choiceKey, forgetChoices, gpuSignature, recallChoice, rememberChoice, sameGpus } from '../../workers/backend-memory.ts';
import { isSoftwareRenderer } from '../../workers/gpu-identity.ts';

const swiftshader = { backend: 'webgpu' as const, description: 'google swiftshader', software: true };
const measured: BackendChoice = {
  backend: 'wasm',
  fallbacks: [],
  detail: 'WebAssembly',
  how: 'measured',
  gpu: swiftshader,
  measurements: [
    { backend: 'wasm', startMs: 1300, warmMs: 91 },
    { backend: 'webgpu', startMs: 4000, abandoned: 'still warming up after 4.0 s' },
  ],
  choiceMs: 5500,
  measuredAt: Date.UTC(2026, 11, 7),
};

describe('the backend badge in words', () => {
  it('says wasm was faster than this software GPU, with the timings behind it', () => {
    expect(backendReason(measured)).toBe('faster than this software GPU');
    const details = backendDetails(measured);
    expect(details).toContain('GPU: google swiftshader (software, runs on the CPU)');
    expect(details).toContain('Measured: wasm: ready in 1.3 s, 91 ms a photo; webgpu: still warming up after 4.0 s (choosing took 5.5 s)');
  });

  it('names a hardware GPU that lost as a GPU, and a GPU that won as faster than wasm', () => {
    expect(backendReason({ ...measured, gpu: { ...swiftshader, description: 'nvidia ampere', software: false } })).toBe('faster than this GPU');
    const gpuWon: BackendChoice = {
      ...measured,
      backend: 'webgpu',
      measurements: [
        { backend: 'wasm', startMs: 1300, warmMs: 91 },
        { backend: 'webgpu', startMs: 2100, warmMs: 8 },
      ],
    };
    expect(backendReason(gpuWon)).toBe('faster than wasm here');
  });

  it('says a forced backend was requested, a remembered one when it was measured, and an only one that it was the only one', () => {
    expect(backendReason({ ...measured, how: 'forced', measurements: undefined })).toBe('as requested');
    expect(backendReason({ ...measured, how: 'remembered' })).toBe('faster than this software GPU');
    expect(backendDetails({ ...measured, how: 'remembered' })).toMatch(/Remembered from .* for this browser, GPU and models\./);
    expect(
      backendReason({
        backend: 'wasm',
        fallbacks: [{ backend: 'webgpu', reason: 'no WebGPU adapter is available on this device' }],
        detail: 'WebAssembly',
        how: 'only',
      }),
    ).toBe('the only engine that started');
  });
});

describe('recognising a software GPU', () => {
  it.each([
    ['ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)', true],
    ['llvmpipe (LLVM 15.0.6, 256 bits)', true],
    ['Microsoft Basic Render Driver', true],
    ['ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)', false],
    ['apple metal-3 Apple M2', false],
  ])('%s → software: %s', (description, software) => {
    expect(isSoftwareRenderer(description)).toBe(software);
  });
});

describe('remembering the measured choice', () => {
  const gpus = [swiftshader];
  const key = choiceKey('lookalike-abc', 'Chrome/150');

  it('measures again when the ensemble or the browser changes', () => {
    expect(choiceKey('lookalike-def', 'Chrome/150')).not.toBe(key);
    expect(choiceKey('lookalike-abc', 'Chrome/151')).not.toBe(key);
    expect(choiceKey('lookalike-abc', 'Chrome/150')).toBe(key);
  });

  it('recalls what was remembered under the same key only, and knows when the GPU has changed', async () => {
    await forgetChoices();
    expect(await recallChoice(key)).toBeUndefined();
    await rememberChoice({
      key,
      gpus: gpuSignature(gpus),
      backend: 'wasm',
      measurements: measured.measurements!,
      gpu: swiftshader,
      choiceMs: 5500,
      measuredAt: 1,
    });
    const recalled = await recallChoice(key);
    expect(recalled?.backend).toBe('wasm');
    expect(sameGpus(recalled!, gpus)).toBe(true);
    expect(sameGpus(recalled!, [{ ...swiftshader, description: 'nvidia ampere', software: false }])).toBe(false);
    expect(sameGpus(recalled!, [])).toBe(false);
    expect(await recallChoice(choiceKey('lookalike-abc', 'Chrome/151'))).toBeUndefined();
  });
});
