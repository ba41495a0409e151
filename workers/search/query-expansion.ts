/**
 * Average query expansion (AQE) and its weighted form αQE (Radenović et al.):
 * the new query is the query plus its top-n neighbours, each weighted by
 * max(score, 0)^α (α = 0: a plain mean), L2-normalised. Realm-neutral.
 */
import type { QueryExpansion } from '../../src/shared/worker-api/search.ts';

export type { QueryExpansion };

export function expandQuery(query: Float32Array, neighbours: readonly Float32Array[], scores: readonly number[], alpha = 0): Float32Array {
  const out = Float64Array.from(query);
  neighbours.forEach((v, r) => {
    if (v.length !== query.length) throw new RangeError(`query expansion: neighbour of ${v.length} values for a query of ${query.length}`);
    const w = alpha === 0 ? 1 : Math.max(scores[r] ?? 0, 0) ** alpha;
    for (let j = 0; j < v.length; j++) out[j]! += w * v[j]!;
  });
  let norm = 0;
  for (let j = 0; j < out.length; j++) norm += out[j]! * out[j]!;
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return Float32Array.from(out, (x) => x * inv);
}
