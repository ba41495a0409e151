/**
 * Warm-up at the production shape. On WebGPU, first a compile-only pass
 * (every pipeline compiled in parallel, tfjs#7768), then one real run, so the
 * shopper's first query does not pay for shader compilation.
 */
import * as tf from '@tensorflow/tfjs';

interface CompilingBackend {
  checkCompileCompletionAsync(): Promise<void>;
}

/** Rejects with the signal's reason once it aborts (never, without one). */
function aborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return;
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * `signal` abandons a warm-up that is waiting on the GPU (the backend choice gives a GPU a time budget,
 * workers/backend-choice.ts): it rejects at once, and the caller disposes the models.
 */
export async function warmUp(run: () => tf.Tensor | tf.Tensor[], signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  const stop = aborted(signal);
  stop.catch(() => undefined);
  if (tf.getBackend() === 'webgpu') {
    tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', true);
    let outputs: tf.Tensor | tf.Tensor[] | undefined;
    try {
      outputs = tf.tidy(run);
    } catch {
      // Some graphs (data-dependent ops) cannot run compile-only; the real run below still compiles them.
    } finally {
      tf.env().set('WEBGPU_ENGINE_COMPILE_ONLY', false);
    }
    try {
      await Promise.race([(tf.backend() as unknown as CompilingBackend).checkCompileCompletionAsync(), stop]);
    } finally {
      if (outputs) tf.dispose(outputs);
    }
  }
  signal?.throwIfAborted();
  const outputs = tf.tidy(run);
  const list = Array.isArray(outputs) ? outputs : [outputs];
  try {
    await Promise.race([Promise.all(list.map((t) => t.data())), stop]);
  } finally {
    tf.dispose(list);
  }
}
