/**
 * One call for the UI: everything needed to personalise a screen for one
 * catalog (signals, settings, profile, and the matching "shoppers like you" cluster).
 */
import { assignCluster, type ClusterAssignment, type ClusterFile } from './clusters.ts';
import type { PersonalDb } from './db.ts';
import { buildCatalogProfile, type TasteProfile } from './profile.ts';
import type { RankingSettings } from './settings.ts';
import type { CatalogView, PersonalSignals } from './types.ts';

export interface PersonalContext {
  signals: PersonalSignals;
  settings: RankingSettings;
  profile: TasteProfile;
  /** Null without a cluster file, without history, or when the file's dimension does not match. */
  cluster: ClusterAssignment | null;
}

export async function loadPersonalContext(
  db: PersonalDb,
  catalog: CatalogView,
  clusterFile: ClusterFile | null = null,
  now: number = Date.now(),
): Promise<PersonalContext> {
  const [signals, settings] = await Promise.all([db.loadSignals(catalog.id), db.getRankingSettings()]);
  const profile = buildCatalogProfile(signals, catalog, settings, now);
  const cluster = clusterFile && settings.clusterWeight > 0 ? assignCluster(profile, clusterFile) : null;
  return { signals, settings, profile, cluster };
}
