/** Describes artifact files (size + sha256) and writes model-artifacts/shipped/manifest.json deterministically. */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest, type ArtifactFile, type ModelEntry, type ModelManifest } from '../../src/shared/manifest.ts';
import { MANIFEST_PATH, SHIPPED_DIR } from './model-artifacts.ts';

export function describeFile(relPath: string, root = SHIPPED_DIR): ArtifactFile {
  const data = readFileSync(join(root, relPath));
  return { path: relPath, bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') };
}

/**
 * The ensemble id: a digest of every file that shapes the embedding (backbones and projection), so a catalog
 * built with other weights is detectable. Category heads do not shape it: retraining them keeps catalogs valid.
 */
export function ensembleIdOf(manifest: Omit<ModelManifest, 'ensembleId'>): string {
  const hash = createHash('sha256');
  for (const m of manifest.models.filter((x) => x.role === 'backbone')) for (const f of m.files) hash.update(f.sha256);
  for (const f of manifest.projection?.files ?? []) hash.update(f.sha256);
  return `lookalike-${hash.digest('hex').slice(0, 16)}`;
}

export function readManifest(): ModelManifest {
  return parseManifest(JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')));
}

/** A manifest with new models and everything else (labels, heads, vote weights, projection, views) kept as it was. */
export function withModels(previous: Partial<ModelManifest>, models: ModelEntry[]): Omit<ModelManifest, 'ensembleId'> {
  const { models: _oldModels, ensembleId: _oldId, ...trained } = previous;
  return { formatVersion: 1, models, ...trained };
}

export function writeManifest(manifest: Omit<ModelManifest, 'ensembleId'>): ModelManifest {
  const full = parseManifest({ ...manifest, ensembleId: ensembleIdOf(manifest) });
  // Key order is fixed by construction, so the bytes are reproducible.
  writeFileSync(MANIFEST_PATH, `${JSON.stringify({ ...manifest, formatVersion: full.formatVersion, ensembleId: full.ensembleId }, null, 2)}\n`);
  return full;
}
