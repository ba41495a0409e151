/**
 * The folders of model-artifacts/: what ships to the browser, what the shipped files are built from, and what
 * was measured. The model card (model-artifacts/MODEL_CARD.md) describes all three.
 */
import { join, resolve } from 'node:path';

export const ARTIFACTS_DIR = resolve(import.meta.dirname, '../../model-artifacts');
/**
 * What the app downloads: manifest.json and every file it names (backbones, heads, projection; vgg19/ when a
 * user converted it). The app and widget builds copy this folder whole to models/, and the dev server serves it there.
 */
export const SHIPPED_DIR = join(ARTIFACTS_DIR, 'shipped');
export const MANIFEST_PATH = join(SHIPPED_DIR, 'manifest.json');
/** Training outputs that `npm run models:build` converts into shipped files; kept in the repository, never downloaded. */
export const TRAINING_DIR = join(ARTIFACTS_DIR, 'training');
/** Measurements behind the model card (metrics.json, quantisation.json) and the held-out list `npm run eval` reads. */
export const REPORTS_DIR = join(ARTIFACTS_DIR, 'reports');
