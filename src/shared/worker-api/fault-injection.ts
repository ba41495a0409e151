/**
 * The worker's `faults` group, present only in test builds (`vite build --mode test`,
 * docs/testing.md): hooks that cause the faults the app must survive. The page
 * calls them at once, not after the queued requests.
 */
export interface FaultInjectionApi {
  /** Every IndexedDB write of the worker fails from now on with QuotaExceededError. */
  fillStorage(): Promise<void>;
  /** The next request the worker takes crashes it. */
  armCrash(): Promise<void>;
  /** Destroys the WebGPU device now (`device.lost` fires); false when the backend is not WebGPU. */
  loseDevice(): Promise<boolean>;
}
