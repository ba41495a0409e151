import { useEffect, useRef, useState } from 'preact/hooks';
import { folderName } from '../local-catalog/files.ts';
import type { LocalIndexProgress, LocalIndexSummary } from '../local-catalog/run-indexing.ts';
import '../local-catalog/local-indexer.css';
import type { LocalCatalogSummary } from '../shared/worker-api/index.ts';
import { errorMessage } from './format.ts';
import { ProgressBar } from './ProgressBar.tsx';

export interface LocalIndexerProps {
  /** Indexes the files into the local catalog `name` (runIndexing with the client's localCatalog calls). */
  run(files: File[], name: string, signal: AbortSignal, onProgress: (p: LocalIndexProgress) => void): Promise<LocalIndexSummary>;
  list(): Promise<LocalCatalogSummary[]>;
  /** Makes the local catalog the one searched. */
  open(id: string): void;
  remove(id: string): Promise<void>;
  /** While the models load (indexing needs them). */
  disabled?: boolean;
  /** Change it to re-read the list (e.g. once the models are loaded). */
  refreshKey?: unknown;
  /** The local catalog being searched now, if any: photos added to it are searched once the run ends (it is reopened). */
  searchingId?: string | undefined;
}

const DEFAULT_NAME = 'My photos';

function formatEta(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

const photos = (n: number) => `${n.toLocaleString('en')} ${n === 1 ? 'photo' : 'photos'}`;

function Skipped({ failed }: { failed: { name: string; reason: string }[] }) {
  if (!failed.length) return null;
  return (
    <details class="local-indexer-skipped" open={failed.length <= 10}>
      <summary>
        Skipped {failed.length} {failed.length === 1 ? 'file' : 'files'}
      </summary>
      <ul>
        {failed.map((f, i) => (
          <li key={`${i}:${f.name}`}>
            <strong>{f.name}</strong>: {f.reason}
          </li>
        ))}
      </ul>
    </details>
  );
}

function SummaryView({ summary, onOpen }: { summary: LocalIndexSummary; onOpen?: (() => void) | undefined }) {
  const { indexed, alreadyIndexed, count, name } = summary;
  return (
    <div class="local-indexer-summary" data-testid="local-index-summary">
      <p>
        {summary.cancelled ? 'Stopped. ' : ''}
        Indexed {photos(indexed)}
        {summary.catalogId ? ` into “${name}”` : ''}
        {alreadyIndexed ? `; ${photos(alreadyIndexed)} already indexed` : ''}
        {summary.failed.length ? `; skipped ${summary.failed.length}` : ''}.{summary.catalogId && count > 0 ? ` The catalog holds ${photos(count)}.` : ''}
        {summary.reset ? ' It had been built with other models and was re-indexed.' : ''}
      </p>
      {summary.error && (
        <p class="error" role="alert">
          {summary.error}
        </p>
      )}
      <Skipped failed={summary.failed} />
      {onOpen && summary.catalogId && count > 0 && (
        <button class="button small" type="button" onClick={onOpen}>
          Search “{name}”
        </button>
      )}
    </div>
  );
}

export function LocalIndexer({ run, list, open, remove, disabled = false, refreshKey, searchingId }: LocalIndexerProps) {
  const [name, setName] = useState(DEFAULT_NAME);
  const [nameEdited, setNameEdited] = useState(false);
  const [progress, setProgress] = useState<LocalIndexProgress>();
  const [running, setRunning] = useState(false);
  const [stopping, setStopping] = useState(false);
  const [summary, setSummary] = useState<LocalIndexSummary>();
  const [error, setError] = useState<string>();
  const [catalogs, setCatalogs] = useState<LocalCatalogSummary[]>();
  const [listError, setListError] = useState<string>();
  const controller = useRef<AbortController>();
  const mounted = useRef(true);
  const searching = useRef(searchingId);
  searching.current = searchingId;

  const refresh = async () => {
    try {
      const next = await list();
      if (!mounted.current) return;
      setCatalogs(next);
      setListError(undefined);
    } catch (e) {
      if (mounted.current) setListError(errorMessage(e));
    }
  };

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      controller.current?.abort(); // unmounted: the run stops between photos (what was indexed is kept)
    };
  }, []);

  useEffect(() => {
    void refresh();
  }, [refreshKey]);

  const start = async (files: File[]) => {
    if (running || !files.length) return;
    const folder = folderName(files);
    const catalogName = (!nameEdited && folder ? folder : name).trim() || DEFAULT_NAME;
    setName(catalogName);
    const abort = new AbortController();
    controller.current = abort;
    setRunning(true);
    setStopping(false);
    setSummary(undefined);
    setError(undefined);
    setProgress(undefined);
    try {
      const result = await run(files, catalogName, abort.signal, (p) => {
        if (mounted.current) setProgress(p);
      });
      if (mounted.current) setSummary(result);
      if (mounted.current && result.catalogId && result.catalogId === searching.current && (result.indexed > 0 || result.reset)) open(result.catalogId);
    } catch (e) {
      if (mounted.current) setError(errorMessage(e));
    } finally {
      controller.current = undefined;
      if (mounted.current) {
        setRunning(false);
        setStopping(false);
        void refresh();
      }
    }
  };

  const onPick = (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    void start(files);
  };

  const remove1 = async (c: LocalCatalogSummary) => {
    if (!window.confirm(`Delete the local catalog “${c.name}” (${photos(c.count)})? Your photo files themselves are not touched.`)) return;
    try {
      await remove(c.id);
    } catch (e) {
      setListError(errorMessage(e));
    }
    await refresh();
  };

  const locked = disabled || running;
  const label = progress?.currentName ? `Indexing ${progress.currentName}` : 'Preparing…';
  return (
    <section class="local-indexer" aria-labelledby="local-indexer-heading">
      <h2 id="local-indexer-heading">Index your own photos</h2>
      <p class="hint">
        Pick photos or a folder (your wardrobe, a shop’s photo folder) to search them like a catalog. They are indexed and stored on this device only;
        sub-folders become categories.
      </p>
      <label class="local-indexer-name">
        Catalog name
        <input
          type="text"
          value={name}
          maxLength={80}
          disabled={running}
          data-testid="local-index-name"
          onInput={(e) => {
            setName(e.currentTarget.value);
            setNameEdited(true);
          }}
        />
      </label>
      <div class="local-indexer-actions">
        <label class="button primary" aria-disabled={locked}>
          Choose photos
          <input class="visually-hidden" type="file" accept="image/*" multiple disabled={locked} data-testid="local-index-input" onChange={onPick} />
        </label>
        <label class="button" aria-disabled={locked}>
          Choose a folder
          <input
            class="visually-hidden"
            type="file"
            multiple
            disabled={locked}
            data-testid="local-index-folder"
            ref={(el) => {
              if (el) el.webkitdirectory = true;
            }}
            onChange={onPick}
          />
        </label>
        {running && (
          <button
            class="button"
            type="button"
            data-testid="local-index-cancel"
            disabled={stopping}
            onClick={() => {
              setStopping(true);
              controller.current?.abort();
            }}
          >
            {stopping ? 'Stopping…' : 'Cancel'}
          </button>
        )}
      </div>
      {disabled && !running && <p class="hint">Indexing starts once the image models are loaded.</p>}
      {running && (
        <div aria-live="polite">
          <ProgressBar progress={{ label, loaded: progress?.done ?? 0, total: progress?.total ?? 0, unit: 'items' }} />
          <p class="local-indexer-rate">
            {stopping
              ? 'Stopping after the photo being indexed; everything indexed so far is kept.'
              : progress && progress.ratePerSecond > 0
                ? `${progress.ratePerSecond.toFixed(1)} photos/s${progress.etaSeconds !== undefined ? ` · about ${formatEta(progress.etaSeconds)} left` : ''}`
                : 'Photos are kept as soon as each is indexed: you can cancel or close the tab at any time.'}
          </p>
          {progress && <Skipped failed={progress.failed} />}
        </div>
      )}
      {error && (
        <p class="status error" role="alert">
          {error}
        </p>
      )}
      {summary && !running && <SummaryView summary={summary} onOpen={summary.catalogId && !disabled ? () => open(summary.catalogId!) : undefined} />}

      <h3 id="local-catalogs-heading">Your local catalogs</h3>
      {listError && (
        <p class="status error" role="alert">
          {listError}
        </p>
      )}
      {catalogs && catalogs.length === 0 && <p class="hint">None yet.</p>}
      <ul class="local-catalog-list" data-testid="local-catalogs" aria-labelledby="local-catalogs-heading">
        {(catalogs ?? []).map((c) => (
          <li key={c.id}>
            <span>
              <strong>{c.name}</strong>{' '}
              <span class="local-catalog-meta">
                · {photos(c.count)} · {new Date(c.updatedAt).toLocaleDateString()}
              </span>
            </span>
            <span class="local-catalog-buttons">
              <button
                class="button small"
                type="button"
                disabled={disabled || running || c.compatible === false}
                aria-label={`Open ${c.name}`}
                onClick={() => open(c.id)}
              >
                Open
              </button>
              <button class="button small" type="button" disabled={running} aria-label={`Delete ${c.name}`} onClick={() => void remove1(c)}>
                Delete
              </button>
            </span>
            {c.compatible === false && c.problem && <p class="local-catalog-problem">{c.problem}</p>}
          </li>
        ))}
      </ul>
    </section>
  );
}
