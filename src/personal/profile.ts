/**
 * The taste profile: one unit vector in the catalog's taste space (embeddings
 * centred on the catalog mean, see taste-space.ts), the weighted, time-decayed
 * sum of what the shopper wishlisted, picked at onboarding, clicked and
 * viewed, minus what they dismissed:
 *
 *   profile = normalise( Σ_signals  weight(kind) · 0.5^(age / halfLife) · centred(embedding(item)) )
 *
 * Wishlist entries count from when they were added (the wishlist store is the
 * truth: an item removed from it no longer counts); every click, view and
 * dismiss event counts on its own.
 */
import { l2Normalize } from '../shared/vector.ts';
import type { RankingSettings, SignalWeights } from './settings.ts';
import { RAW_SPACE, centred, centredCosine, dotMean, tasteSpaceOf, type TasteSpace } from './taste-space.ts';
import type { CatalogView, EmbeddingLookup, PersonalSignals } from './types.ts';

const DAY_MS = 86_400_000;

export type SignalKind = keyof SignalWeights;

export interface WeightedSignal {
  itemId: string;
  kind: SignalKind;
  /** Signal weight × decay; negative for dismissals. */
  weight: number;
}

export interface TasteProfile {
  /** Unit vector, or null when there is no positive signal with an embedding (no history yet). */
  vector: Float32Array | null;
  /** Σ of the positive decayed weights that went in. */
  positiveWeight: number;
  /** Σ of |negative| decayed weights that went in. */
  negativeWeight: number;
  /** 0…1: positiveWeight / confidenceSaturation, capped. Scales how much taste moves a photo search. */
  confidence: number;
  /** Number of signals with an embedding that went in. */
  signalCount: number;
  /** The space `vector` lives in (item embeddings are centred the same way before comparing). */
  space: TasteSpace;
  /** vector · space.mean, precomputed for `tasteSimilarity`. */
  meanDot: number;
}

export const EMPTY_PROFILE: TasteProfile = Object.freeze({
  vector: null,
  positiveWeight: 0,
  negativeWeight: 0,
  confidence: 0,
  signalCount: 0,
  space: RAW_SPACE,
  meanDot: 0,
});

/** 0.5^(age / half-life); ages in the future (clock changes) count as now. */
export function decayFactor(ageMs: number, halfLifeDays: number): number {
  return 0.5 ** (Math.max(0, ageMs) / (halfLifeDays * DAY_MS));
}

/** Every signal with its decayed weight (signals whose weight is 0 are left out). */
export function weightedSignals(signals: PersonalSignals, settings: RankingSettings, now: number = Date.now()): WeightedSignal[] {
  const { weights, halfLifeDays } = settings;
  const out: WeightedSignal[] = [];
  const push = (itemId: string, kind: SignalKind, at: number) => {
    const w = weights[kind] * decayFactor(now - at, halfLifeDays);
    if (w !== 0) out.push({ itemId, kind, weight: w });
  };
  for (const w of signals.wishlist) push(w.itemId, 'wishlist', w.addedAt);
  for (const p of signals.preferences) push(p.itemId, 'preference', p.pickedAt);
  for (const e of signals.events) {
    if (e.type === 'click' || e.type === 'view' || e.type === 'dismiss') push(e.itemId, e.type, e.at);
  }
  return out;
}

/** Builds the profile from weighted signals (items without an embedding are skipped). */
export function profileFromSignals(
  list: readonly WeightedSignal[],
  embedding: EmbeddingLookup,
  confidenceSaturation: number,
  space: TasteSpace = RAW_SPACE,
): TasteProfile {
  let sum: Float32Array | null = null;
  let positive = 0;
  let negative = 0;
  let count = 0;
  for (const s of list) {
    const raw = embedding(s.itemId);
    if (!raw) continue;
    const e = centred(space, raw);
    if (!sum) sum = new Float32Array(e.length);
    else if (e.length !== sum.length) throw new RangeError(`embedding of "${s.itemId}" has length ${e.length}, expected ${sum.length}`);
    for (let i = 0; i < e.length; i++) sum[i]! += s.weight * e[i]!;
    if (s.weight > 0) positive += s.weight;
    else negative -= s.weight;
    count++;
  }
  if (!sum || positive <= 0) return { ...EMPTY_PROFILE, space, negativeWeight: negative, signalCount: count };
  const vector = l2Normalize(sum);
  const usable = vector.some((x) => x !== 0);
  return {
    vector: usable ? vector : null,
    positiveWeight: positive,
    negativeWeight: negative,
    confidence: usable ? Math.min(1, positive / confidenceSaturation) : 0,
    signalCount: count,
    space,
    meanDot: usable ? dotMean(space, vector) : 0,
  };
}

/** The shopper's taste profile at time `now`, from an embedding lookup, in `space` (raw cosines by default). */
export function buildTasteProfile(
  signals: PersonalSignals,
  embedding: EmbeddingLookup,
  settings: RankingSettings,
  now: number = Date.now(),
  space: TasteSpace = RAW_SPACE,
): TasteProfile {
  return profileFromSignals(weightedSignals(signals, settings, now), embedding, settings.confidenceSaturation, space);
}

/** The shopper's taste profile for a catalog, in the catalog's centred taste space. What the app uses. */
export function buildCatalogProfile(signals: PersonalSignals, catalog: CatalogView, settings: RankingSettings, now: number = Date.now()): TasteProfile {
  return buildTasteProfile(signals, (id) => catalog.embedding(id), settings, now, tasteSpaceOf(catalog));
}

/** Cosine of an item (centred like the profile) to the profile, or null without a profile or embedding. */
export function tasteSimilarity(profile: TasteProfile, itemEmbedding: Float32Array | undefined): number | null {
  const v = profile.vector;
  if (!v || !itemEmbedding) return null;
  if (itemEmbedding.length !== v.length) throw new RangeError(`embedding length ${itemEmbedding.length} differs from the profile's ${v.length}`);
  return centredCosine(profile.space, itemEmbedding, v, profile.meanDot);
}
