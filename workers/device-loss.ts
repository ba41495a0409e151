/**
 * A lost WebGPU device (driver reset, GPU process crash, or `device.destroy()`)
 * cannot be recovered in place, so the worker ends the way an uncaught error
 * does: the page's client (src/inference-client.ts) sees the worker's `error`
 * event, fails the pending request with a message and starts a fresh worker.
 */

import { LookalikeError } from '../src/shared/errors.ts';

export class GpuDeviceLostError extends LookalikeError {
  override name = 'GpuDeviceLostError';
}

let deviceLost = false;
let device: GPUDevice | undefined;

/** Ends the worker the way an uncaught error does (thrown from a timer, so no caller can catch it). */
export function crashWorker(error: Error): void {
  setTimeout(() => {
    throw error;
  }, 0);
}

/** A promise that never settles: what a task answers when the worker is about to crash. */
export const never = <T>() => new Promise<T>(() => undefined);

const lostWithin = (gpu: GPUDevice, ms: number) =>
  Promise.race([gpu.lost.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

/**
 * Wraps one queued worker task: a task that fails because the device was lost
 * does not answer with the GPU's own error but waits for the restart, whose
 * message says what happened.
 */
export function guardDeviceLoss<T>(task: () => Promise<T>): () => Promise<T> {
  return async () => {
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
    crashWorker(new GpuDeviceLostError(`the GPU device was lost (${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''})`));
  });
}

/** The WebGPU device being watched, if any. */
export function watchedGpuDevice(): GPUDevice | undefined {
  return device;
}
