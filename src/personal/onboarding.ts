/**
 * First use: show a few varied items, store the ones the shopper likes as
 * preferences (or remember that they skipped). Skippable; asked once per catalog.
 */
import type { PersonalDb } from './db.ts';
import { defaultRanking } from './for-you.ts';
import type { CatalogView } from './types.ts';

/** Whether to show the onboarding picker for this catalog. */
export async function needsOnboarding(db: PersonalDb, catalogId: string): Promise<boolean> {
  return (await db.getOnboardingState(catalogId)) === 'pending';
}

/** Items to offer at onboarding: varied across categories, the most typical of each first (deterministic). */
export function onboardingCandidates(catalog: CatalogView, count = 12): string[] {
  return defaultRanking(catalog, new Set(), count);
}

/** Stores the picked items (replacing earlier picks) and marks onboarding done. No picks counts as skipping. */
export async function completeOnboarding(db: PersonalDb, catalogId: string, pickedItemIds: readonly string[], at: number = Date.now()): Promise<void> {
  if (pickedItemIds.length === 0) return skipOnboarding(db, catalogId);
  await db.savePreferences(catalogId, pickedItemIds, at);
}

export async function skipOnboarding(db: PersonalDb, catalogId: string): Promise<void> {
  await db.setOnboardingState(catalogId, 'skipped');
}
