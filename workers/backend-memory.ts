/**
 * The measured backend choice, remembered in IndexedDB (via `idb`) so later visits start on it without
 * measuring again. Keyed by the ensemble and the browser (user agent, so an update measures again); the record
 * also holds the GPUs' descriptions it was measured with, and a visit whose GPU answers with others (a new GPU or
 * driver) measures again (workers/backend-choice.ts).
 *
 *  v1  choices  keyPath `key`  RememberedChoice
 */
import { openDB, type DBSchema } from 'idb';
import type { BackendMeasurement, BackendName, GpuIdentity } from '../src/shared/worker-api/models.ts';

export const BACKEND_DB_NAME = 'lookalike-backend-choice';

export interface RememberedChoice {
  key: string;
  /** gpuSignature() of the GPUs it was measured with. */
  gpus: string[];
  backend: BackendName;
  measurements: BackendMeasurement[];
  gpu?: GpuIdentity;
  choiceMs: number;
  measuredAt: number;
}

interface ChoiceDb extends DBSchema {
  choices: { key: string; value: RememberedChoice };
}

export function choiceKey(ensembleId: string, userAgent: string): string {
  return JSON.stringify([ensembleId, userAgent]);
}

/** The GPUs as remembered: which backend sees which adapter or renderer. */
export function gpuSignature(gpus: GpuIdentity[]): string[] {
  return gpus.map((g) => `${g.backend}: ${g.description}`);
}

/** True when the GPUs answer as they did when the choice was measured. */
export function sameGpus(remembered: RememberedChoice, gpus: GpuIdentity[]): boolean {
  return JSON.stringify(remembered.gpus) === JSON.stringify(gpuSignature(gpus));
}

const open = () =>
  openDB<ChoiceDb>(BACKEND_DB_NAME, 1, {
    upgrade(db) {
      db.createObjectStore('choices', { keyPath: 'key' });
    },
  });

/** The remembered choice for `key`, or undefined (also when storage is unavailable: then the app just measures). */
export async function recallChoice(key: string): Promise<RememberedChoice | undefined> {
  try {
    const db = await open();
    try {
      return await db.get('choices', key);
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

/** Remembers a choice; storage that fails (private mode, quota) only means measuring again next time. */
export async function rememberChoice(choice: RememberedChoice): Promise<void> {
  try {
    const db = await open();
    try {
      await db.put('choices', choice);
    } finally {
      db.close();
    }
  } catch {
    /* measured again on the next visit */
  }
}

/** Forgets every remembered choice (the next load measures again). */
export async function forgetChoices(): Promise<void> {
  try {
    const db = await open();
    try {
      await db.clear('choices');
    } finally {
      db.close();
    }
  } catch {
    /* nothing to forget */
  }
}
