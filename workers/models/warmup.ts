/**
 * Warm-up at the production shape. On WebGPU, first a compile-only pass
 * (every pipeline compiled in parallel, tfjs#7768), then one real run, so the
 * shopper's first query does not pay for shader compilation.
 */
import * as tf from '@tensorflow/tfjs';

interface CompilingBackend {
  checkCompileCompletionAsync(): Promise<void>;
}

export async function warmUp(run: () => tf.Tensor | tf.Tensor[]): Promise<void> {
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
    await (tf.backend() as unknown as CompilingBackend).checkCompileCompletionAsync();
    if (outputs) tf.dispose(outputs);
  }
  const outputs = tf.tidy(run);
  const list = Array.isArray(outputs) ? outputs : [outputs];
  await Promise.all(list.map((t) => t.data()));
  tf.dispose(list);
}
