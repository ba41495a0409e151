/**
 * Makes tfjs-backend-wasm's threaded build (wasm-out/tfjs-backend-wasm-threaded-simd.js) survive bundling and
 * minifying. tfjs starts each wasm thread from a `blob:` script made of its Emscripten factory's source text
 * (`wasmFactoryThreadedSimd.toString()`), so that function must not refer to anything outside itself. It does to
 * one variable, `_scriptDir`, guarded by `typeof` in the original; a minifier that sees the outer declaration
 * renames it and drops the guard, and every thread then fails with "<name> is not defined". Declaring it inside
 * the factory keeps the function whole (in a worker it is undefined either way). The build fails with this file's
 * name if the package changes under the patch.
 */
import type { Plugin } from 'vite';

const FACTORY_FILE = /tfjs-backend-wasm\/wasm-out\/tfjs-backend-wasm-threaded-simd\.js$/;
const FACTORY_START = 'function(WasmBackendModuleThreadedSimd) {';

export function tfjsWasmThreads(): Plugin {
  return {
    name: 'lookalike-tfjs-wasm-threads',
    transform(code, id) {
      if (!FACTORY_FILE.test(id.split('?')[0] ?? '')) return null;
      if (code.split(FACTORY_START).length !== 2) this.error(`${id}: expected "${FACTORY_START}" once; see scripts/lib/vite-wasm-threads.ts`);
      return { code: code.replace(FACTORY_START, `${FACTORY_START}\nvar _scriptDir;`), map: null };
    },
  };
}
