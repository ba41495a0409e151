/**
 * What the app shows over the photo while it works on it: a spinner and what it is doing, in words. The status
 * line says the same to screen readers, so this is hidden from them.
 */
export function Working({ what }: { what: string }) {
  return (
    <div class="working" data-testid="working" aria-hidden="true">
      <span class="spinner" />
      <span>{what}</span>
    </div>
  );
}
