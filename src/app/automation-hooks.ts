/**
 * `window.lookalike` (docs/testing.md): the worker's tfjs memory counters and,
 * in test builds only (`vite build --mode test`), fault injection. The condition
 * is a build-time constant, so production bundles leave the hooks and
 * src/shared/fill-storage.ts out (tests/browser/build-output.test.ts checks).
 */
import type { InferenceClient } from '../inference-client.ts';
import { decodePhoto, useScaledJpegDecoding } from '../photo-decode.ts';
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
            /** false: decode camera JPEGs as before #24 (decode in full, then shrink), for the benchmark's comparison. */
            scaledJpegDecoding: (enabled: boolean) => useScaledJpegDecoding(enabled),
            /** The photo as the app decodes it (src/photo-decode.ts): its size and the RGB of named points (relative x, y). */
            decodePhoto: async (base64: string, name: string, points: [number, number][]) => {
              const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
              const bitmap = await decodePhoto(new File([bytes], name));
              const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
              const ctx = canvas.getContext('2d')!;
              ctx.drawImage(bitmap, 0, 0);
              const rgb = points.map(([x, y]) =>
                Array.from(ctx.getImageData(Math.floor(x * (bitmap.width - 1)), Math.floor(y * (bitmap.height - 1)), 1, 1).data.slice(0, 3)),
              );
              bitmap.close();
              return { width: canvas.width, height: canvas.height, rgb };
            },
          },
        }
      : {}),
  };
}
