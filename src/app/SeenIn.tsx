/**
 * "Seen in": a dialog listing the catalog's scene photos (rooms, outfits) that
 * show a product or its closest look-alikes; opening a scene lists its items as
 * result cards (wishlist, open, goes with, seen in, like any result).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { InferenceClient } from '../inference-client.ts';
import { CatalogPicture } from './CatalogPicture.tsx';
import type { SceneSummary, SceneView } from '../shared/worker-api/index.ts';
import { errorMessage } from './format.ts';
import { cardOf } from './PersonalPanels.tsx';
import { ResultGrid } from './ResultGrid.tsx';
import type { ResultActions, ResultCard } from './result-card.ts';
import { useFocusWhenShown } from './use-focus-when-shown.ts';
import './seen-in.css';

const SCENE_LIMIT = 6;

type Load<T> = { state: 'loading' } | { state: 'done'; value: T } | { state: 'error'; message: string };

export function SeenIn({
  client,
  item,
  wishlisted,
  actions,
  onClose,
}: {
  client: InferenceClient;
  /** The product asked about. */
  item: { id: string; title: string };
  wishlisted: ReadonlySet<string>;
  actions: ResultActions;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [scenes, setScenes] = useState<Load<SceneSummary[]>>({ state: 'loading' });
  const [open, setOpen] = useState<{ summary: SceneSummary; scene: Load<SceneView> }>();

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);

  useEffect(() => {
    setScenes({ state: 'loading' });
    setOpen(undefined);
    client.catalog.seenIn(item.id, SCENE_LIMIT).then(
      (value) => setScenes({ state: 'done', value }),
      (e) => setScenes({ state: 'error', message: errorMessage(e) }),
    );
  }, [client, item.id]);

  const openScene = (summary: SceneSummary) => {
    setOpen({ summary, scene: { state: 'loading' } });
    client.catalog.scene(summary.id).then(
      (value) => setOpen((o) => (o?.summary.id === summary.id ? { summary, scene: { state: 'done', value } } : o)),
      (e) => setOpen((o) => (o?.summary.id === summary.id ? { summary, scene: { state: 'error', message: errorMessage(e) } } : o)),
    );
  };

  // Actions that show something elsewhere on the page close the dialog first (it is modal).
  const itemActions: ResultActions = {
    ...(actions.onOpen ? { onOpen: actions.onOpen } : {}),
    ...(actions.onWishlist ? { onWishlist: actions.onWishlist } : {}),
    ...(actions.onGoesWith ? { onGoesWith: (card: ResultCard) => (onClose(), actions.onGoesWith!(card)) } : {}),
    ...(actions.onSeenIn ? { onSeenIn: actions.onSeenIn } : {}),
    ...(actions.hasScenes ? { hasScenes: actions.hasScenes } : {}),
  };

  const headingId = `seen-in-heading-${item.id.replace(/[^a-z0-9_-]/gi, '_')}`;
  return (
    <dialog
      ref={dialog}
      class="seen-in"
      aria-labelledby={headingId}
      data-testid="seen-in-dialog"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <div class="section-head">
        <h2 id={headingId}>{open ? open.summary.title : `Seen in: ${item.title}`}</h2>
        <button type="button" class="button small" onClick={onClose} aria-label="Close seen in">
          Close
        </button>
      </div>
      {open ? (
        <SceneDetail
          summary={open.summary}
          scene={open.scene}
          askedId={item.id}
          wishlisted={wishlisted}
          actions={itemActions}
          onBack={() => setOpen(undefined)}
        />
      ) : scenes.state === 'loading' ? (
        <p class="empty" role="status">
          Looking for scenes…
        </p>
      ) : scenes.state === 'error' ? (
        <p class="status error" role="alert">
          {scenes.message}
        </p>
      ) : scenes.value.length === 0 ? (
        <div class="seen-in-empty" data-testid="seen-in-empty">
          <p>
            <strong>No scene shows this product yet.</strong>
          </p>
          <p class="empty">None of this catalog's room or outfit photos shows it or anything that looks like it.</p>
        </div>
      ) : (
        <ul class="scene-list" aria-label={`Scenes with ${item.title} or a look-alike`}>
          {scenes.value.map((s) => (
            <li key={s.id}>
              <button type="button" class="scene-card" data-testid="scene" data-scene-id={s.id} data-reason={s.reason.kind} onClick={() => openScene(s)}>
                <CatalogPicture src={s.thumbnail} lazy />
                <span class="scene-title">{s.title}</span>
                <span class="score">
                  {s.why}
                  {s.lookAlike ? `: ${s.lookAlike.title}` : ''} · {s.itemCount} {s.itemCount === 1 ? 'item' : 'items'}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </dialog>
  );
}

function SceneDetail({
  summary,
  scene,
  askedId,
  wishlisted,
  actions,
  onBack,
}: {
  summary: SceneSummary;
  scene: Load<SceneView>;
  askedId: string;
  wishlisted: ReadonlySet<string>;
  actions: ResultActions;
  onBack: () => void;
}) {
  const back = useRef<HTMLButtonElement>(null);
  useFocusWhenShown(() => back.current, [summary.id]);
  const lookAlikeId = summary.lookAlike?.id;
  const cards =
    scene.state === 'done'
      ? scene.value.items.map((view) =>
          cardOf(view, view.id, 0, {
            why:
              view.id === askedId
                ? 'the product you asked about'
                : view.id === lookAlikeId
                  ? `looks like it (${summary.lookAlike!.similarity.toFixed(2)})`
                  : 'in this scene',
            wishlisted: wishlisted.has(view.id),
          }),
        )
      : [];
  return (
    <div class="scene-detail" data-testid="scene-detail" data-scene-id={summary.id}>
      <button type="button" ref={back} class="link-button" onClick={onBack}>
        ← All scenes
      </button>
      {summary.image ? <CatalogPicture class="scene-photo" src={summary.image} alt={`Scene: ${summary.title}`} /> : <span class="noimage" aria-hidden="true" />}
      {scene.state === 'loading' && (
        <p class="empty" role="status">
          Opening the scene…
        </p>
      )}
      {scene.state === 'error' && (
        <p class="status error" role="alert">
          {scene.message}
        </p>
      )}
      {scene.state === 'done' && (
        <ResultGrid heading="Items in this scene" results={cards} empty="This scene lists no items of this catalog." actions={actions} testId="scene-item" />
      )}
    </div>
  );
}
