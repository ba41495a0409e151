/**
 * Fault injection (docs/testing.md, `lookalike.debug.fillStorage`): from now
 * on every IndexedDB write in this realm (page or worker) fails the way it
 * does on a full disk, with a QuotaExceededError, until the page is reloaded.
 * Chromium's own quota override (CDP Storage.overrideQuotaForOrigin) has no
 * effect in the headless Chromium the tests run, hence this hook.
 */
export function failIndexedDbWrites(): void {
  if (typeof IDBObjectStore === 'undefined') return;
  const proto = IDBObjectStore.prototype as unknown as Record<'put' | 'add', unknown>;
  for (const method of ['put', 'add'] as const) {
    proto[method] = function full(): never {
      throw new DOMException('The quota has been exceeded (simulated full disk: lookalike.debug.fillStorage).', 'QuotaExceededError');
    };
  }
}
