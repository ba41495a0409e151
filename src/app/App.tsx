import { useEffect, useRef, useState } from 'preact/hooks';
import { createInferenceBridge, type InferenceBridge } from '../bridge.ts';
import { decodePhoto } from '../photo-decode.ts';
import { registerServiceWorker, requestPersistentStorage } from '../pwa.ts';
import { nearestPhotos, type SessionPhoto } from '../session-gallery.ts';
import type { InitInfo } from '../../workers/inference.worker.ts';
import { errorMessage, formatMs } from './format.ts';
import { PhotoPicker } from './PhotoPicker.tsx';
import { ProgressBar, type ProgressState } from './ProgressBar.tsx';
import { ResultGrid, type ResultCard } from './ResultGrid.tsx';

type Phase = 'loading' | 'ready' | 'busy' | 'failed';

interface Query {
  photo: SessionPhoto;
  ms: number;
}

function requestedBackend(): 'webgpu' | 'webgl' | 'wasm' | 'cpu' | undefined {
  const value = new URLSearchParams(location.search).get('backend');
  return value === 'webgpu' || value === 'webgl' || value === 'wasm' || value === 'cpu' ? value : undefined;
}

export function App() {
  const bridge = useRef<InferenceBridge>();
  const [phase, setPhase] = useState<Phase>('loading');
  const [progress, setProgress] = useState<ProgressState>({ label: 'Starting', loaded: 0, total: 0, unit: 'none' });
  const [status, setStatus] = useState('Loading the image models…');
  const [info, setInfo] = useState<InitInfo>();
  const [photos, setPhotos] = useState<SessionPhoto[]>([]);
  const [query, setQuery] = useState<Query>();
  const [offline, setOffline] = useState(!navigator.onLine);
  const [applyUpdate, setApplyUpdate] = useState<() => void>();

  const loadModels = async () => {
    const b = bridge.current!;
    setPhase('loading');
    setStatus('Loading the image models…');
    try {
      const ready = await b.init(
        { modelsBase: new URL('models/', document.baseURI).href, ...(requestedBackend() ? { backend: requestedBackend()! } : {}) },
        (p) => {
          if (p.phase === 'download') setProgress({ label: 'Downloading models', loaded: p.loaded, total: p.total, unit: 'bytes' });
          else if (p.phase === 'warmup') setProgress({ label: 'Preparing the models for your GPU', loaded: 0, total: 0, unit: 'none' });
          else if (p.phase === 'backend') setProgress({ label: 'Starting the compute engine', loaded: 0, total: 0, unit: 'none' });
        },
      );
      setInfo(ready);
      setPhase('ready');
      const fell = ready.backend.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ');
      setStatus(`Ready on ${ready.backend.backend}${fell ? ` (fell back — ${fell})` : ''}. Choose a photo.`);
      void requestPersistentStorage();
    } catch (error) {
      setPhase('failed');
      setStatus(errorMessage(error));
    }
  };

  useEffect(() => {
    bridge.current = createInferenceBridge();
    bridge.current.onRestart = () => void loadModels();
    // Automation hook (docs/testing.md): read the worker's tfjs memory counters.
    (window as unknown as { lookalike: object }).lookalike = { memory: () => bridge.current!.memory() };
    void loadModels();
    registerServiceWorker({ onUpdateReady: (apply) => setApplyUpdate(() => apply), onOfflineReady: () => undefined });
    const online = () => setOffline(false);
    const offlineNow = () => setOffline(true);
    addEventListener('online', online);
    addEventListener('offline', offlineNow);
    return () => {
      bridge.current?.terminate();
      removeEventListener('online', online);
      removeEventListener('offline', offlineNow);
    };
  }, []);

  const search = async (files: File[]) => {
    for (const file of files) {
      setPhase('busy');
      setStatus(`Looking at ${file.name}…`);
      try {
        const bitmap = await decodePhoto(file);
        const result = await bridge.current!.embed(bitmap);
        const photo: SessionPhoto = { id: `photo-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`, name: file.name, url: URL.createObjectURL(file), embedding: result.embedding };
        setPhotos((prev) => [...prev, photo]);
        setQuery({ photo, ms: result.ms });
        setStatus(`Embedded ${file.name} in ${formatMs(result.ms)} on ${info?.backend.backend ?? 'the GPU'}.`);
      } catch (error) {
        setStatus(errorMessage(error));
      } finally {
        setPhase((p) => (p === 'busy' ? 'ready' : p));
      }
    }
  };

  const neighbours: ResultCard[] = query
    ? nearestPhotos(query.photo.embedding, photos, 12, query.photo.id).map((n) => ({ id: n.photo.id, title: n.photo.name, imageUrl: n.photo.url, score: n.score }))
    : [];

  return (
    <div class="app">
      <header class="topbar">
        <h1>Lookalike</h1>
        <div class="badges">
          {offline && <span class="badge offline">Offline</span>}
          <span class="badge" data-testid="backend" title={info ? info.backend.detail : 'starting'}>
            {info?.backend.backend ?? '…'}
          </span>
        </div>
      </header>
      {applyUpdate && (
        <div class="banner" role="alert">
          A new version of Lookalike is ready.
          <button class="button" onClick={() => applyUpdate()}>
            Update now
          </button>
        </div>
      )}
      <main>
        {phase === 'loading' && <ProgressBar progress={progress} />}
        <p class={phase === 'failed' ? 'status error' : 'status'} data-testid="status" role="status" aria-live="polite">
          {status}
        </p>
        {phase === 'failed' && (
          <button class="button" onClick={() => void loadModels()}>
            Try again
          </button>
        )}
        <PhotoPicker disabled={phase === 'loading' || phase === 'failed'} onFiles={(files) => void search(files)} />
        {query && (
          <section class="query" aria-label="Your photo">
            <img src={query.photo.url} alt={`Your photo: ${query.photo.name}`} />
            <p>
              Embedded in <strong data-testid="embed-ms">{formatMs(query.ms)}</strong> on <strong>{info?.backend.backend}</strong>
            </p>
          </section>
        )}
        {query && <ResultGrid heading="Most similar of your photos this session" results={neighbours} empty="Add another photo to see which of your photos look alike." />}
      </main>
    </div>
  );
}
