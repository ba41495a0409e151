/**
 * Privacy controls: export all personal data as one JSON file, import it back
 * (validated; merged into or replacing what is stored), delete everything.
 * Each of these runs in one transaction: an import that fails changes nothing.
 */
import type { PersonalDb } from './db.ts';
import { PersonalImportError } from './errors.ts';
import { errorMessage, quoted } from '../shared/errors.ts';
import {
  DB_VERSION,
  DEFAULT_LEGACY_CATALOG_ID,
  EVENT_TYPES,
  RANKING_SETTINGS_KEY,
  STORE_NAMES,
  onboardingKey,
  type EventRecord,
  type EventType,
  type PreferenceRecord,
  type SettingRecord,
  type WishlistRecord,
} from './schema.ts';
import { mergeRankingPatches, validateRankingPatch, type RankingSettingsPatch } from './settings.ts';

export const EXPORT_FORMAT = 'lookalike-personal-data';

export interface PersonalDataExport {
  format: typeof EXPORT_FORMAT;
  /** The database schema version the data was exported from (1…DB_VERSION are accepted on import). */
  schemaVersion: number;
  /** ISO time of the export. */
  exportedAt: string;
  events: EventRecord[];
  wishlist: WishlistRecord[];
  preferences: PreferenceRecord[];
  settings: SettingRecord[];
}

export type ImportMode = 'merge' | 'replace';

export interface ImportSummary {
  mode: ImportMode;
  events: number;
  wishlist: number;
  preferences: number;
  settings: number;
}

/** Everything stored, read in one transaction. */
export async function exportPersonalData(db: PersonalDb, now: Date = new Date()): Promise<PersonalDataExport> {
  const [events, wishlist, preferences, settings] = await db.run(STORE_NAMES, 'readonly', (tx, queue) =>
    Promise.all([
      queue(tx.objectStore('events').getAll()),
      queue(tx.objectStore('wishlist').getAll()),
      queue(tx.objectStore('preferences').getAll()),
      queue(tx.objectStore('settings').getAll()),
    ]),
  );
  return { format: EXPORT_FORMAT, schemaVersion: DB_VERSION, exportedAt: now.toISOString(), events, wishlist, preferences, settings };
}

/** The export as a JSON file's text (and a file name for the download). */
export function exportToJson(data: PersonalDataExport): { fileName: string; text: string } {
  return { fileName: `lookalike-personal-data-${data.exportedAt.slice(0, 10)}.json`, text: JSON.stringify(data, null, 1) };
}

/** Deletes all personal data on this device. */
export async function deleteAllPersonalData(db: PersonalDb): Promise<void> {
  await db.clearAll();
}

// ---- validation ----------------------------------------------------------

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// What an import file may hold, generous for years of use on one device; anything beyond is refused, so an
// import costs time and storage in proportion to what it really carries.
/** Longest item id or catalog id. */
export const MAX_IMPORT_ID_LENGTH = 1000;
/** Longest setting key: "onboarding:" and a catalog id. */
export const MAX_SETTING_KEY_LENGTH = 'onboarding:'.length + MAX_IMPORT_ID_LENGTH;
/** Most records of each kind. */
export const MAX_IMPORT_RECORDS = { events: 500_000, wishlist: 100_000, preferences: 100_000, settings: 10_000 } as const;
/** Largest import file, in characters of JSON text. */
export const MAX_IMPORT_TEXT_LENGTH = 200 * 1024 * 1024;
/** Latest time a record may carry (the largest a Date holds), and the earliest (the epoch). */
const MAX_TIME = 8.64e15;

/** What is wrong with an id (item or catalog), in words following its path; undefined when it is fine. */
function idProblem(v: unknown): string | undefined {
  if (typeof v !== 'string') return 'must be a non-empty string';
  if (v.length === 0) return 'is empty';
  if (v.length > MAX_IMPORT_ID_LENGTH) return `is too long (${v.length.toLocaleString('en')} characters; at most ${MAX_IMPORT_ID_LENGTH.toLocaleString('en')})`;
  return undefined;
}
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_TIME;

/**
 * Checks a parsed (or raw JSON text) export and returns it in the current
 * shape; exports of earlier schema versions (no catalog ids) are upgraded,
 * giving their records `legacyCatalogId`. Throws PersonalImportError listing
 * the problems in plain words. Every string and list is bounded (see the
 * limits above) and checked before it is used, so a hostile file is refused
 * in time proportional to its size and never stored.
 */
