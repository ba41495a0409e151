import { useLayoutEffect, type Inputs } from 'preact/hooks';

/**
 * Moves keyboard focus to an element when it appears (and again when `deps` change), in the
 * same commit that shows it rather than after a paint: a key pressed right after the click or
 * Enter that opened it lands on it, not on whatever had focus before.
 */
export function useFocusWhenShown(element: () => HTMLElement | null | undefined, deps: Inputs = []): void {
  useLayoutEffect(() => element()?.focus(), deps);
}
