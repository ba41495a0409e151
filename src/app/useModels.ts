/**
 * The image models in the worker: loading them with progress, the "Ready on …"
 * line, reloading after the worker restarted, and retrying a first visit that
 * failed offline once the connection is back.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { InferenceClient } from '../inference-client.ts';
import { requestPersistentStorage } from '../pwa.ts';
import type { BackendName, InitInfo, WasmThreads } from '../shared/worker-api/index.ts';
import { errorMessage } from './format.ts';
import type { Feedback } from './useStatusLine.ts';

export type ModelsPhase = 'loading' | 'ready' | 'failed';

export interface ModelsOptions {
  modelsBase: string;
  backend: BackendName | undefined;
  /** Embedded in another page: no persistent-storage prompt. */
  embedded: boolean;
  /** When the threaded wasm build may be used (InitOptions.wasmThreads). */
  wasmThreads: WasmThreads;
  /** Runs once the models are loaded, before the app is ready (opens the catalog); `readyLine` says where they run. */
  afterLoad(readyLine: string): Promise<void>;
}

export function useModels(client: InferenceClient, { setStatus, setProgress }: Feedback, options: ModelsOptions) {
  const [phase, setPhase] = useState<ModelsPhase>('loading');
  const phaseRef = useRef(phase);
  phaseRef.current = phase;
  const [info, setInfo] = useState<InitInfo>();

  /** `note` (e.g. why the worker was restarted) leads the "Ready" line. */
  const load = async (note?: string) => {
    setPhase('loading');
    setStatus('Loading the image models…');
    try {
      const { backend } = options;
      const ready = await client.models.init(
        { modelsBase: options.modelsBase, keepForOffline: !options.embedded, wasmThreads: options.wasmThreads, ...(backend ? { backend } : {}) },
        (p) => {
          if (p.phase === 'download')
            setProgress({
              phase: p.phase,
              label: 'Downloading the image models (first run only)',
              loaded: p.loaded,
              total: p.total,
              unit: 'bytes',
              ...(p.file && p.fileTotal ? { file: { name: p.file, loaded: p.fileLoaded ?? 0, total: p.fileTotal } } : {}),
            });
          else if (p.phase === 'measure')
            setProgress({
              phase: p.phase,
              label: `Choosing the fastest engine for this device (first run only, a few seconds): ${p.message}`,
              loaded: 0,
              total: 0,
              unit: 'none',
            });
          else if (p.phase === 'warmup') setProgress({ phase: p.phase, label: 'Warming up the models', loaded: 0, total: 0, unit: 'none' });
          else if (p.phase === 'backend') setProgress({ phase: p.phase, label: 'Starting the compute engine', loaded: 0, total: 0, unit: 'none' });
        },
      );
      setInfo(ready);
      const fell = ready.backend.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ');
      const readyLine = `${note ? `${note} ` : ''}Ready on ${ready.backend.backend}${fell ? ` (fell back — ${fell})` : ''}.`;
      setStatus(`${readyLine} Choose a photo.`);
      await options.afterLoad(readyLine);
      setPhase('ready');
      if (!options.embedded) void requestPersistentStorage();
    } catch (error) {
      setPhase('failed');
      setStatus(errorMessage(error));
    }
  };

  useEffect(() => {
    client.onRestart = (reason) => void load(`The image engine stopped (${reason}) and was restarted; the request it was working on was cancelled.`);
    void load();
    // A first visit that failed offline retries by itself once the connection is back.
    const online = () => {
      if (phaseRef.current === 'failed') void load();
    };
    addEventListener('online', online);
    return () => removeEventListener('online', online);
  }, []);

  return { phase, info, load };
}
