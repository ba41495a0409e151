/**
 * IndexedDB transactions (via `idb`) for the stores of page and worker (the
 * personal data, the local catalogs): one runner, and one mapping of
 * IndexedDB's failures to each store's own words. Realm-neutral (page,
 * worker; Node tests with fake-indexeddb).
 *
 * Rules kept (idb's): a transaction's body awaits only requests of that
 * transaction; every transaction awaits `tx.done`; a failure aborts the
 * transaction as a whole, so a quota error never leaves half a change behind.
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import { errorMessage, errorName, isQuotaError, LookalikeError } from './errors.ts';

/**
 * Registers a request of the running transaction: the runner awaits every
 * queued request before `tx.done`, and a request left behind by an early
 * failure is not reported as an unhandled rejection. Returns the request's promise.
 */
export type Queue = <T>(request: Promise<T>) => Promise<T>;

/** A store's words for each way IndexedDB fails (see toStoreError). */
export interface StoreFailures {
  /** The device is full (a QuotaExceededError anywhere in the cause chain). */
  quota(cause: unknown): Error;
  /** The stored database is newer than this code (VersionError). */
  newerVersion(cause: unknown): Error;
  /** The connection is gone (InvalidStateError after it closed); undefined while it is open. */
  closed(cause: unknown): Error | undefined;
  /** Anything else; `detail` is the failure's `name: message`. */
  failed(detail: string, cause: unknown): Error;
}

/** Maps a failure to the store's words; a LookalikeError is already in words and stays as it is. */
export function toStoreError(e: unknown, failures: StoreFailures): Error {
  if (e instanceof LookalikeError) return e;
  if (isQuotaError(e)) return failures.quota(e);
  const name = errorName(e);
  if (name === 'VersionError') return failures.newerVersion(e);
  const closed = name === 'InvalidStateError' ? failures.closed(e) : undefined;
  if (closed) return closed;
  return failures.failed(`${name ? `${name}: ` : ''}${errorMessage(e)}`, e);
}

/**
 * Runs `body` in one transaction over `stores` and waits for the commit.
 * `body` must await only requests of `tx`; requests it does not await itself
 * go through `queue`. On any failure the transaction is aborted, so none of
 * its writes stay, and the failure is thrown in the store's words: an error
 * the body throws on purpose (a LookalikeError, or a TypeError for bad input)
 * as it is, otherwise the transaction's own error when it has one (a full
 * disk surfaces there, not in the body's exception).
 */
export async function runTransaction<DB extends DBSchema | unknown, S extends StoreNames<DB>, M extends IDBTransactionMode, T>(
  db: IDBPDatabase<DB>,
  stores: S[],
  mode: M,
  body: (tx: IDBPTransaction<DB, S[], M>, queue: Queue) => Promise<T>,
  failures: StoreFailures,
): Promise<T> {
  let tx: IDBPTransaction<DB, S[], M>;
  try {
    tx = db.transaction(stores, mode);
  } catch (e) {
    throw toStoreError(e, failures);
  }
  tx.done.catch(() => {}); // observed below; keeps an abort from being reported as unhandled
  const queued: Promise<unknown>[] = [];
  const queue: Queue = (request) => {
    request.catch(() => {});
    queued.push(request);
    return request;
  };
  try {
    const result = await body(tx, queue);
    await Promise.all(queued);
    await tx.done;
    return result;
  } catch (e) {
    const txError = abortFailedTransaction(tx);
    throw toStoreError(e instanceof LookalikeError || e instanceof TypeError ? e : (txError ?? e), failures);
  }
}

/** The transaction's own error, if it has one yet, after aborting it (if it has not finished). */
function abortFailedTransaction(tx: { readonly error: DOMException | null; abort(): void }): unknown {
  let txError: unknown = null;
  try {
    txError = tx.error;
  } catch {
    /* not finished */
  }
  try {
    tx.abort();
  } catch {
    /* already finished */
  }
  return txError;
}
