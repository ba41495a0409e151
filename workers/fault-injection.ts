/**
 * Hooks that cause the faults the worker must survive, for tests
 * (docs/testing.md, `window.lookalike.debug`). Built into test builds only
 * (`vite build --mode test`): the production worker never imports this module.
 * A crash here is an uncaught error in the worker, handled like a lost GPU
 * device (workers/device-loss.ts): the page restarts the worker.
 */

import { LookalikeError } from '../src/shared/errors.ts';
import { failIndexedDbWrites } from '../src/shared/fill-storage.ts';
import type { FaultInjectionApi } from '../src/shared/worker-api/fault-injection.ts';
import { crashWorker, never, watchedGpuDevice } from './device-loss.ts';

export class SimulatedCrashError extends LookalikeError {
  override name = 'SimulatedCrashError';
}

let crashArmed = false;

/** Wraps one queued worker task: when a crash is armed it crashes instead. */
export function crashIfArmed<T>(task: () => Promise<T>): () => Promise<T> {
  return async () => {
    if (crashArmed) {
      crashArmed = false;
      crashWorker(new SimulatedCrashError('simulated crash while handling a request (lookalike.debug.crashWorker)'));
      return never<T>();
    }
    return task();
  };
}

/** Test hooks, called by the page outside the request queue. */
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
    const device = watchedGpuDevice();
    if (!device) return false;
    device.destroy();
    return true;
  },
};
