/**
 * The app's views as browser history entries, so Back does what a shopper expects: a search (a photo, the object
 * searched in it, the category filter) and an open panel ("Goes with…", "Seen in…") each add an entry; Back returns
 * to the view before, and past the first search to the start. Embedded in a shop's page the app leaves the page's
 * history alone.
 */
import type { Box } from './crop-geometry.ts';

/** What an entry restores: which session photo (−1: none, the start), the object searched and the filter; a panel. */
export interface SearchView {
  photo: number;
  box?: Box;
  category: string;
  /** A panel opened over the search ("goes-with:<item id>", "seen-in:<item id>"). */
  panel?: string;
}

const KEY = 'lookalike';

export const START_VIEW: SearchView = { photo: -1, category: '' };

/** The view a history entry holds; the start for entries the app did not make (the page as first loaded). */
export function viewOf(state: unknown): SearchView {
  const view = (state as Record<string, unknown> | null)?.[KEY] as SearchView | undefined;
  return view && typeof view.photo === 'number' && typeof view.category === 'string' ? view : START_VIEW;
}

export const sameSearch = (a: SearchView, b: SearchView): boolean =>
  a.photo === b.photo && a.category === b.category && (a.box ?? []).join(',') === (b.box ?? []).join(',');

/** Adds an entry for `view` (no-op when disabled, e.g. embedded). */
export function pushView(view: SearchView, enabled: boolean): void {
  if (enabled) history.pushState({ ...(history.state as object | null), [KEY]: view }, '');
}

/** The view of the current entry. */
export const currentView = (): SearchView => viewOf(history.state);
