/**
 * Every URL taken from a catalog goes through resolveCatalogUrl: the catalog's
 * string is resolved with the URL parser against the catalog's own URL, and
 * the result (not the raw string) is checked. The URL parser silently drops
 * tabs and line breaks anywhere and spaces at the ends (`" https://x"`,
 * `"ht\ttps://x"`, `"\n//x"` all become another site), so a check of the raw
 * string alone lets a catalog name files on another host; this one cannot.
 *
 *  - `file` (shards, item files, thumbnails, scene photos, the clusters file):
 *    a plain relative path that resolves inside the catalog's folder, on the
 *    catalog's origin. Anything else is refused.
 *  - `link` (a product's page): any http(s) URL; the href handed on is the
 *    parser's, so what was checked is what the browser opens.
 *
 * Realm-neutral (page, worker and Node tools); no error kinds of its own: each
 * caller words the refusal (`problem`) for its reader.
 */

export type CatalogUrlKind = 'file' | 'link';

export type ResolvedCatalogUrl = { ok: true; href: string } | { ok: false; problem: string };

/** Longest file path a catalog may name. */
export const MAX_CATALOG_PATH_LENGTH = 1024;
/** Longest product link a catalog may give. */
export const MAX_PRODUCT_LINK_LENGTH = 4096;

/** Stands in for the catalog's URL when a path is checked before the catalog's URL is known (catalog.json's own validation). */
const PLACEHOLDER_CATALOG_URL = 'https://catalog.invalid/some/catalog/catalog.json';

// C0 controls and DEL: the URL parser strips tabs and line breaks inside and controls at the ends.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point (they are refused)
const CONTROL = /[\u0000-\u001f\u007f]/;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

function parse(value: string, base: string | URL): URL | undefined {
  try {
    return new URL(value, base);
  } catch {
    return undefined;
  }
}

function fileProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > MAX_CATALOG_PATH_LENGTH) return `is too long (${value.length} characters; at most ${MAX_CATALOG_PATH_LENGTH})`;
  if (CONTROL.test(value)) return 'contains a tab, line break or other control character';
  if (value.trim() !== value) return 'starts or ends with a space';
  if (value.includes('\\')) return 'contains a backslash';
  if (SCHEME.test(value)) return "is an absolute URL (files are named by their path inside the catalog's folder)";
  if (value.startsWith('/')) return "starts with / (files are named by their path inside the catalog's folder)";
  return undefined;
}

/**
 * `value` (a string from a catalog) resolved against `catalogUrl` (the
 * catalog.json's URL, or its folder's) and checked for its `kind`. Never
 * throws; a refusal says what is wrong in words that follow the value's name
 * ("thumbnails/a.jpg" + " leads out of the catalog's folder").
 */
export function resolveCatalogUrl(value: unknown, catalogUrl: string | URL, kind: CatalogUrlKind): ResolvedCatalogUrl {
  if (typeof value !== 'string') return { ok: false, problem: kind === 'file' ? 'is not a path' : 'is not a link' };
  if (kind === 'link') {
    if (value.length === 0) return { ok: false, problem: 'is empty' };
    if (value.length > MAX_PRODUCT_LINK_LENGTH) return { ok: false, problem: `is too long (${value.length} characters; at most ${MAX_PRODUCT_LINK_LENGTH})` };
    const url = parse(value, catalogUrl);
    if (!url) return { ok: false, problem: 'is not a valid web address' };
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, problem: 'is not a web link (http or https)' };
    return { ok: true, href: url.href };
  }
  const problem = fileProblem(value);
  if (problem) return { ok: false, problem };
  const folder = parse('.', catalogUrl);
  if (!folder) return { ok: false, problem: 'cannot be resolved: the catalog has no valid URL' };
  const url = parse(value, folder);
  if (!url) return { ok: false, problem: 'is not a valid path' };
  // Same protocol and host is the same origin (and works for file: URLs, whose origin is opaque).
  if (url.protocol !== folder.protocol || url.host !== folder.host || url.username !== folder.username || url.password !== folder.password) {
    return { ok: false, problem: "leads to another site than the catalog's" };
  }
  if (!url.pathname.startsWith(folder.pathname)) return { ok: false, problem: "leads out of the catalog's folder" };
  return { ok: true, href: url.href };
}

/** A file path a catalog may name (checked before the catalog's URL is known: inside any catalog's folder, on its origin). */
export function catalogPathProblem(value: unknown): string | undefined {
  const resolved = resolveCatalogUrl(value, PLACEHOLDER_CATALOG_URL, 'file');
  return resolved.ok ? undefined : resolved.problem;
}

/** The absolute URL of catalog file `path`, or undefined when the catalog may not name it (see resolveCatalogUrl). */
export function catalogFileUrl(path: unknown, catalogUrl: string | URL): string | undefined {
  const resolved = resolveCatalogUrl(path, catalogUrl, 'file');
  return resolved.ok ? resolved.href : undefined;
}

/** A product link as the parser reads it, or undefined when it is not an http(s) link. */
export function productLinkUrl(link: unknown, catalogUrl: string | URL): string | undefined {
  const resolved = resolveCatalogUrl(link, catalogUrl, 'link');
  return resolved.ok ? resolved.href : undefined;
}
