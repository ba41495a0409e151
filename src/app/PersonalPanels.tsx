/** For-you, goes-with, onboarding and "your data" controls: the personal parts of the screen. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { InferenceClient } from '../inference-client.ts';
import { CatalogPicture } from './CatalogPicture.tsx';
import {
  completeOnboarding,
  deleteAllPersonalData,
  excludedItems,
  exportPersonalData,
  exportToJson,
  forYou,
  goesWith,
  importPersonalData,
  needsOnboarding,
  onboardingCandidates,
  skipOnboarding,
} from '../personal/index.ts';
import type { ItemView } from '../shared/worker-api/index.ts';
import { prettyLabel } from './vote-words.ts';
import { errorMessage } from './format.ts';
import { groupColourVariants } from './colour-variants.ts';
import { ResultGrid } from './ResultGrid.tsx';
import type { ResultActions, ResultCard } from './result-card.ts';
import type { Personal } from './usePersonal.ts';

/** Item metadata (title, thumbnail, price) for ids, fetched from the worker. */
function useItems(client: InferenceClient, ids: string[]): Map<string, ItemView> {
  const [items, setItems] = useState(new Map<string, ItemView>());
  const key = ids.join('\u0000');
  useEffect(() => {
    if (ids.length === 0) return setItems(new Map());
    void client.catalog.items(ids).then((views) => setItems(new Map(views.map((v) => [v.id, v]))));
  }, [client, key]);
  return items;
}

export function cardOf(view: ItemView | undefined, id: string, score: number, extra: Partial<ResultCard> = {}): ResultCard {
  return {
    id,
    title: view?.title ?? id,
    score,
    ...(view?.thumbnail ? { imageUrl: view.thumbnail } : {}),
    ...(view?.category ? { subtitle: prettyLabel(view.category), category: view.category } : {}),
    ...(view?.price !== undefined ? { price: view.price } : {}),
    ...(view?.url ? { url: view.url } : {}),
    ...extra,
  };
}

export function ForYou({ client, personal, actions }: { client: InferenceClient; personal: Personal; actions: ResultActions }) {
  const { view, ctx } = personal;
  const ranked =
    view && ctx
      ? forYou(view, ctx.signals, {
          profile: ctx.profile,
          settings: ctx.settings,
          limit: 18,
          ...(ctx.cluster ? { clusterFavourites: ctx.cluster.favourites } : {}),
        })
      : [];
  const items = useItems(
    client,
    ranked.map((r) => r.id),
  );
  if (!view) return null;
  const cards = groupColourVariants(
    ranked.map((r) =>
      cardOf(items.get(r.id), r.id, r.score, {
        why:
          r.source === 'default'
            ? 'A pick from each category (no history yet)'
            : `Matches your taste${r.clusterBonus > 0 ? ' · popular with shoppers like you' : ''}`,
        whyDetail:
          r.source === 'default'
            ? `look ${r.score.toFixed(2)}`
            : `your taste ${r.taste?.toFixed(2) ?? '–'}${r.clusterBonus > 0 ? ` · shoppers like you +${r.clusterBonus.toFixed(2)}` : ''}`,
        wishlisted: personal.wishlisted.has(r.id),
      }),
    ),
    (id) => items.get(id),
    view.embedding,
  ).slice(0, 12); // 18 asked for: a product's colour variants fold into one card
  return (
    <div data-testid="for-you">
      <ResultGrid
        heading="For you"
        results={cards}
        empty="Nothing left to suggest: you have seen this whole catalog."
        actions={actions}
        testId="for-you-item"
      />
    </div>
  );
}

/** The shopper's wishlist for this catalog, newest first: every wished product, removable with its ♡. */
export function Wishlist({ client, personal, actions }: { client: InferenceClient; personal: Personal; actions: ResultActions }) {
  const wished = [...(personal.ctx?.signals.wishlist ?? [])].sort((a, b) => b.addedAt - a.addedAt);
  const items = useItems(
    client,
    wished.map((w) => w.itemId),
  );
  if (!personal.view || !personal.ctx) return null;
  const since = (at: number) => new Date(at).toLocaleDateString('en', { day: 'numeric', month: 'short', year: 'numeric' });
  return (
    <details class="wishlist" data-testid="wishlist">
      <summary>Your wishlist ({wished.length})</summary>
      <ResultGrid
        heading="Wishlist"
        results={wished.map((w) => cardOf(items.get(w.itemId), w.itemId, 0, { why: `On your wishlist since ${since(w.addedAt)}`, wishlisted: true }))}
        empty="Nothing on your wishlist yet: tap ♡ on a product to keep it here."
        actions={actions}
        testId="wishlist-item"
      />
    </details>
  );
}

