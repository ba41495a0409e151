import { useState } from 'preact/hooks';
import type { CatalogInfo } from '../shared/worker-api/index.ts';

/** The open catalog's name and size; with `canOpenOther`, a form to open another by its catalog.json URL. */
export function CatalogBar({
  catalog,
  loading,
  canOpenOther,
  onOpen,
}: {
  catalog: CatalogInfo | undefined;
  loading: boolean;
  canOpenOther: boolean;
  onOpen: (url: string) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [url, setUrl] = useState('');
  return (
    <section class="catalog-bar" aria-label="Catalog">
      <p data-testid="catalog" class="catalog-name">
        {catalog ? (
          <>
            <strong>{catalog.name}</strong> · {catalog.count.toLocaleString('en')} items
          </>
        ) : loading ? (
          'Opening the catalog…'
        ) : (
          'No catalog open'
        )}
      </p>
      {!canOpenOther ? null : editing ? (
        <form
          class="catalog-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (url.trim()) onOpen(url.trim());
            setEditing(false);
          }}
        >
          <label>
            Catalog URL (catalog.json)
            <input type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} placeholder="https://shop.example/catalog/catalog.json" />
          </label>
          <button class="button primary" type="submit">
            Open
          </button>
          <button class="button" type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <button type="button" class="button small" onClick={() => setEditing(true)}>
          Open another catalog
        </button>
      )}
    </section>
  );
}
