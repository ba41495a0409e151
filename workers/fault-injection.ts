/**
 * Faults the worker treats as a crash, and hooks to cause them in tests
 * (docs/testing.md, `window.lookalike.debug`). A crash here is an uncaught
 * error in the worker: the page's client (src/inference-client.ts) sees the worker's
 * `error` event, fails the pending request with a message and starts a fresh
 * worker. A lost WebGPU device (driver reset, GPU process crash, or
 * `device.destroy()`) cannot be recovered in place, so it ends the same way.
 */

import { failIndexedDbWrites } from '../src/shared/fill-storage.ts';
import type { FaultInjectionApi } from '../src/shared/worker-api/fault-injection.ts';

export class GpuDeviceLostError extends Error {
  override name = 'GpuDeviceLostError';
}

export class SimulatedCrashError extends Error {
  override name = 'SimulatedCrashError';
}

let crashArmed = false;
let deviceLost = false;
let device: GPUDevice | undefined;

/** Ends the worker the way an uncaught error does (thrown from a timer, so no caller can catch it). */
function crash(error: Error): void {
  setTimeout(() => {
    throw error;
  }, 0);
}

const never = <T>() => new Promise<T>(() => undefined);

const lostWithin = (gpu: GPUDevice, ms: number) =>
  Promise.race([gpu.lost.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

/**
 * Wraps one queued worker task: when a crash is armed it crashes instead; a
 * task that fails because the device was lost does not answer with the GPU's
 * own error but waits for the restart, whose message says what happened.
 */
export function guardTask<T>(task: () => Promise<T>): () => Promise<T> {
  return async () => {
    if (crashArmed) {
      crashArmed = false;
      crash(new SimulatedCrashError('simulated crash while handling a request (lookalike.debug.crashWorker)'));
      return never<T>();
    }
    try {
      return await task();
    } catch (error) {
      // A GPU call fails as the device goes (e.g. "mapAsync: Buffer was unmapped"), often before
      // `device.lost` settles: give it a moment, so the shopper hears that the device was lost.
      if (deviceLost || (device && (await lostWithin(device, 500)))) return never<T>();
      throw error;
    }
  };
}

/** Watches the WebGPU device tfjs uses: once it is lost, the worker crashes (and is restarted by the page). */
export function watchGpuDevice(gpu: GPUDevice): void {
  device = gpu;
  void gpu.lost.then((info) => {
    deviceLost = true;
    crash(new GpuDeviceLostError(`the GPU device was lost (${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''})`));
  });
}

/** Test hooks, called by the page outside the request queue (the client's `faults`). */
export const faultApi: FaultInjectionApi = {
  /** Every IndexedDB write of the worker fails from now on with QuotaExceededError (see src/shared/fill-storage.ts). */
  async fillStorage() {
    failIndexedDbWrites();
  },
  /** The next request the worker takes crashes it. */
  async armCrash() {
    crashArmed = true;
  },
  /** Destroys the WebGPU device now (`device.lost` fires); false when the backend is not WebGPU. */
  async loseDevice() {
    if (!device) return false;
    device.destroy();
    return true;
  },
};
