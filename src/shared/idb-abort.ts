/**
 * After a transaction body failed: the transaction's own error (a QuotaExceededError
 * surfaces there, not in the body's exception) when it has one, and the transaction
 * aborted so nothing half-written is kept.
 */
export function abortFailedTransaction(tx: { readonly error: DOMException | null; abort(): void }): unknown {
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