export function parsePersonalDataExport(input: unknown, legacyCatalogId: string = DEFAULT_LEGACY_CATALOG_ID): PersonalDataExport {
  let json = input;
  if (typeof input === 'string') {
    if (input.length > MAX_IMPORT_TEXT_LENGTH) {
      throw new PersonalImportError([
        `the file is too large (${Math.round(input.length / 1024 / 1024)} MB; at most ${MAX_IMPORT_TEXT_LENGTH / 1024 / 1024} MB)`,
      ]);
    }
    try {
      json = JSON.parse(input);
    } catch (e) {
      throw new PersonalImportError([`not JSON (${errorMessage(e)})`]);
    }
  }
  const problems: string[] = [];
  const bad = (msg: string) => {
    if (problems.length < 50) problems.push(msg);
  };
  if (!isObj(json)) throw new PersonalImportError(['the file is not a JSON object']);
  if (json.format !== EXPORT_FORMAT) throw new PersonalImportError([`format must be "${EXPORT_FORMAT}"`]);
  const version = json.schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new PersonalImportError(['schemaVersion must be a positive integer']);
  if (version > DB_VERSION) throw new PersonalImportError([`made by a newer Lookalike (schema ${version}; this one reads up to ${DB_VERSION}) — update first`]);
  const legacy = version < 3;
  const catalogOf = (r: Record<string, unknown>, path: string): string => {
    const c = r.catalogId;
    if (legacy && c === undefined) return legacyCatalogId;
    const problem = idProblem(c);
    if (!problem) return c as string;
    bad(`${path}.catalogId ${problem}`);
    return '';
  };
  const itemOf = (r: Record<string, unknown>, path: string): string => {
    const problem = idProblem(r.itemId);
    if (!problem) return r.itemId as string;
    bad(`${path}.itemId ${problem}`);
    return '';
  };
  const list = (key: keyof typeof MAX_IMPORT_RECORDS): Record<string, unknown>[] => {
    const v = Object.hasOwn(json, key) ? json[key] : undefined;
    if (v === undefined && (key === 'preferences' || key === 'settings') && version < 2) return [];
    if (!Array.isArray(v)) {
      bad(`${key} must be an array`);
      return [];
    }
    const max = MAX_IMPORT_RECORDS[key];
    if (v.length > max) {
      bad(`${key} has ${v.length.toLocaleString('en')} entries; at most ${max.toLocaleString('en')} can be imported`);
      return [];
    }
    return v.map((r, i) => {
      if (!isObj(r)) bad(`${key}[${i}] must be an object`);
      return isObj(r) ? r : {};
    });
  };

  const ids = new Set<number>();
  const events: EventRecord[] = list('events').map((r, i) => {
    const p = `events[${i}]`;
    if (!EVENT_TYPES.includes(r.type as EventType)) bad(`${p}.type must be one of ${EVENT_TYPES.join(', ')}`);
    const itemId = itemOf(r, p);
    if (!isTime(r.at)) bad(`${p}.at must be a time (epoch ms)`);
    const rec: EventRecord = { type: r.type as EventType, catalogId: catalogOf(r, p), itemId, at: r.at as number };
    const id = r.id;
    if (id !== undefined) {
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) bad(`${p}.id must be a positive integer`);
      else if (ids.has(id)) bad(`${p}.id ${id} appears twice`);
      else {
        ids.add(id);
        rec.id = id;
      }
    }
    return rec;
  });

  const keyed = <T>(key: 'wishlist' | 'preferences', timeKey: 'addedAt' | 'pickedAt', make: (catalogId: string, itemId: string, at: number) => T): T[] => {
    const seen = new Set<string>();
    return list(key).map((r, i) => {
      const p = `${key}[${i}]`;
      const catalogId = catalogOf(r, p);
      const itemId = itemOf(r, p);
      if (!isTime(r[timeKey])) bad(`${p}.${timeKey} must be a time (epoch ms)`);
      const k = `${catalogId}\u0000${itemId}`;
      if (seen.has(k)) bad(`${p} is a duplicate`);
      seen.add(k);
      return make(catalogId, itemId, r[timeKey] as number);
    });
  };
  const wishlist = keyed('wishlist', 'addedAt', (catalogId, itemId, addedAt): WishlistRecord => ({ catalogId, itemId, addedAt }));
  const preferences = keyed('preferences', 'pickedAt', (catalogId, itemId, pickedAt): PreferenceRecord => ({ catalogId, itemId, pickedAt }));

  const settingKeys = new Set<string>();
  const settings: SettingRecord[] = list('settings').map((r, i) => {
    const p = `settings[${i}]`;
    let key = r.key;
    if (legacy && key === 'onboarding') key = onboardingKey(legacyCatalogId);
    if (typeof key !== 'string') {
      bad(`${p}.key must be a string`);
      return { key: '', value: null };
    }
    // The length first: a key of megabytes is refused without being compared, quoted or stored.
    if (key.length > MAX_SETTING_KEY_LENGTH) {
      bad(`${p}.key is too long (${key.length.toLocaleString('en')} characters; at most ${MAX_SETTING_KEY_LENGTH.toLocaleString('en')})`);
      return { key: '', value: null };
    }
    if (settingKeys.has(key)) bad(`${p}: setting ${quoted(key)} appears twice`);
    settingKeys.add(key);
    if (key === RANKING_SETTINGS_KEY) {
      const checked = validateRankingPatch(r.value);
      if (!checked.ok) for (const pr of checked.problems) bad(`${p}.value: ${pr}`);
      return { key, value: checked.ok ? checked.patch : {} };
    }
    if (key.startsWith('onboarding:') && key.length > 'onboarding:'.length) {
      if (r.value !== 'done' && r.value !== 'skipped') bad(`${p}.value must be "done" or "skipped"`);
      return { key, value: r.value };
    }
    bad(`${p}: unknown setting ${quoted(key)} (known: "${RANKING_SETTINGS_KEY}" and "onboarding:" followed by a catalog id)`);
    return { key, value: null };
  });

  if (problems.length) throw new PersonalImportError(problems);
  const exportedAt = typeof json.exportedAt === 'string' && json.exportedAt.length <= 64 ? json.exportedAt : '';
  return { format: EXPORT_FORMAT, schemaVersion: DB_VERSION, exportedAt, events, wishlist, preferences, settings };
}

