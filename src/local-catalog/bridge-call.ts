/**
 * A LocalCall over the app's InferenceBridge (src/bridge.ts): runs the
 * local-catalog method on the worker's comlink remote, queued with the other
 * calls, transferring the listed arguments (the photo's ImageBitmap).
 *
 *   const call = localCallVia(bridge);
 *   runIndexing({ files, name, call, signal, onProgress });
 */
import * as Comlink from 'comlink';
import type { LocalCatalogApi } from '../../workers/local-catalog/api.ts';
import type { LocalCall } from './run-indexing.ts';

/** What is needed of the bridge: InferenceBridge is one once the worker's api spreads createLocalCatalogApi(…). */
export interface LocalCallBridge {
  call<T>(fn: (remote: Comlink.Remote<LocalCatalogApi>) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

export function localCallVia(bridge: LocalCallBridge): LocalCall {
  const call = <M extends keyof LocalCatalogApi>(method: M, args: Parameters<LocalCatalogApi[M]>, transfer: Transferable[] = []) =>
    bridge.call((remote) => {
      const wire = (args as unknown[]).map((arg) => (transfer.includes(arg as Transferable) ? Comlink.transfer(arg, [arg as Transferable]) : arg));
      return (remote[method] as unknown as (...a: unknown[]) => Promise<Awaited<ReturnType<LocalCatalogApi[M]>>>)(...wire);
    });
  return call as LocalCall;
}
