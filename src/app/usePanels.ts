/**
 * The panels opened over a search — "Goes with…" and "Seen in…" — as history entries: opening one adds an entry,
 * Back (or its Close button) closes it and stays on the search. Embedded, the page's history is left alone.
 */
import { useEffect, useState } from 'preact/hooks';
import { currentView, pushView, viewOf } from './view-history.ts';

export function usePanels(enabled: boolean) {
  const [goesWithFor, setGoesWithFor] = useState<string>();
  const [seenInFor, setSeenInFor] = useState<{ id: string; title: string }>();

  useEffect(() => {
    if (!enabled) return;
    const onPop = (event: PopStateEvent) => {
      const panel = viewOf(event.state).panel ?? '';
      if (!panel.startsWith('goes-with:')) setGoesWithFor(undefined);
      if (!panel.startsWith('seen-in:')) setSeenInFor(undefined);
    };
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, [enabled]);

  const open = (panel: string) => pushView({ ...currentView(), panel }, enabled);
  /** Closes through history when the panel has an entry (so Back does not reopen it), else directly. */
  const close = (hide: () => void) => (enabled && currentView().panel ? history.back() : hide());

  return {
    goesWithFor,
    seenInFor,
    showGoesWith: (itemId: string) => {
      open(`goes-with:${itemId}`);
      setGoesWithFor(itemId);
    },
    showSeenIn: (item: { id: string; title: string }) => {
      open(`seen-in:${item.id}`);
      setSeenInFor(item);
    },
    closeGoesWith: () => close(() => setGoesWithFor(undefined)),
    closeSeenIn: () => close(() => setSeenInFor(undefined)),
  };
}
