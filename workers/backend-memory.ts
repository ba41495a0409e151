/**
 * The measured backend choice, remembered in IndexedDB (via `idb`) so later visits start on it without
 * measuring again. Keyed by what the measurement depends on: the ensemble, the browser (user agent, so an
 * update measures again) and the GPUs' descriptions (a new GPU or driver measures again).
 *
 *  v1  choices  keyPath `key`  RememberedChoice
 */
import { openDB, type DBSchema } from 'idb';
import type { BackendMeasurement, BackendName, GpuIdentity } from '../src/shared/worker-api/models.ts';

export const BACKEND_DB_NAME = 'lookalike-backend-choice';

export interface RememberedChoice {
  key: string;
  backend: BackendName;
  measurements: BackendMeasurement[];
  gpu?: GpuIdentity;
  choiceMs: number;
  measuredAt: number;
}

interface ChoiceDb extends DBSchema {
  choices: { key: string; value: RememberedChoice };
}

export function choiceKey(ensembleId: string, userAgent: string, gpus: GpuIdentity[]): string {
  return JSON.stringify([ensembleId, userAgent, gpus.map((g) => `${g.backend}: ${g.description}`)]);
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
