/**
 * `window.lookalike` (docs/testing.md): the worker's tfjs memory counters and,
 * in test builds only (`vite build --mode test`), fault injection. The condition
 * is a build-time constant, so production bundles leave the hooks and
 * src/shared/fill-storage.ts out (tests/browser/build-output.test.ts checks).
 */
import type { InferenceClient } from '../inference-client.ts';
import { failIndexedDbWrites } from '../shared/fill-storage.ts';

export function exposeAutomationHooks(client: InferenceClient): void {
  (window as unknown as { lookalike: object }).lookalike = {
    memory: () => client.models.memory(),
    ...(import.meta.env.MODE === 'test'
      ? {
          debug: {
            crashWorker: () => client.faults!.armCrash(),
            loseDevice: () => client.faults!.loseDevice(),
            fillStorage: () => (failIndexedDbWrites(), client.faults!.fillStorage()),
          },
        }
      : {}),
  };
}
