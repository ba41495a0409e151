/** Personal ranking, all on the device: the API the UI uses. See docs/personalisation.md. */
export { PersonalDb, type NewEvent, type OpenPersonalDbOptions, type PersonalDbStatus } from './db.ts';
export {
  PersonalDbError,
  PersonalDbClosedError,
  PersonalDbVersionError,
  PersonalImportError,
  PersonalQuotaError,
} from './errors.ts';
export { DB_NAME, DB_VERSION, type EventRecord, type EventType, type OnboardingState, type PreferenceRecord, type WishlistRecord } from './schema.ts';
export { DEFAULT_RANKING_SETTINGS, resolveRankingSettings, type RankingSettings, type RankingSettingsPatch, type SignalWeights } from './settings.ts';
export type { CatalogItemInfo, CatalogView, EmbeddingLookup, PersonalSignals } from './types.ts';
export { buildCatalogProfile, buildTasteProfile, decayFactor, tasteSimilarity, type TasteProfile } from './profile.ts';
export { tasteSpaceOf, type TasteSpace } from './taste-space.ts';
export { explain, explainScores, rerank, type RankedResult, type RerankOptions, type VisualCandidate } from './rerank.ts';
export { defaultRanking, excludedItems, forYou, type ForYouOptions, type ForYouResult } from './for-you.ts';
export { goesWith, type GoesWithGroup, type GoesWithItem, type GoesWithOptions } from './goes-with.ts';
export { DEFAULT_COMPATIBILITY, complementsOf, resolveCompatibility, type CompatibilityMatrix } from './compatibility.ts';
export { completeOnboarding, needsOnboarding, onboardingCandidates, skipOnboarding } from './onboarding.ts';
export {
  deleteAllPersonalData,
  exportPersonalData,
  exportToJson,
  importPersonalData,
  parsePersonalDataExport,
  type ImportMode,
  type ImportSummary,
  type PersonalDataExport,
} from './export.ts';
export { ClusterFileError, assignCluster, parseClusterFile, type ClusterAssignment, type ClusterFile } from './clusters.ts';
export { loadPersonalContext, type PersonalContext } from './context.ts';
