/**
 * Ranking settings: signal weights, time decay and the blend of visual
 * similarity with taste. Defaults are documented in docs/personalisation.md;
 * the shopper's overrides are stored in IndexedDB (`settings` store, key `ranking`).
 */
import { quoted } from '../shared/errors.ts';

export interface SignalWeights {
  /** An item on the wishlist (decays from when it was added). */
  wishlist: number;
  /** An item picked as liked at onboarding. */
  preference: number;
  /** A click on a result (each click counts). */
  click: number;
  /** A result that was shown and looked at. */
  view: number;
  /** "Not for me": negative, pushes the profile away from the item. */
  dismiss: number;
}

export interface RankingSettings {
  weights: SignalWeights;
  /** Half-life of every signal, in days: a signal this old counts half. */
  halfLifeDays: number;
  /** β: how much taste moves a photo search, 0 (photo only) … 1 (taste only). */
  beta: number;
  /** Positive (decayed) signal weight at which the profile is fully trusted; below it β is scaled down. */
  confidenceSaturation: number;
  /** Weight of "shoppers like you" favourites in For-you (0 turns it off). */
  clusterWeight: number;
}

export const DEFAULT_RANKING_SETTINGS: Readonly<RankingSettings> = Object.freeze({
  weights: Object.freeze({ wishlist: 1.0, preference: 0.7, click: 0.3, view: 0.05, dismiss: -0.5 }),
  halfLifeDays: 14,
  beta: 0.25,
  confidenceSaturation: 1.0,
  clusterWeight: 0.1,
}) as Readonly<RankingSettings>;

export type RankingSettingsPatch = Partial<Omit<RankingSettings, 'weights'>> & { weights?: Partial<SignalWeights> };

/** Defaults with a patch applied (a fresh object). */
export function resolveRankingSettings(...patches: (RankingSettingsPatch | undefined)[]): RankingSettings {
  const out: RankingSettings = { ...DEFAULT_RANKING_SETTINGS, weights: { ...DEFAULT_RANKING_SETTINGS.weights } };
  for (const p of patches) {
    if (!p) continue;
    const { weights, ...rest } = p;
    Object.assign(out, rest);
    if (weights) Object.assign(out.weights, weights);
  }
  return out;
}

/** Merges two patches (b wins), weights merged field by field. */
export function mergeRankingPatches(a: RankingSettingsPatch, b: RankingSettingsPatch): RankingSettingsPatch {
  const out: RankingSettingsPatch = { ...a, ...b };
  if (a.weights || b.weights) out.weights = { ...a.weights, ...b.weights };
  return out;
}

const RANGES: Record<Exclude<keyof RankingSettings, 'weights'>, [number, number]> = {
  halfLifeDays: [0.01, 3650],
  beta: [0, 1],
  confidenceSaturation: [0.001, 1000],
  clusterWeight: [0, 1],
};
/**
 * Settings earlier versions stored and exported, now retired: accepted and ignored, so an old
 * export still imports. `gamma` was the page's own category bonus, folded into the worker's
 * category prior (the one category term; the v4 database migration drops it from storage).
 */
export const RETIRED_RANKING_KEYS: readonly string[] = ['gamma'];
const WEIGHT_KEYS: (keyof SignalWeights)[] = ['wishlist', 'preference', 'click', 'view', 'dismiss'];
/** Most problems one check lists, and most entries an object of settings or weights may have before it is refused unread. */
const MAX_PROBLEMS = 20;
const MAX_SETTING_ENTRIES = 100;

/**
 * Checks an untrusted patch (from storage or an import file); returns the
 * patch with only known keys, or a list of problems.
 */
export function validateRankingPatch(value: unknown): { ok: true; patch: RankingSettingsPatch } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(text);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problems: ['ranking settings must be an object'] };
  const entries = Object.entries(value as Record<string, unknown>);
  // Only own keys count ("__proto__", "constructor" are unknown settings like any other name).
  if (entries.length > MAX_SETTING_ENTRIES)
    return {
      ok: false,
      problems: [`ranking settings have ${entries.length.toLocaleString('en')} entries; there are ${Object.keys(RANGES).length + 1} settings`],
    };
  const patch: RankingSettingsPatch = {};
  for (const [key, v] of entries) {
    if (key === 'weights') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        problem('weights must be an object');
        continue;
      }
      const weights = Object.entries(v as Record<string, unknown>);
      if (weights.length > MAX_SETTING_ENTRIES) {
        problem(`weights have ${weights.length.toLocaleString('en')} entries; there are ${WEIGHT_KEYS.length} weights`);
        continue;
      }
      const w: Partial<SignalWeights> = {};
      for (const [wk, wv] of weights) {
        if (!WEIGHT_KEYS.includes(wk as keyof SignalWeights)) problem(`unknown weight ${quoted(wk)} (known: ${WEIGHT_KEYS.join(', ')})`);
        else if (typeof wv !== 'number' || !Number.isFinite(wv) || Math.abs(wv) > 100) problem(`weight "${wk}" must be a number in −100…100`);
        else w[wk as keyof SignalWeights] = wv;
      }
      patch.weights = w;
    } else if (RETIRED_RANKING_KEYS.includes(key)) {
    } else if (Object.hasOwn(RANGES, key)) {
      const [lo, hi] = RANGES[key as keyof typeof RANGES];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) problem(`"${key}" must be a number in ${lo}…${hi}`);
      else (patch as Record<string, number>)[key] = v;
    } else problem(`unknown setting ${quoted(key)} (known: weights, ${Object.keys(RANGES).join(', ')})`);
  }
  return problems.length ? { ok: false, problems } : { ok: true, patch };
}
