/** Typed errors of the personal-data store, so the UI can say what happened. */
import { LookalikeError } from '../shared/errors.ts';
import type { StoreFailures } from '../shared/idb-transaction.ts';

export class PersonalDbError extends LookalikeError {
  override name = 'PersonalDbError';
}

/**
 * The browser refused to store more (QuotaExceededError). The write that hit
 * it was rolled back as a whole; everything stored before is intact.
 */
export class PersonalQuotaError extends PersonalDbError {
  override name = 'PersonalQuotaError';
  constructor(options?: { cause?: unknown }) {
    super('Not enough storage space on this device to save your activity. Nothing already saved was lost; free some space or clear old history.', options);
  }
}

export type ClosedReason = 'upgraded-elsewhere' | 'terminated' | 'closed';

/** The connection is gone: a newer Lookalike opened in another tab, the browser closed it, or we did. */
export class PersonalDbClosedError extends PersonalDbError {
  override name = 'PersonalDbClosedError';
  constructor(
    readonly reason: ClosedReason,
    options?: { cause?: unknown },
  ) {
    super(closedMessage(reason), options);
  }
}

export function closedMessage(reason: ClosedReason): string {
  switch (reason) {
    case 'upgraded-elsewhere':
      return 'Lookalike was updated in another tab — reload this tab to keep saving your activity.';
    case 'terminated':
      return 'The browser closed Lookalike’s storage (for example, site data was cleared) — reload to continue.';
    case 'closed':
      return 'Personal data store is closed.';
  }
}

/** The stored database is newer than this code (a newer Lookalike ran in another tab): reload. */
export class PersonalDbVersionError extends PersonalDbError {
  override name = 'PersonalDbVersionError';
  constructor(options?: { cause?: unknown }) {
    super('A newer version of Lookalike stored data on this device — reload the page to update.', options);
  }
}

/** An import file that is not valid personal data. `problems` lists every issue found (with paths). */
export class PersonalImportError extends PersonalDbError {
  override name = 'PersonalImportError';
  constructor(readonly problems: string[]) {
    super(`Not a valid Lookalike personal-data file: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`);
  }
}

/**
 * The personal store's words for IndexedDB's failures (see toStoreError): the
 * typed errors above. `closedReason` says, when asked, why the connection is
 * gone (null while it is open or opening).
 */
export function personalDbFailures(closedReason: () => ClosedReason | null): StoreFailures {
  return {
    quota: (cause) => new PersonalQuotaError({ cause }),
    newerVersion: (cause) => new PersonalDbVersionError({ cause }),
    closed: (cause) => {
      const reason = closedReason();
      return reason ? new PersonalDbClosedError(reason, { cause }) : undefined;
    },
    failed: (detail, cause) => new PersonalDbError(`Personal data store failed: ${detail}`, { cause }),
  };
}
