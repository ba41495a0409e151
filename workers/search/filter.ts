/** Search filters (category, or an explicit set of items) resolved to a per-item mask. */

export interface SearchFilter {
  /** Only items whose category is one of these. */
  categories?: readonly string[];
  /** Only these item indices (catalog order). */
  indices?: Iterable<number>;
}

/**
 * One byte per item, 1 where the item may be returned; undefined when the
 * filter lets everything through. Categories and indices together intersect.
 */
export function filterMask(filter: SearchFilter | undefined, items: readonly { category?: string }[]): Uint8Array | undefined {
  if (!filter || (filter.categories === undefined && filter.indices === undefined)) return undefined;
  const n = items.length;
  let mask: Uint8Array | undefined;
  if (filter.categories !== undefined) {
    const wanted = new Set(filter.categories);
    mask = new Uint8Array(n);
    for (let i = 0; i < n; i++) if (wanted.has(items[i]!.category ?? '')) mask[i] = 1;
  }
  if (filter.indices !== undefined) {
    const only = new Uint8Array(n);
    for (const i of filter.indices) {
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`filter: item index ${i} is outside the catalog (0–${n - 1})`);
      only[i] = 1;
    }
    if (mask) for (let i = 0; i < n; i++) mask[i]! &= only[i]!;
    else mask = only;
  }
  return mask;
}

export function countAllowed(mask: Uint8Array | undefined, n: number): number {
  if (!mask) return n;
  let c = 0;
  for (let i = 0; i < mask.length; i++) c += mask[i]!;
  return c;
}