// ---- import ----------------------------------------------------------------

const eventKey = (e: EventRecord) => `${e.type}\u0000${e.catalogId}\u0000${e.itemId}\u0000${e.at}`;
const pairKey = (r: { catalogId: string; itemId: string }) => `${r.catalogId}\u0000${r.itemId}`;

/**
 * Imports an export (parsed JSON or its text). `replace`: what is stored is
 * deleted and the file's data written (event ids kept). `merge`: the file's
 * data is added to what is stored; events already there (same type, catalog,
 * item and time) are not doubled, and for wishlist entries, picks and
 * settings already on the device the device's version is kept (ranking
 * settings merge field by field, device first). One transaction: a failure
 * (e.g. PersonalQuotaError) leaves the stored data exactly as it was.
 */
export async function importPersonalData(db: PersonalDb, input: unknown, options: { mode: ImportMode; legacyCatalogId?: string }): Promise<ImportSummary> {
  const data = parsePersonalDataExport(input, options.legacyCatalogId);
  const { mode } = options;
  return db.run(STORE_NAMES, 'readwrite', async (tx, queue) => {
    const stores = {
      events: tx.objectStore('events'),
      wishlist: tx.objectStore('wishlist'),
      preferences: tx.objectStore('preferences'),
      settings: tx.objectStore('settings'),
    };
    const summary: ImportSummary = { mode, events: 0, wishlist: 0, preferences: 0, settings: 0 };
    if (mode === 'replace') {
      for (const s of Object.values(stores)) queue(s.clear());
      for (const e of data.events) queue(stores.events.put(e));
      for (const w of data.wishlist) queue(stores.wishlist.put(w));
      for (const p of data.preferences) queue(stores.preferences.put(p));
      for (const s of data.settings) queue(stores.settings.put(s));
      return { mode, events: data.events.length, wishlist: data.wishlist.length, preferences: data.preferences.length, settings: data.settings.length };
    }
    const [events, wishlistKeys, prefKeys, settings] = await Promise.all([
      queue(stores.events.getAll()),
      queue(stores.wishlist.getAllKeys()),
      queue(stores.preferences.getAllKeys()),
      queue(stores.settings.getAll()),
    ]);
    const haveEvents = new Set(events.map(eventKey));
    for (const e of data.events) {
      const k = eventKey(e);
      if (haveEvents.has(k)) continue;
      haveEvents.add(k);
      const { id: _dropped, ...rest } = e;
      queue(stores.events.add(rest));
      summary.events++;
    }
    const haveWish = new Set(wishlistKeys.map(([catalogId, itemId]) => pairKey({ catalogId, itemId })));
    for (const w of data.wishlist) {
      if (haveWish.has(pairKey(w))) continue;
      queue(stores.wishlist.put(w));
      summary.wishlist++;
    }
    const havePrefs = new Set(prefKeys.map(([catalogId, itemId]) => pairKey({ catalogId, itemId })));
    for (const p of data.preferences) {
      if (havePrefs.has(pairKey(p))) continue;
      queue(stores.preferences.put(p));
      summary.preferences++;
    }
    const local = new Map(settings.map((s) => [s.key, s.value]));
    for (const s of data.settings) {
      if (s.key === RANKING_SETTINGS_KEY) {
        const mine = validateRankingPatch(local.get(s.key) ?? {});
        const merged = mergeRankingPatches(s.value as RankingSettingsPatch, mine.ok ? mine.patch : {});
        queue(stores.settings.put({ key: s.key, value: merged }));
        summary.settings++;
      } else if (!local.has(s.key)) {
        queue(stores.settings.put(s));
        summary.settings++;
      }
    }
    return summary;
  });
}
