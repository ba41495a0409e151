/** Lookalike's error kinds: the words shown for anything thrown, the name each kind keeps, a full disk found behind a wrapper. */
import { describe, expect, it } from 'vitest';
import { CameraError } from '../../src/app/camera.ts';
import { PersonalDbClosedError, PersonalDbError, PersonalDbVersionError, PersonalImportError, PersonalQuotaError } from '../../src/personal/errors.ts';
import { PhotoError } from '../../src/photo-decode.ts';
import { CatalogError } from '../../src/shared/catalog-format.ts';
import { CsvError } from '../../src/shared/csv.ts';
import { errorMessage, isQuotaError, LookalikeError } from '../../src/shared/errors.ts';
import { ManifestError } from '../../src/shared/manifest.ts';
import { IntegrityError } from '../../src/shared/sha256.ts';
import { DownloadError } from '../../workers/artifact-fetch.ts';
import {
  LocalCatalogClosedError,
  LocalCatalogError,
  LocalCatalogModelsError,
  LocalCatalogNotFoundError,
  LocalCatalogQuotaError,
} from '../../workers/local-catalog/errors.ts';
import { WeightsFormatError } from '../../workers/models/weights-format.ts';

const quota = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');

describe('Lookalike errors', () => {
  it('shows the message of an error, and anything else as text', () => {
    expect(errorMessage(new CsvError('products.csv line 3: unclosed quote'))).toBe('products.csv line 3: unclosed quote');
    expect(errorMessage(quota())).toBe('The quota has been exceeded.');
    expect(errorMessage('offline')).toBe('offline');
    expect(errorMessage(undefined)).toBe('undefined');
  });

  it('keeps each kind’s name as a string (minified bundles rename classes), and the cause apart from the words', () => {
    const cause = quota();
    const kinds: [Error, string][] = [
      [new CameraError('x'), 'CameraError'],
      [new PhotoError('x'), 'PhotoError'],
      [new CatalogError('x'), 'CatalogError'],
      [new CsvError('x'), 'CsvError'],
      [new ManifestError('x'), 'ManifestError'],
      [new IntegrityError('a.bin', 'size', 'truncated'), 'IntegrityError'],
      [new DownloadError('x'), 'DownloadError'],
      [new WeightsFormatError('x'), 'WeightsFormatError'],
      [new PersonalDbError('x'), 'PersonalDbError'],
      [new PersonalQuotaError({ cause }), 'PersonalQuotaError'],
      [new PersonalDbClosedError('terminated'), 'PersonalDbClosedError'],
      [new PersonalDbVersionError(), 'PersonalDbVersionError'],
      [new PersonalImportError(['bad']), 'PersonalImportError'],
      [new LocalCatalogError('x'), 'LocalCatalogError'],
      [new LocalCatalogQuotaError(2, { cause }), 'LocalCatalogQuotaError'],
      [new LocalCatalogNotFoundError('c1'), 'LocalCatalogNotFoundError'],
      [new LocalCatalogClosedError('closed'), 'LocalCatalogClosedError'],
      [new LocalCatalogModelsError('c1', 'x'), 'LocalCatalogModelsError'],
    ];
    for (const [error, name] of kinds) {
      expect(error).toBeInstanceOf(LookalikeError);
      expect(error.name).toBe(name);
      expect(String(error)).toMatch(new RegExp(`^${name}: `));
    }
    const full = new LocalCatalogQuotaError(2, { cause });
    expect(full.cause).toBe(cause);
    expect(full.message).not.toContain('quota has been exceeded');
  });

  it('finds a full disk behind the errors that wrap it', () => {
    expect(isQuotaError(quota())).toBe(true);
    expect(isQuotaError(new PersonalQuotaError({ cause: quota() }))).toBe(true);
    expect(isQuotaError(new LocalCatalogError('the store failed', { cause: new Error('write failed', { cause: quota() }) }))).toBe(true);
    expect(isQuotaError(new DOMException('Version change', 'VersionError'))).toBe(false);
    expect(isQuotaError(new LocalCatalogQuotaError(0))).toBe(false);
    expect(isQuotaError(null)).toBe(false);
  });
});