export function GoesWith({
  client,
  personal,
  itemId,
  onClose,
  actions,
}: {
  client: InferenceClient;
  personal: Personal;
  itemId: string;
  onClose: () => void;
  actions: ResultActions;
}) {
  const { view, ctx } = personal;
  const groups = view ? goesWith(view, itemId, { profile: ctx?.profile ?? null, ...(ctx ? { exclude: excludedItems(ctx.signals) } : {}) }) : [];
  const ids = [itemId, ...groups.flatMap((g) => g.items.map((i) => i.id))];
  const items = useItems(client, ids);
  // Opened from a card far up the page: the panel comes into view, its heading focused (for keyboards and screen readers).
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.scrollIntoView({ block: 'start', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
    heading.current?.focus({ preventScroll: true });
  }, [itemId]);
  return (
    <section class="goes-with" aria-label="Goes with">
      <div class="section-head">
        <h2 ref={heading} tabIndex={-1} data-testid="goes-with-heading">
          Goes with {items.get(itemId)?.title ?? 'this'}
        </h2>
        <button type="button" class="button small" onClick={onClose}>
          Close
        </button>
      </div>
      {groups.length === 0 && <p class="empty">This catalog has nothing that goes with this category.</p>}
      {groups.map((g) => (
        <ResultGrid
          key={g.category}
          heading={prettyLabel(g.category)}
          results={groupColourVariants(
            g.items.map((i) =>
              cardOf(items.get(i.id), i.id, i.score, {
                why: `Goes with it${i.taste !== null && i.taste > 0 ? ' · matches your taste' : ''}`,
                whyDetail: `goes with it ${i.anchor.toFixed(2)}${i.taste !== null ? ` · your taste ${i.taste.toFixed(2)}` : ''}`,
                wishlisted: personal.wishlisted.has(i.id),
              }),
            ),
            (id) => items.get(id),
            view?.embedding,
          )}
          empty=""
          actions={actions}
          testId="goes-with"
        />
      ))}
    </section>
  );
}

export function Onboarding({ client, personal }: { client: InferenceClient; personal: Personal }) {
  const { db, view } = personal;
  const [pending, setPending] = useState(false);
  const [picked, setPicked] = useState(new Set<string>());
  useEffect(() => {
    if (db && view) void needsOnboarding(db, view.id).then(setPending);
  }, [db, view]);
  const ids = pending && view ? onboardingCandidates(view, 12) : [];
  const items = useItems(client, ids);
  if (!pending || !db || !view) return null;
  const finish = async (skip: boolean) => {
    if (skip) await skipOnboarding(db, view.id);
    else await completeOnboarding(db, view.id, [...picked]);
    setPending(false);
    await personal.refresh();
  };
  return (
    <section class="onboarding" aria-labelledby="onboarding-heading">
      <h2 id="onboarding-heading">Pick a few things you like</h2>
      <p>They tune your suggestions. They stay on this device.</p>
      <ul class="grid">
        {ids.map((id) => {
          const item = items.get(id);
          const on = picked.has(id);
          return (
            <li key={id} class={on ? 'card picked' : 'card'}>
              <button
                type="button"
                class="pick"
                aria-pressed={on}
                onClick={() => setPicked((p) => (p.has(id) ? (p.delete(id), new Set(p)) : new Set(p.add(id))))}
              >
                <CatalogPicture src={item?.thumbnail} />
                <span>{item?.title ?? id}</span>
              </button>
            </li>
          );
        })}
      </ul>
      <div class="row">
        <button type="button" class="button primary" disabled={picked.size === 0} onClick={() => void finish(false)}>
          Done ({picked.size} picked)
        </button>
        <button type="button" class="button" onClick={() => void finish(true)}>
          Skip
        </button>
      </div>
    </section>
  );
}

export function YourData({ personal, onMessage }: { personal: Personal; onMessage: (text: string) => void }) {
  const { db } = personal;
  if (!db) return null;
  const run = async (work: () => Promise<string>) => {
    try {
      onMessage(await work());
      await personal.refresh();
    } catch (e) {
      onMessage(errorMessage(e));
    }
  };
  return (
    <details class="panel">
      <summary>Your data (stays on this device)</summary>
      <p>Your clicks, wishlist and picks are stored only in this browser and never sent anywhere.</p>
      <div class="row">
        <button
          type="button"
          class="button"
          onClick={() =>
            void run(async () => {
              const { fileName, text } = exportToJson(await exportPersonalData(db));
              const a = Object.assign(document.createElement('a'), {
                href: URL.createObjectURL(new Blob([text], { type: 'application/json' })),
                download: fileName,
              });
              a.click();
              setTimeout(() => URL.revokeObjectURL(a.href), 1000);
              return `Exported your data as ${fileName}.`;
            })
          }
        >
          Export my data
        </button>
        <label class="button">
          Import my data
          <input
            class="visually-hidden"
            type="file"
            accept="application/json,.json"
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              e.currentTarget.value = '';
              if (file)
                void run(async () => {
                  const r = await importPersonalData(db, await file.text(), { mode: 'merge' });
                  return `Imported ${r.events} events, ${r.wishlist} wishlist items and ${r.preferences} picks.`;
                });
            }}
          />
        </label>
        <button
          type="button"
          class="button danger"
          onClick={() => {
            if (confirm('Delete all your history, wishlist and picks from this device? This cannot be undone.'))
              void run(async () => (await deleteAllPersonalData(db), 'All your personal data was deleted from this device.'));
          }}
        >
          Delete all my data
        </button>
      </div>
    </details>
  );
}
