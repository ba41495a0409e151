/**
 * The embeddable widget on a shop page served with a strict CSP
 * (`script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'`: no eval, no blob: or data:
 * workers): the repository's example host page, the built widget (dist/widget/) and a
 * test catalog, from a small Node server that sends that header with every response and
 * collects CSP violation reports (also the worker's). The widget must load its models on
 * wasm from a real worker file, search a photo, tell the page about selections and the
 * wishlist with DOM events, and keep its styles and the page's apart.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestCatalog, SERVED_DIR } from './catalog-fixture.ts';
import { ROOT, SKIP_DATASETS, hasDatasets, launchBrowser } from './harness.ts';

const CSP = "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; report-uri /csp-report";
const WIDGET_DIR = resolve(ROOT, 'dist/widget');
const EXAMPLE_DIR = resolve(ROOT, 'examples/host-page');
const CATALOG_DIR = resolve(ROOT, 'dist/catalog');
const SHOP_CATALOG = 'widget-shop';
const HOTPINK = 'rgb(255, 105, 180)';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.jpg': 'image/jpeg',
  '.map': 'application/json',
};

interface Served {
  origin: string;
  /** CSP violation reports the browser posted (from the page and from its worker). */
  reports: unknown[];
  /** Every path requested. */
  requests: string[];
  /** Paths answered 404. */
  missing: string[];
  close(): Promise<void>;
}

/**
 * The example page with its `<lookalike-search>` attributes replaced by the query's
 * (`catalog`, `backend`, `base`, and `features=a,b` for boolean ones), or without the widget at all (`widget=none`).
 */
function hostPage(query: URLSearchParams): string {
  const html = readFileSync(resolve(EXAMPLE_DIR, 'index.html'), 'utf8');
  const element = /<lookalike-search\b[^>]*><\/lookalike-search>/;
  const script = /<script type="module" src="\.\.\/\.\.\/widget\/lookalike-search\.js"><\/script>/;
  if (!element.test(html) || !script.test(html)) throw new Error('examples/host-page/index.html no longer has the two widget lines this test rewrites');
  if (query.get('widget') === 'none') return html.replace(element, '').replace(script, '');
  const attrs =
    ['catalog', 'backend', 'base']
      .filter((a) => query.has(a))
      .map((a) => ` ${a}="${query.get(a)}"`)
      .join('') +
    (query.get('features') ?? '')
      .split(',')
      .filter(Boolean)
      .map((f) => ` ${f}`)
      .join('');
  return html.replace(element, `<lookalike-search${attrs}></lookalike-search>`);
}

function serve(): Promise<Served> {
  const reports: unknown[] = [];
  const requests: string[] = [];
  const missing: string[] = [];
  const mounts: [string, string][] = [
    ['/examples/host-page/', EXAMPLE_DIR],
    ['/widget/', WIDGET_DIR],
    // The same build under a second path, for the `base` attribute.
    ['/cdn/lookalike/', WIDGET_DIR],
    ['/catalog/', CATALOG_DIR],
  ];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(url.pathname);
    res.setHeader('Content-Security-Policy', CSP);
    if (url.pathname === '/csp-report' && req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        reports.push(JSON.parse(body || 'null'));
        res.writeHead(204).end();
      });
      return;
    }
    if (url.pathname === '/favicon.ico') {
      // The shop's icon (the browser asks for it), not the widget's business.
      res.writeHead(204).end();
      return;
    }
    if (url.pathname.startsWith('/product/')) {
      res.writeHead(200, { 'Content-Type': TYPES['.html']! }).end('<!doctype html><title>Product</title><p>A product page</p>');
      return;
    }
    if (url.pathname === '/examples/host-page/' || url.pathname === '/examples/host-page/index.html') {
      res.writeHead(200, { 'Content-Type': TYPES['.html']! }).end(hostPage(url.searchParams));
      return;
    }
    for (const [prefix, dir] of mounts) {
      if (!url.pathname.startsWith(prefix)) continue;
      const file = resolve(dir, decodeURIComponent(url.pathname.slice(prefix.length)));
      if (file.startsWith(dir) && existsSync(file) && statSync(file).isFile()) {
        res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
        return;
      }
    }
    missing.push(url.pathname);
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      done({ origin: `http://127.0.0.1:${port}`, reports, requests, missing, close: () => new Promise((c) => server.close(() => c())) });
    }),
  );
}

