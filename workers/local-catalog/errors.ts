/** Typed errors of the local catalogs, so the page can say what happened. */
import { CatalogError } from '../../src/shared/catalog-format.ts';
import { LookalikeError } from '../../src/shared/errors.ts';
import type { StoreFailures } from '../../src/shared/idb-transaction.ts';

export class LocalCatalogError extends LookalikeError {
  override name = 'LocalCatalogError';
}

/**
 * The browser refused to store more (QuotaExceededError). The photo being
 * written was rolled back as a whole; the `kept` photos indexed before it are intact.
 */
export class LocalCatalogQuotaError extends LocalCatalogError {
  override name = 'LocalCatalogQuotaError';
  constructor(
    readonly kept: number,
    options?: { cause?: unknown },
  ) {
    super(`Your device's storage is full: ${kept} ${kept === 1 ? 'photo was' : 'photos were'} indexed and kept; free space or index fewer photos.`, options);
  }
}

export class LocalCatalogNotFoundError extends LocalCatalogError {
  override name = 'LocalCatalogNotFoundError';
  constructor(readonly catalogId: string) {
    super(`The local catalog ${catalogId} is not on this device any more (it was deleted, perhaps in another tab).`);
  }
}

/** The connection is gone (a newer Lookalike opened the database in another tab, or the browser closed it). */
export class LocalCatalogClosedError extends LocalCatalogError {
  override name = 'LocalCatalogClosedError';
}

/**
 * A stored local catalog built with other models than the app's current ones:
 * its vectors cannot be compared with new photos. Same kind as checkCompatible's
 * CatalogError; the fix is re-indexing the photos.
 */
export class LocalCatalogModelsError extends CatalogError {
  override name = 'LocalCatalogModelsError';
  constructor(
    readonly catalogId: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The local-catalog store's words for IndexedDB's failures (see toStoreError).
 * `closedMessage` says, when asked, why the connection is gone (null while it
 * is open or opening).
 */
export function localCatalogFailures(closedMessage: () => string | null): StoreFailures {
  return {
    // addItem turns this into LocalCatalogQuotaError with the count kept (it finds the quota error in `cause`).
    quota: (cause) => new LocalCatalogError("Your device's storage is full: free some space, then try again.", { cause }),
    newerVersion: (cause) => new LocalCatalogError('A newer version of Lookalike stored local catalogs on this device — reload the page to update.', { cause }),
    closed: (cause) => {
      const message = closedMessage();
      return message === null ? undefined : new LocalCatalogClosedError(message, { cause });
    },
    failed: (detail, cause) => new LocalCatalogError(`The local catalog store failed: ${detail}`, { cause }),
  };
}
