/**
 * Hostile personal-data files (issue #26): every string and list an import
 * accepts is bounded, setting keys are checked against the known set before
 * they are used, and every refusal is in plain words (never "object is not
 * iterable"), so a file of megabytes is refused without being stored and the
 * next import works as usual.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { PersonalDb } from '../../src/personal/db.ts';
import { PersonalImportError } from '../../src/personal/errors.ts';
import { EXPORT_FORMAT, exportPersonalData, importPersonalData, parsePersonalDataExport } from '../../src/personal/export.ts';
import { validateRankingPatch } from '../../src/personal/settings.ts';
import { DB_VERSION } from '../../src/personal/schema.ts';

let n = 0;
const opened: PersonalDb[] = [];
async function fresh(): Promise<PersonalDb> {
  const db = await PersonalDb.open({ name: `import-limits-${++n}-${Math.random().toString(36).slice(2)}` });
  opened.push(db);
  return db;
}
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

const file = (parts: Record<string, unknown>) => ({
  format: EXPORT_FORMAT,
  schemaVersion: DB_VERSION,
  exportedAt: '2026-01-01T00:00:00.000Z',
  events: [],
  wishlist: [],
  preferences: [],
  settings: [],
  ...parts,
});

/** The refusal's message (fails the test when the file is accepted). */
function refusal(input: unknown): string {
  try {
    parsePersonalDataExport(input);
  } catch (e) {
    expect(e).toBeInstanceOf(PersonalImportError);
    return (e as Error).message;
  }
  throw new Error('the file was accepted');
}

describe('personal-data import of hostile files', () => {
  it('a setting key of megabytes is refused in a short message, nothing is stored, and a 10,000-event import afterwards works', async () => {
    const db = await fresh();
    const huge = `onboarding:${'x'.repeat(4 * 1024 * 1024)}`;
    const hostile = JSON.stringify(file({ settings: [{ key: huge, value: 'done' }] }));
    await expect(importPersonalData(db, hostile, { mode: 'merge' })).rejects.toThrow(PersonalImportError);
    const message = refusal(hostile);
    expect(message).toMatch(/settings\[0\]\.key is too long \(4,194,315 characters; at most 1,011\)/);
    expect(message.length).toBeLessThan(300);
    const stored = await exportPersonalData(db);
    expect(stored.settings).toEqual([]);

    const events = Array.from({ length: 10_000 }, (_, i) => ({ type: 'click', catalogId: 'shop', itemId: `item-${i % 500}`, at: 1_000 + i }));
    expect(await importPersonalData(db, JSON.stringify(file({ events })), { mode: 'merge' })).toMatchObject({ events: 10_000 });
    expect((await exportPersonalData(db)).events).toHaveLength(10_000);
  });

  it('setting keys are checked against the known set, in plain words', () => {
    expect(refusal(file({ settings: [{ key: 'theme', value: 'dark' }] }))).toMatch(
      /settings\[0\]: unknown setting "theme" \(known: "ranking" and "onboarding:" followed by a catalog id\)/,
    );
    expect(refusal(file({ settings: [{ key: '__proto__', value: {} }] }))).toMatch(/unknown setting "__proto__"/);
    expect(refusal(file({ settings: [{ key: 'x'.repeat(100_000), value: 1 }] }))).toMatch(/settings\[0\]\.key is too long/);
  });

  it.each([
    ['__proto__', '{"__proto__": {"beta": 1}}'],
    ['constructor', '{"constructor": 1}'],
    ['toString', '{"toString": 1}'],
    ['hasOwnProperty', '{"hasOwnProperty": 0.5}'],
  ])('ranking settings with an inherited key (%s) are refused in plain words, not "object is not iterable"', (key, value) => {
    const text = `{"format": "${EXPORT_FORMAT}", "schemaVersion": ${DB_VERSION}, "events": [], "wishlist": [], "preferences": [], "settings": [{"key": "ranking", "value": ${value}}]}`;
    const message = refusal(text);
    expect(message).toContain(`settings[0].value: unknown setting "${key}"`);
    expect(message).not.toMatch(/iterable|Symbol|undefined|TypeError/);
    expect(validateRankingPatch(JSON.parse(value))).toEqual({ ok: false, problems: [expect.stringMatching(new RegExp(`^unknown setting "${key}"`))] });
  });

  it('an over-long item or catalog id is called too long, not "must be a non-empty string"', () => {
    const long = 'x'.repeat(5000);
    expect(refusal(file({ events: [{ type: 'click', catalogId: 'shop', itemId: long, at: 1 }] }))).toMatch(
      /events\[0\]\.itemId is too long \(5,000 characters; at most 1,000\)/,
    );
    expect(refusal(file({ wishlist: [{ catalogId: long, itemId: 'a', addedAt: 1 }] }))).toMatch(/wishlist\[0\]\.catalogId is too long/);
    expect(refusal(file({ preferences: [{ catalogId: 'shop', itemId: '', pickedAt: 1 }] }))).toMatch(/preferences\[0\]\.itemId is empty/);
    expect(refusal(file({ events: [{ type: 'click', catalogId: 'shop', itemId: 7, at: 1 }] }))).toMatch(/events\[0\]\.itemId must be a non-empty string/);
  });

  it('lists longer than any device holds are refused unread, and so are times no clock shows', () => {
    expect(refusal(file({ settings: Array.from({ length: 10_001 }, () => 0) }))).toMatch(/settings has 10,001 entries; at most 10,000 can be imported/);
    expect(refusal(file({ events: [{ type: 'click', catalogId: 'shop', itemId: 'a', at: 1e300 }] }))).toMatch(/events\[0\]\.at must be a time/);
    expect(refusal(file({ events: [{ type: 'click', catalogId: 'shop', itemId: 'a', at: -5 }] }))).toMatch(/events\[0\]\.at must be a time/);
  });

  it('weights with thousands of unknown names are refused with a bounded message', () => {
    const weights = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`w${i}`.repeat(50), 1]));
    const message = refusal(file({ settings: [{ key: 'ranking', value: { weights } }] }));
    expect(message).toMatch(/weights have 50,000 entries; there are 5 weights/);
    expect(message.length).toBeLessThan(500);
    const few = validateRankingPatch({ weights: { ['z'.repeat(10_000)]: 1 } });
    expect(few.ok).toBe(false);
    expect(JSON.stringify(few).length).toBeLessThan(300);
  });
});
