/**
 * The shopper's photo search: choosing photos (each decoded, sent to the worker
 * and searched), the objects detected in it, refining by object, area or
 * category, and the photos of this session (compared with each other while no
 * catalog is open).
 */
import { useState } from 'preact/hooks';
import type { InferenceClient } from '../inference-client.ts';
import { decodePhoto } from '../photo-decode.ts';
import type { SessionPhoto } from '../session-gallery.ts';
import type { CatalogInfo, DetectedObject, InitInfo, SearchResponse } from '../shared/worker-api/index.ts';
import { errorMessage, formatMs } from './format.ts';
import type { Box } from './crop-geometry.ts';
import { prettyLabel } from './vote-words.ts';
import type { Feedback } from './useStatusLine.ts';

export interface Photo {
  url: string;
  name: string;
}

export function usePhotoSearch(client: InferenceClient, { setStatus }: Feedback, { info, catalog }: { info: InitInfo | undefined; catalog: CatalogInfo | undefined }) {
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

  const runSearch = async (searchBox: Box | undefined, filter: string) => {
    const res = await client.search.run({ ...(searchBox ? { box: searchBox } : {}), ...(filter ? { categories: [filter] } : {}) });
    setResponse(res);
    setAnswers((n) => n + 1);
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
        setSessionPhotos((prev) => [...prev, { id: `photo-${prev.length + 1}-${file.name}`, name: file.name, url: URL.createObjectURL(file), embedding: res.embedding }]);
        setStatus(`Embedded ${file.name} in ${formatMs(res.embedMs)} on ${info?.backend.backend ?? 'your device'}${catalog ? `; searched ${catalog.count.toLocaleString('en')} items in ${formatMs(res.searchMs)}` : ''}.`);
        if (catalog) void detectObjects();
      } catch (error) {
        setStatus(errorMessage(error));
      } finally {
        setBusy(false);
      }
    }
  };

  const refine = async (nextBox: Box | undefined, nextCategory: string, what = nextBox ? 'the selected object' : 'the whole photo') => {
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

  return { busy, photo, objects, detecting, box, category, response, answers, sessionPhotos, choosePhotos, refine, clearResults: () => setResponse(undefined) };
}

export type PhotoSearch = ReturnType<typeof usePhotoSearch>;