/** The test catalog with a product page URL on every item (sha256 and size in catalog.json updated to match). */
function shopCatalog(origin: string): string {
  const dir = resolve(CATALOG_DIR, SHOP_CATALOG);
  rmSync(dir, { recursive: true, force: true });
  cpSync(SERVED_DIR, dir, { recursive: true });
  const catalog = JSON.parse(readFileSync(resolve(dir, 'catalog.json'), 'utf8')) as { items: { path: string; bytes: number; sha256: string }[] };
  for (const shard of catalog.items) {
    const items = JSON.parse(readFileSync(resolve(dir, shard.path), 'utf8')) as { id: string; url?: string }[];
    const bytes = Buffer.from(JSON.stringify(items.map((item) => ({ ...item, url: `${origin}/product/${encodeURIComponent(item.id)}` }))));
    writeFileSync(resolve(dir, shard.path), bytes);
    shard.bytes = bytes.length;
    shard.sha256 = createHash('sha256').update(bytes).digest('hex');
  }
  writeFileSync(resolve(dir, 'catalog.json'), JSON.stringify(catalog));
  return `/catalog/${SHOP_CATALOG}/catalog.json`;
}

interface Opened {
  page: Page;
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** URLs of the workers the page started. */
  workers: string[];
}

async function open(context: BrowserContext, url: string): Promise<Opened> {
  const page = await context.newPage();
  const errors: string[] = [];
  const workers: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('worker', (w) => workers.push(w.url()));
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'}`), true);
  });
  await page.goto(url);
  return { page, errors, workers };
}

const violations = (page: Page) => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);

/** Waits until the widget (inside its shadow root: locators pierce it) has loaded its models and catalog. */
async function waitWidgetReady(page: Page): Promise<void> {
  const app = page.getByTestId('app');
  await page.locator('[data-testid="app"]:is([data-phase="ready"], [data-phase="failed"])').waitFor({ timeout: 240_000 });
  if ((await app.getAttribute('data-phase')) === 'failed')
    throw new Error(`The widget could not load its models: ${await page.getByTestId('status').textContent()}`);
}

/** The events the example page's own script logged, parsed back. */
async function loggedEvents(page: Page): Promise<{ type: string; detail: Record<string, unknown> }[]> {
  const lines = await page.getByTestId('event-log').locator('li').allTextContents();
  return lines.map((line) => {
    const space = line.indexOf(' ');
    return { type: line.slice(0, space), detail: JSON.parse(line.slice(space + 1)) as Record<string, unknown> };
  });
}

const HOST_PROPERTIES = [
  'font-family',
  'font-size',
  'color',
  'background-color',
  'display',
  'margin-top',
  'padding-top',
  'border-top-style',
  'border-top-width',
  'text-transform',
  'letter-spacing',
  'line-height',
  'box-sizing',
  'border-radius',
  'min-height',
];

/** Computed styles of the host page's own elements (not the widget's). */
function hostStyles(page: Page) {
  return page.evaluate((props) => {
    const pick = (el: Element | null) => {
      if (!el) throw new Error('host element missing');
      const cs = getComputedStyle(el);
      return Object.fromEntries(props.map((p) => [p, cs.getPropertyValue(p)]));
    };
    return {
      html: pick(document.documentElement),
      body: pick(document.body),
      h1: pick(document.querySelector('h1')),
      text: pick(document.querySelector('[data-testid="host-text"]')),
      button: pick(document.querySelector('[data-testid="host-button"]')),
      card: pick(document.querySelector('[data-testid="host-card"]')),
    };
  }, HOST_PROPERTIES);
}

