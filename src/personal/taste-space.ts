/**
 * The space taste is measured in: the catalog's embeddings with the catalog's
 * mean embedding subtracted. Image embeddings are often strongly anisotropic
 * (every vector shares a large common component: in the H&M sample catalog
 * the mean embedding has norm 0.98 and two random items have cosine 0.95), so
 * raw cosines barely tell items apart; centred cosines do. Computed once per
 * catalog; no centred copy of the catalog is kept (two dot products per item).
 */
import type { CatalogView, EmbeddingLookup } from './types.ts';

export interface TasteSpace {
  /** The mean embedding subtracted before comparing, or null for raw cosines. */
  mean: Float32Array | null;
  /** |mean|². */
  meanNorm2: number;
}

export const RAW_SPACE: TasteSpace = Object.freeze({ mean: null, meanNorm2: 0 });

/** The centred space of a set of vectors (their mean). */
export function tasteSpaceFromVectors(vectors: Iterable<Float32Array>): TasteSpace {
  let mean: Float64Array | null = null;
  let n = 0;
  for (const v of vectors) {
    if (!mean) mean = new Float64Array(v.length);
    if (v.length !== mean.length) throw new RangeError(`vector length ${v.length} differs from ${mean.length}`);
    for (let i = 0; i < v.length; i++) mean[i]! += v[i]!;
    n++;
  }
  if (!mean || n === 0) return RAW_SPACE;
  const m = new Float32Array(mean.length);
  let norm2 = 0;
  for (let i = 0; i < m.length; i++) {
    m[i] = mean[i]! / n;
    norm2 += m[i]! * m[i]!;
  }
  return { mean: m, meanNorm2: norm2 };
}

const cache = new WeakMap<CatalogView, TasteSpace>();

/** The catalog's centred space (cached per catalog object). */
export function tasteSpaceOf(catalog: CatalogView): TasteSpace {
  let space = cache.get(catalog);
  if (!space) {
    space = tasteSpaceFromVectors(
      (function* () {
        for (const it of catalog.items) {
          const e = catalog.embedding(it.id);
          if (e) yield e;
        }
      })(),
    );
    cache.set(catalog, space);
  }
  return space;
}

/** e − mean, L2-normalised (a fresh array). */
export function centred(space: TasteSpace, e: Float32Array): Float32Array {
  const out = new Float32Array(e.length);
  const m = space.mean;
  if (m && m.length !== e.length) throw new RangeError(`embedding length ${e.length} differs from the space's ${m.length}`);
  let s = 0;
  for (let i = 0; i < e.length; i++) {
    out[i] = m ? e[i]! - m[i]! : e[i]!;
    s += out[i]! * out[i]!;
  }
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < e.length; i++) out[i]! *= inv;
  return out;
}

/**
 * Cosine of (x − mean) with a unit vector u given in the centred space;
 * `uDotMean` = u·mean (precomputed). Two dot products, no allocation.
 */
export function centredCosine(space: TasteSpace, x: Float32Array, u: Float32Array, uDotMean: number): number {
  if (x.length !== u.length) throw new RangeError(`embedding length ${x.length} differs from ${u.length}`);
  let xu = 0;
  let xx = 0;
  let xm = 0;
  const m = space.mean;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    xu += xi * u[i]!;
    xx += xi * xi;
    if (m) xm += xi * m[i]!;
  }
  const norm2 = xx - 2 * xm + space.meanNorm2;
  return norm2 > 1e-12 ? (xu - uDotMean) / Math.sqrt(norm2) : 0;
}

/** u·mean (0 in the raw space). */
export function dotMean(space: TasteSpace, u: Float32Array): number {
  const m = space.mean;
  if (!m) return 0;
  let s = 0;
  for (let i = 0; i < u.length; i++) s += u[i]! * m[i]!;
  return s;
}

/** Centred cosine between two items. */
export function spaceCosine(space: TasteSpace, a: Float32Array, b: Float32Array): number {
  const ca = centred(space, a);
  return centredCosine(space, b, ca, dotMean(space, ca));
}

/** An embedding lookup returning centred unit vectors (for tools that cluster in the taste space). */
export function centredLookup(space: TasteSpace, embedding: EmbeddingLookup): EmbeddingLookup {
  return (id) => {
    const e = embedding(id);
    return e ? centred(space, e) : undefined;
  };
}
