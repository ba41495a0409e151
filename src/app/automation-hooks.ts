/** `window.lookalike` (docs/testing.md): the worker's tfjs memory counters and fault injection. */
import type { InferenceClient } from '../inference-client.ts';
import { failIndexedDbWrites } from '../shared/fill-storage.ts';

export function exposeAutomationHooks(client: InferenceClient): void {
  (window as unknown as { lookalike: object }).lookalike = {
    memory: () => client.models.memory(),
    debug: {
      crashWorker: () => client.faults!.armCrash(),
      loseDevice: () => client.faults!.loseDevice(),
      fillStorage: () => (failIndexedDbWrites(), client.faults!.fillStorage()),
    },
  };
}
