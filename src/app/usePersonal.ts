/**
 * The shopper's personal data for the open catalog: the IndexedDB store, the
 * catalog's int8 embeddings on the page (for the taste profile), and the actions
 * that record what the shopper does. Nothing here leaves the device.
 */
import { useEffect, useState } from 'preact/hooks';
import type { InferenceClient } from '../inference-client.ts';
import { PersonalDb, loadPersonalContext, parseClusterFile, type CatalogView, type ClusterFile, type PersonalContext } from '../personal/index.ts';
import { dequantize } from '../shared/catalog-shards.ts';
import type { CatalogInfo } from '../shared/worker-api/index.ts';
import { errorMessage } from './format.ts';

export interface Personal {
  db: PersonalDb | undefined;
  view: CatalogView | undefined;
  ctx: PersonalContext | undefined;
  /** Storage problems and other-tab notices, for a banner. */
  notice: string | undefined;
  wishlisted: ReadonlySet<string>;
  refresh(): Promise<void>;
  click(itemId: string): void;
  setWishlisted(itemId: string, on: boolean): Promise<void>;
  dismiss(itemId: string): Promise<void>;
}

async function catalogViewOf(client: InferenceClient): Promise<{ view: CatalogView; clusters: ClusterFile | null } | undefined> {
  const data = await client.catalog.vectors();
  if (!data) return undefined;
  let clusters: ClusterFile | null = null;
  try {
    clusters = data.clusters ? parseClusterFile(data.clusters) : null;
  } catch {
    clusters = null; // A bad cluster file only costs the "shoppers like you" blend.
  }
  const rows = new Map(data.items.map((item, i) => [item.id, i]));
  const view: CatalogView = {
    id: data.catalogId,
    items: data.items,
    embedding: (id) => {
      const row = rows.get(id);
      return row === undefined ? undefined : dequantize(data.vectors, row);
    },
    ...(data.complements ? { compatibility: data.complements } : {}),
  };
  return { view, clusters };
}

export function usePersonal(client: InferenceClient, catalog: CatalogInfo | undefined): Personal {
  const [db, setDb] = useState<PersonalDb>();
  const [view, setView] = useState<CatalogView>();
  const [clusters, setClusters] = useState<ClusterFile | null>(null);
  const [ctx, setCtx] = useState<PersonalContext>();
  const [notice, setNotice] = useState<string>();

  useEffect(() => {
    let opened: PersonalDb | undefined;
    let blocked: string | undefined;
    PersonalDb.open({
      onStatus: (s) => {
        if (s.type === 'blocked') blocked = s.message;
        setNotice(s.message);
      },
    }).then(
      (d) => {
        setDb((opened = d));
        // The other tab let go: "close that tab to continue" no longer applies.
        setNotice((n) => (n === blocked ? undefined : n));
      },
      (e) => setNotice(`Your history and wishlist are unavailable: ${errorMessage(e)}`),
    );
    return () => opened?.close();
  }, []);

  useEffect(() => {
    setView(undefined);
    setCtx(undefined);
    if (!catalog) return;
    catalogViewOf(client).then(
      (loaded) => {
        setClusters(loaded?.clusters ?? null);
        setView(loaded?.view);
      },
      (e) => setNotice(errorMessage(e)),
    );
  }, [client, catalog]);

  const refresh = async () => {
    if (db && view) setCtx(await loadPersonalContext(db, view, clusters));
  };
  useEffect(() => void refresh().catch((e) => setNotice(errorMessage(e))), [db, view]);

  const guarded = async (work: () => Promise<unknown>) => {
    try {
      await work();
      await refresh();
    } catch (e) {
      setNotice(errorMessage(e));
    }
  };

  return {
    db,
    view,
    ctx,
    notice,
    wishlisted: new Set(ctx?.signals.wishlist.map((w) => w.itemId) ?? []),
    refresh,
    click: (itemId) => void (db && view && guarded(() => db.recordClick(view.id, itemId))),
    setWishlisted: (itemId, on) =>
      guarded(async () => (db && view ? (on ? db.addToWishlist(view.id, itemId) : db.removeFromWishlist(view.id, itemId)) : undefined)),
    dismiss: (itemId) => guarded(async () => (db && view ? db.dismiss(view.id, itemId) : undefined)),
  };
}
