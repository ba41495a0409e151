/**
 * The shopper's photo search: choosing photos (each decoded, sent to the worker
 * and searched), the objects detected in it, refining by object, area or
 * category, and the photos of this session (compared with each other while no
 * catalog is open).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { InferenceClient } from '../inference-client.ts';
import { decodePhoto } from '../photo-decode.ts';
import type { SessionPhoto } from '../session-gallery.ts';
import type { CatalogInfo, DetectedObject, SearchResponse } from '../shared/worker-api/index.ts';
import { errorMessage, formatMs } from './format.ts';
import type { Box } from './crop-geometry.ts';
import { prettyLabel } from './vote-words.ts';
import { pushView, sameSearch, START_VIEW, viewOf, type SearchView } from './view-history.ts';
import type { Feedback } from './useStatusLine.ts';

/** How many more results "More results" asks for. */
const MORE_RESULTS = 24;

export interface Photo {
  url: string;
  name: string;
}

export interface PhotoSearchOptions {
  catalog: CatalogInfo | undefined;
  /** Searches are browser history entries (src/app/view-history.ts); off when embedded in a shop's page. */
  history: boolean;
}

export function usePhotoSearch(client: InferenceClient, { setStatus }: Feedback, { catalog, history: useHistory }: PhotoSearchOptions) {
  const [busy, setBusy] = useState(false);
  const [photo, setPhoto] = useState<Photo>();
  const [objects, setObjects] = useState<DetectedObject[]>([]);
  const [detecting, setDetecting] = useState(false);
  const [box, setBox] = useState<Box>();
  const [category, setCategory] = useState('');
  const [response, setResponse] = useState<SearchResponse>();
  const [sessionPhotos, setSessionPhotos] = useState<SessionPhoto[]>([]);
  /** How many searches have answered: each new answer is brought into view. */
  const [answers, setAnswers] = useState(0);
  /** The session photo shown (index into sessionPhotos; −1: none) and the photos, for Back and Forward. */
  const shown = useRef(-1);
  const photos = useRef<SessionPhoto[]>([]);
  photos.current = sessionPhotos;

  /** Counts searches: a refinement answers only while its search is the latest. */
  const searches = useRef(0);

  const runSearch = async (searchBox: Box | undefined, filter: string, more: { partitions?: number; k?: number } = {}) => {
    const request = { ...(searchBox ? { box: searchBox } : {}), ...(filter ? { categories: [filter] } : {}), ...more };
    const search = ++searches.current;
    const res = await client.search.run(request);
    setResponse(res);
    setAnswers((n) => n + 1);
    // A large catalog answered from the partitions nearest the photo first: read the rest of the search's budget
    // in the background and show the fuller answer in place (the first one stays if that fails).
    if (res.coverage?.refining)
      void client.search.refine(request).then(
        (refined) => {
          if (search !== searches.current) return;
          setResponse(
            (shown) =>
              shown && {
                ...shown,
                ...refined,
                searchMs: shown.searchMs + refined.searchMs,
                ...(refined.coverage
                  ? { coverage: { ...refined.coverage, bytesDownloaded: (shown.coverage?.bytesDownloaded ?? 0) + refined.coverage.bytesDownloaded } }
                  : {}),
              },
          );
        },
        () => undefined,
      );
    return res;
  };

  const detectObjects = async () => {
    setDetecting(true);
    try {
      setObjects(await client.search.detect(undefined));
    } catch (error) {
      setStatus(`Could not look for objects: ${errorMessage(error)}`);
    } finally {
      setDetecting(false);
    }
  };

  const choosePhotos = async (files: File[]) => {
    for (const file of files) {
      setBusy(true);
      setStatus(`Looking at ${file.name}: opening the photo…`);
      try {
        const bitmap = await decodePhoto(file);
        setStatus(`Looking at ${file.name}: recognising what it shows and finding ${catalog ? 'similar products' : 'similar photos'}…`);
        await client.search.setPhoto(bitmap);
        const url = URL.createObjectURL(file);
        setPhoto((prev) => (prev && URL.revokeObjectURL(prev.url), { url, name: file.name }));
        setObjects([]);
        setBox(undefined);
        setCategory('');
        const res = await runSearch(undefined, '');
        const index = photos.current.length;
        photos.current = [
          ...photos.current,
          { id: `photo-${index + 1}-${file.name}`, name: file.name, url: URL.createObjectURL(file), embedding: res.embedding },
        ];
        setSessionPhotos(photos.current);
        shown.current = index;
        pushView({ photo: index, category: '' }, useHistory);
        // In words; how the time was spent (models, search, backend) is under "How it ran" beside the results.
        setStatus(
          catalog
            ? `Looked at ${file.name}: found similar products in ${formatMs(res.embedMs + res.searchMs)}.`
            : `Looked at ${file.name}: compared it with your photos in ${formatMs(res.embedMs)}.`,
        );
        if (catalog) void detectObjects();
      } catch (error) {
        setStatus(errorMessage(error));
      } finally {
        setBusy(false);
      }
    }
  };

  const refine = async (nextBox: Box | undefined, nextCategory: string, what = nextBox ? 'the selected object' : 'the whole photo', record = true) => {
    if (record) pushView({ photo: shown.current, ...(nextBox ? { box: nextBox } : {}), category: nextCategory }, useHistory);
    setBox(nextBox);
    setCategory(nextCategory);
    setBusy(true);
    setStatus(`Searching ${what}${nextCategory ? ` among ${prettyLabel(nextCategory)}` : ''}…`);
    try {
      const res = await runSearch(nextBox, nextCategory);
      // Only the filter changed: the models did not run again, so the time is the search's alone.
      const ms = res.embeddingReused ? res.searchMs : res.embedMs + res.searchMs;
      setStatus(`Searched ${what}${nextCategory ? ` among ${prettyLabel(nextCategory)}` : ''} in ${formatMs(ms)}.`);
    } catch (error) {
      setStatus(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };

  /**
   * A partitioned catalog: the same search over twice as many partitions (the next nearest ones are downloaded),
   * with room for more results.
   */
  const moreResults = async () => {
    const coverage = response?.coverage;
    if (!response || !coverage?.more) return;
    setBusy(true);
    setStatus('Looking in more of the catalog…');
    try {
      const res = await runSearch(box, category, {
        partitions: Math.min(coverage.partitions, coverage.searched * 2),
        k: response.results.length + MORE_RESULTS,
      });
      const c = res.coverage;
      setStatus(
        c
          ? `Searched ${c.itemsSearched.toLocaleString('en')} of ${c.items.toLocaleString('en')} products in ${formatMs(res.searchMs)}.`
          : `Searched again in ${formatMs(res.searchMs)}.`,
      );
    } catch (error) {
      setStatus(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };

  /** Back to the start: no photo, no results (a "New search"; `record`: as a history entry). */
  const startOver = (record = true) => {
    if (record && shown.current >= 0) pushView(START_VIEW, useHistory);
    shown.current = -1;
    setPhoto(undefined);
    setResponse(undefined);
    setObjects([]);
    setBox(undefined);
    setCategory('');
    setStatus('Choose a photo to search.');
  };

  /** Shows a view from history: the start, another of this session's photos, or another search of this one. */
  const restore = async (view: SearchView) => {
    if (view.photo < 0 || !photos.current[view.photo]) return startOver(false);
    if (view.photo === shown.current) return refine(view.box, view.category, undefined, false);
    const earlier = photos.current[view.photo]!;
    setBusy(true);
    setStatus(`Back to ${earlier.name}…`);
    try {
      const blob = await (await fetch(earlier.url)).blob();
      await client.search.setPhoto(await decodePhoto(new File([blob], earlier.name, { type: blob.type })));
      setPhoto({ url: earlier.url, name: earlier.name });
      shown.current = view.photo;
      setObjects([]);
      setBox(view.box);
      setCategory(view.category);
      await runSearch(view.box, view.category);
      setStatus(`Back to ${earlier.name}.`);
      if (catalog) void detectObjects();
    } catch (error) {
      setStatus(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (!useHistory) return;
    const onPop = (event: PopStateEvent) => {
      const view = viewOf(event.state);
      // Only a panel closed (or opened): the search underneath is the same.
      if (sameSearch(view, { photo: shown.current, ...(box ? { box } : {}), category })) return;
      void restore(view);
    };
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  });

  return {
    busy,
    photo,
    objects,
    detecting,
    box,
    category,
    response,
    answers,
    sessionPhotos,
    choosePhotos,
    refine,
    moreResults,
    startOver,
    clearResults: () => setResponse(undefined),
  };
}

export type PhotoSearch = ReturnType<typeof usePhotoSearch>;