describe.skipIf(!hasDatasets)(`the <lookalike-search> widget on a strict-CSP page ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  let served: Served;
  let browser: Browser;
  let context: BrowserContext;
  let fixture: Awaited<ReturnType<typeof buildTestCatalog>>;
  let catalogPath: string;
  let shop: Opened;

  beforeAll(async () => {
    if (!existsSync(resolve(WIDGET_DIR, 'lookalike-search.js')))
      throw new Error('dist/widget/ is missing: run `npm run build:widget` (after `npx vite build`, or `npm test` which builds both)');
    fixture = await buildTestCatalog();
    served = await serve();
    catalogPath = shopCatalog(served.origin);
    browser = await launchBrowser();
    context = await browser.newContext();
    // Product links open in a new tab: close them, the shop page stays.
    context.on('page', (p) => void p.waitForLoadState().then(() => (p.url().includes('/product/') ? p.close() : undefined)));
    shop = await open(context, `${served.origin}/examples/host-page/?catalog=${catalogPath}&backend=wasm`);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await served?.close();
  });

  it('loads its models on wasm in a worker from a real same-origin file and opens the catalog', async () => {
    const { page, workers } = shop;
    await waitWidgetReady(page);
    expect(await page.getByTestId('backend').textContent()).toBe('wasm');
    await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(new RegExp(`Test catalog.*${fixture.items.length} items`));
    // The worker ran (it loaded the models) and came from the built file, not a blob:/data: URL.
    expect(workers).toEqual([`${served.origin}/widget/lookalike-search.worker.js`]);
    expect(served.requests).toContain('/widget/models/manifest.json');
    expect(served.requests.some((p) => /^\/widget\/assets\/tfjs-backend-wasm.*\.wasm$/.test(p))).toBe(true);
  });

  it('is photo in, results out: other catalogs, the own-photo index and the data panel only when the shop turns them on', async () => {
    const parts = ['Open another catalog', 'Index your own photos (wardrobe, shop folder)', 'Your data (stays on this device)'];
    for (const text of parts) expect(await shop.page.getByText(text, { exact: true }).count(), text).toBe(0);
    const full = await open(
      context,
      `${served.origin}/examples/host-page/?catalog=${catalogPath}&backend=wasm&features=other-catalogs,local-catalog,your-data`,
    );
    await waitWidgetReady(full.page);
    for (const text of parts) expect(await full.page.getByText(text, { exact: true }).count(), text).toBe(1);
    await full.page.close();
  });

  it('searches a photo chosen inside its shadow root and tells the page about selections and the wishlist', async () => {
    const { page } = shop;
    const sofa = fixture.items.find((r) => r.category === 'sofa')!;
    await page.getByTestId('photo-input').setInputFiles(resolve(sofa.path!));
    await expect.poll(() => page.getByTestId('result').count(), { timeout: 180_000 }).toBeGreaterThan(0);
    const top = page.getByTestId('result').first();
    expect(await top.getAttribute('data-item-id')).toBe(sofa.item_id);
    const score = Number(await top.getAttribute('data-score'));

    const popup = page.waitForEvent('popup');
    await top.getByRole('link', { name: sofa.name! }).click();
    expect((await popup).url()).toBe(`${served.origin}/product/${encodeURIComponent(sofa.item_id!)}`);
    await expect.poll(() => loggedEvents(page)).toHaveLength(1);
    const [select] = await loggedEvents(page);
    expect(select!.type).toBe('lookalike:select');
    expect(select!.detail).toMatchObject({
      id: sofa.item_id,
      title: sofa.name,
      category: 'sofa',
      url: `${served.origin}/product/${encodeURIComponent(sofa.item_id!)}`,
    });
    expect(select!.detail.score).toBeCloseTo(score, 3);

    const heart = top.getByTestId('wishlist-toggle');
    await heart.click();
    await expect.poll(() => heart.getAttribute('aria-pressed')).toBe('true');
    await heart.click();
    await expect.poll(() => heart.getAttribute('aria-pressed')).toBe('false');
    const wishlist = (await loggedEvents(page)).filter((e) => e.type === 'lookalike:wishlist');
    expect(wishlist.map((e) => e.detail)).toEqual([
      { id: sofa.item_id, title: sofa.name, on: true },
      { id: sofa.item_id, title: sofa.name, on: false },
    ]);
  });

  it('caused no CSP violation (page or worker) and no console error', async () => {
    const { page, errors } = shop;
    // Reports are posted asynchronously; give stragglers a moment.
    await page.waitForTimeout(1000);
    expect(await violations(page)).toEqual([]);
    expect(served.reports).toEqual([]);
    expect(served.missing).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("keeps the page's aggressive CSS out of the widget", async () => {
    const { page } = shop;
    const inside = await page.getByTestId('app').evaluate((app, pink) => {
      const root = app.getRootNode() as ShadowRoot;
      const buttons = Array.from(root.querySelectorAll('button'), (b) => getComputedStyle(b));
      const cs = getComputedStyle(app);
      return {
        inShadowRoot: root instanceof ShadowRoot,
        buttons: buttons.length,
        hiddenButtons: buttons.filter((b) => b.display === 'none').length,
        pinkButtons: buttons.filter((b) => b.backgroundColor === pink).length,
        fontFamily: cs.fontFamily,
        buttonFont: buttons[0]?.fontFamily,
        textTransform: cs.textTransform,
        letterSpacing: cs.letterSpacing,
        fontSize: cs.fontSize,
      };
    }, HOTPINK);
    expect(inside.inShadowRoot).toBe(true);
    expect(inside.buttons).toBeGreaterThan(0);
    expect(inside.hiddenButtons).toBe(0);
    expect(inside.pinkButtons).toBe(0);
    expect(inside.fontFamily).toMatch(/^system-ui/);
    expect(inside.buttonFont).toMatch(/^system-ui/);
    expect(inside.textTransform).toBe('none');
    expect(inside.letterSpacing).toBe('normal');
    expect(inside.fontSize).toBe('16px');
    // The photo button (a label) and the wishlist hearts are visible and operable.
    await expect.poll(() => page.getByTestId('wishlist-toggle').first().isVisible()).toBe(true);
    expect(await page.getByText('Choose a photo').isVisible()).toBe(true);
  });

  it("keeps the widget's styles out of the page: its elements look the same as on the page without the widget", async () => {
    const bare = await open(context, `${served.origin}/examples/host-page/?widget=none`);
    // Sanity: the page's own CSS is applied (so an unchanged style means something).
    const without = await hostStyles(bare.page);
    expect(without.button['background-color']).toBe(HOTPINK);
    expect(without.text['font-family']).toMatch(/Georgia/);
    expect(await hostStyles(shop.page)).toEqual(without);
    await bare.page.close();
  });

  it('the CSP really is in force: a blob: worker is refused and reported (what a blob:-inlined widget worker would hit)', async () => {
    const { page } = await open(context, `${served.origin}/examples/host-page/?widget=none`);
    const outcome = await page.evaluate(
      () =>
        new Promise<string>((done) => {
          const worker = new Worker(URL.createObjectURL(new Blob(['postMessage("ran")'], { type: 'text/javascript' })), { type: 'module' });
          worker.onmessage = (e) => done(String(e.data));
          worker.onerror = () => done('refused');
          setTimeout(() => done('no answer'), 10_000);
        }),
    );
    expect(outcome).toBe('refused');
    await expect.poll(() => violations(page)).toEqual(['worker-src blocked blob']);
    await page.close();
  });

  it('loads worker, wasm and models from the `base` attribute, and stops its worker when removed from the page', async () => {
    const { page, workers, errors } = await open(context, `${served.origin}/examples/host-page/?backend=wasm&base=/cdn/lookalike`);
    await waitWidgetReady(page);
    expect(await page.getByTestId('backend').textContent()).toBe('wasm');
    expect(workers).toEqual([`${served.origin}/cdn/lookalike/lookalike-search.worker.js`]);
    expect(served.requests).toContain('/cdn/lookalike/models/manifest.json');
    const worker = page.workers()[0]!;
    const closed = new Promise<void>((done) => worker.once('close', () => done()));
    await page.evaluate(() => document.querySelector('lookalike-search')!.remove());
    await closed;
    expect(page.workers()).toEqual([]);
    expect(await violations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
