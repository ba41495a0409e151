/** A full disk for the IndexedDB tests (fake-indexeddb): writes to one object store refused with QuotaExceededError. */

const restorers: (() => void)[] = [];

/** Makes IndexedDB refuse writes (put and add) to `storeName`, as a full disk does, while `when()` holds, until restoreQuota(). */
export function quotaOn(storeName: string, when: () => boolean = () => true): void {
  const proto = (globalThis as unknown as { IDBObjectStore: { prototype: IDBObjectStore } }).IDBObjectStore.prototype;
  for (const method of ['put', 'add'] as const) {
    const real = proto[method];
    proto[method] = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === storeName && when()) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return real.apply(this, args);
    };
    restorers.push(() => {
      proto[method] = real;
    });
  }
}

/** Undoes every quotaOn, latest first. */
export function restoreQuota(): void {
  for (const r of restorers.splice(0).reverse()) r();
}
