/**
 * Every URL taken from a catalog is resolved with the URL parser and then
 * checked (issue #26): paths that the parser turns into another site (spaces
 * at the start, tabs and line breaks inside, backslashes, protocol-relative)
 * are refused wherever a catalog names a file or an image, and never fetched.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CatalogError, parseCatalogJson, parseItemsJson } from '../../src/shared/catalog-format.ts';
import { catalogFileUrl, productLinkUrl, resolveCatalogUrl } from '../../src/shared/catalog-urls.ts';
import { DownloadError, fetchVerified, versionedUrl } from '../../workers/artifact-fetch.ts';
import { itemView, type OpenCatalog } from '../../workers/catalog-session.ts';
import { SHA, validCatalogJson } from './catalog-json-fixture.ts';

const CATALOG = 'https://shop.example/catalogs/sofas/catalog.json';

/** Strings a check of the raw text takes for relative paths, but the URL parser reads as another site. */
const TO_OTHER_SITE = [
  ' https://other.example/t.jpg',
  '  https://other.example/t.jpg',
  'ht\ttps://other.example/t.jpg',
  'https:\n//other.example/t.jpg',
  '\n//other.example/t.jpg',
  '\t//other.example/t.jpg',
  '\r\n//other.example/t.jpg',
  '/\t/other.example/t.jpg',
  '\\\\other.example\\t.jpg',
  '\\/other.example/t.jpg',
  'https://other.example/t.jpg',
  '//other.example/t.jpg',
  'javascript:alert(1)',
  'data:image/png;base64,AAAA',
  'blob:https://other.example/1234',
  '../../other/t.jpg',
  'thumbs/%2e%2e/%2e%2e/%2e%2e/t.jpg',
  'thumbs/../../t.jpg',
];

afterEach(() => vi.unstubAllGlobals());

describe('resolveCatalogUrl: the one check of every URL a catalog names', () => {
  it.each(TO_OTHER_SITE)('refuses the file path %j, whatever the parser would make of it', (path) => {
    const resolved = resolveCatalogUrl(path, CATALOG, 'file');
    expect(resolved.ok).toBe(false);
    expect(catalogFileUrl(path, CATALOG)).toBeUndefined();
  });

  it('resolves plain relative paths inside the catalog folder, on its origin', () => {
    expect(catalogFileUrl('thumbs/a.jpg', CATALOG)).toBe('https://shop.example/catalogs/sofas/thumbs/a.jpg');
    expect(catalogFileUrl('embeddings-000.bin', 'https://shop.example/catalogs/sofas/')).toBe('https://shop.example/catalogs/sofas/embeddings-000.bin');
    expect(catalogFileUrl('a b/c%20d.jpg', CATALOG)).toBe('https://shop.example/catalogs/sofas/a%20b/c%20d.jpg');
  });

  it('says in words what is wrong with a refused path', () => {
    expect(resolveCatalogUrl(' https://other.example/t.jpg', CATALOG, 'file')).toEqual({ ok: false, problem: 'starts or ends with a space' });
    expect(resolveCatalogUrl('ht\ttps://other.example/t.jpg', CATALOG, 'file')).toEqual({
      ok: false,
      problem: 'contains a tab, line break or other control character',
    });
    expect(resolveCatalogUrl('../x.json', CATALOG, 'file')).toEqual({ ok: false, problem: "leads out of the catalog's folder" });
    expect(resolveCatalogUrl('x'.repeat(5000), CATALOG, 'file')).toEqual({ ok: false, problem: 'is too long (5000 characters; at most 1024)' });
  });

  it('offers product links only as the http(s) URL the parser reads', () => {
    expect(productLinkUrl('https://shop.example/p/1', CATALOG)).toBe('https://shop.example/p/1');
    expect(productLinkUrl('p/1.html', CATALOG)).toBe('https://shop.example/catalogs/sofas/p/1.html');
    // What the browser would open is what is handed on: the parser's reading, not the raw text.
    expect(productLinkUrl(' https://other.example/p', CATALOG)).toBe('https://other.example/p');
    expect(productLinkUrl('ht\ttps://other.example/p', CATALOG)).toBe('https://other.example/p');
    for (const bad of ['javascript:alert(1)', ' JaVaScRiPt:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<script>1</script>', 'ftp://x.example/', '']) {
      expect(productLinkUrl(bad, CATALOG)).toBeUndefined();
    }
    // A local catalog (local:…) has no folder: relative links are not links there.
    expect(productLinkUrl('p/1.html', 'local:abc')).toBeUndefined();
    expect(productLinkUrl('https://shop.example/p/1', 'local:abc')).toBe('https://shop.example/p/1');
  });
});

describe('catalog files and images never come from another site', () => {
  it.each(TO_OTHER_SITE)('catalog.json naming a shard, an item file, the clusters file or a scene photo as %j is refused with a message', (path) => {
    const withShard = validCatalogJson();
    withShard.shards[0]!.path = path;
    const withItems = validCatalogJson();
    withItems.items[0]!.path = path;
    const withClusters = { ...validCatalogJson(), clusters: { path, bytes: 10, sha256: SHA } };
    const withScene = { ...validCatalogJson(), scenes: [{ id: 's', title: 's', image: path, itemIds: [] }] };
    const withSceneThumb = { ...validCatalogJson(), scenes: [{ id: 's', title: 's', image: 'scenes/s.jpg', thumbnail: path, itemIds: [] }] };
    for (const json of [withShard, withItems, withClusters, withScene, withSceneThumb]) {
      expect(() => parseCatalogJson(json)).toThrow(CatalogError);
      expect(() => parseCatalogJson(json)).toThrow(/path/);
    }
  });

  it.each(TO_OTHER_SITE)('an item file whose thumbnail is %j is refused with a message', (path) => {
    expect(() => parseItemsJson([{ id: 'a', title: 'A', thumbnail: path }], 'items-000.json', 1)).toThrow(
      /items-000\.json: item 0 \("a"\): the thumbnail path .* (space|control|backslash|absolute|starts with \/|leads out)/,
    );
  });

  it('the worker never requests a file whose path leads to another site, even one that slipped past catalog.json', async () => {
    const fetch = vi.fn(async () => new Response(new Uint8Array(10)));
    vi.stubGlobal('fetch', fetch);
    for (const path of TO_OTHER_SITE) {
      expect(() => versionedUrl('https://shop.example/catalogs/sofas/', { path, bytes: 10, sha256: SHA })).toThrow(DownloadError);
      await expect(fetchVerified('https://shop.example/catalogs/sofas/', { path, bytes: 10, sha256: SHA })).rejects.toThrow(/is not downloaded/);
    }
    expect(fetch).not.toHaveBeenCalled();
  });

  it("a result's thumbnail and link are the checked URLs: no image from another site, no javascript: link", () => {
    const open = {
      info: { url: CATALOG },
      resolve: (path: string | undefined) => (path ? catalogFileUrl(path, CATALOG) : undefined),
    } as unknown as OpenCatalog;
    expect(itemView(open, { id: 'a', title: 'A', thumbnail: ' https://other.example/t.jpg', url: ' javascript:alert(1)' })).toEqual({ id: 'a', title: 'A' });
    // The link handed to the page is the parser's reading (what the browser will open), not the catalog's raw text.
    expect(itemView(open, { id: 'b', title: 'B', thumbnail: 'thumbs/b.jpg', url: 'HTTPS://SHOP.EXAMPLE/p/b' })).toEqual({
      id: 'b',
      title: 'B',
      thumbnail: 'https://shop.example/catalogs/sofas/thumbs/b.jpg',
      url: 'https://shop.example/p/b',
    });
  });
});
