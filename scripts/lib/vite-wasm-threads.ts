/**
 * Two fixes to tfjs-backend-wasm's threaded build (wasm-out/tfjs-backend-wasm-threaded-simd.js), applied when
 * bundling; both are checked, and the build fails with this file's name if the package changes under them.
 *
 * 1. Self-contained factory. tfjs starts each wasm thread from a `blob:` script made of its Emscripten factory's
 *    source text (`wasmFactoryThreadedSimd.toString()`), so that function must not refer to anything outside
 *    itself. It does to one variable, `_scriptDir`, guarded by `typeof` in the original; a minifier that sees the
 *    outer declaration renames it and drops the guard, and every thread then fails with "<name> is not defined".
 *    Declaring it inside the factory keeps the function whole (in a worker it is undefined either way).
 * 2. Every core. The wasm binary caps its thread pool at half of `navigator.hardwareConcurrency` (backend.cc
 *    assumes two hyper-threads per x86 core), so a 2-core phone or VM gets one thread however many are asked for
 *    (tfjs issue #8513). The core count it reads is doubled here, so the pool size the worker asks for
 *    (`setThreadsCount`, workers/backend.ts) is what it gets, up to tfjs's own limit of 8.
 */
import type { Plugin } from 'vite';

const FACTORY_FILE = /tfjs-backend-wasm\/wasm-out\/tfjs-backend-wasm-threaded-simd\.js$/;
const PATCHES: { find: string; replace: string; why: string }[] = [
  {
    find: 'function(WasmBackendModuleThreadedSimd) {',
    replace: 'function(WasmBackendModuleThreadedSimd) {\nvar _scriptDir;',
    why: 'the threaded factory must declare _scriptDir itself',
  },
  {
    find: 'return navigator["hardwareConcurrency"]}',
    replace: 'return 2*navigator["hardwareConcurrency"]}',
    why: 'the thread pool must not be capped at half the cores',
  },
];

export function tfjsWasmThreads(): Plugin {
  return {
    name: 'lookalike-tfjs-wasm-threads',
    transform(code, id) {
      if (!FACTORY_FILE.test(id.split('?')[0] ?? '')) return null;
      let out = code;
      for (const patch of PATCHES) {
        if (out.split(patch.find).length !== 2) this.error(`${id}: expected "${patch.find}" once (${patch.why}); see scripts/lib/vite-wasm-threads.ts`);
        out = out.replace(patch.find, patch.replace);
      }
      return { code: out, map: null };
    },
  };
}
