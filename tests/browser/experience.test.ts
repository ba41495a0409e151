/**
 * The shopper's experience in the built app: accessibility (axe-core, no
 * serious or critical violations) and layout at phone and desktop sizes with
 * screenshots kept under test-results/screenshots/, keyboard reach and visible
 * focus, the phone flow "snap a room, tap the chair, get similar chairs with
 * reasons", and every way in for a photo: camera (Chromium's fake camera),
 * denied camera, paste, the adjustable search area, and the install button.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestCatalog } from './catalog-fixture.ts';
import { DATASETS, ROOT, SKIP_DATASETS, hasDatasets, startBrowserApp, waitReady, type BrowserApp } from './harness.ts';

const ROOM = resolve(DATASETS, 'ikea/rooms/ikea-a-cosy-space-for-coffee-and-conversation__1364308407140-s4.jpg');
const SCREENSHOTS = resolve(ROOT, 'test-results/screenshots');
const AXE = readFileSync(resolve(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
const FAKE_CAMERA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

interface Viewport {
  width: number;
  height: number;
}
const PHONE: Viewport = { width: 390, height: 844 };
const DESKTOP: Viewport = { width: 1280, height: 800 };
const SMALL_PHONE: Viewport = { width: 360, height: 740 };

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe-core in the page; returns the serious and critical violations, one readable line per element. */
async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) =>
      v.nodes.map((n) => `[${v.impact}] ${v.id}: ${v.help} — ${n.target.join(' ')}${n.failureSummary ? ` (${n.failureSummary.replace(/\s+/g, ' ')})` : ''}`),
    );
}

async function screenshot(page: Page, state: string): Promise<void> {
  const { width, height } = page.viewportSize()!;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: resolve(SCREENSHOTS, `${state}-${width}x${height}.png`), fullPage: true });
}

/** Checks a state: no serious axe violations, nothing wider than the screen, and a screenshot. */
async function checkState(page: Page, state: string): Promise<void> {
  await screenshot(page, state);
  expect(await seriousViolations(page), `axe-core in state "${state}" at ${page.viewportSize()!.width} px`).toEqual([]);
  const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: innerWidth }));
  expect(widths.scroll, `horizontal scrolling in state "${state}"`).toBeLessThanOrEqual(widths.inner);
}

async function openAt(env: BrowserApp, url: string, viewport: Viewport, context = env.context): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await waitReady(page);
  await expect.poll(() => page.getByTestId('catalog').textContent(), { timeout: 60_000 }).toMatch(/Test catalog/);
  return { page, errors };
}

const statusText = (page: Page) =>
  page
    .getByTestId('status')
    .textContent()
    .then((s) => s ?? '');

/** Waits for the status line to move on from `before` to a finished search ("Looked at …"/"Searched …") or an error. */
async function waitForSearch(page: Page, before: string, pattern = /Looked at|Searched|could not|not an image/): Promise<string> {
  await page.waitForFunction(
    ([prev, source]) => {
      const s = document.querySelector('[data-testid="status"]')?.textContent ?? '';
      const phase = document.querySelector('[data-testid="app"]')?.getAttribute('data-phase');
      return s !== prev && new RegExp(source).test(s) && phase === 'ready';
    },
    [before, pattern.source] as const,
    { timeout: 180_000 },
  );
  return statusText(page);
}

async function searchFile(page: Page, file: string): Promise<string> {
  const before = await statusText(page);
  await page.getByTestId('photo-input').setInputFiles(file);
  return waitForSearch(page, before);
}

const resultIds = (page: Page) => page.getByTestId('result').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')!).join());

describe.skipIf(!hasDatasets)(`the shopper's experience ${hasDatasets ? '' : `(skipped: ${SKIP_DATASETS})`}`, () => {
  let env: BrowserApp;
  let url: string;

  beforeAll(async () => {
    const fixture = await buildTestCatalog();
    env = await startBrowserApp(FAKE_CAMERA);
    url = `${env.url}?catalog=${fixture.url}&backend=wasm`;
  });
  afterAll(() => env?.close());

  it('first run shows the model download per file and in total (MB of MB), then warm-up', async () => {
    // A fresh context: nothing cached, so the models really download.
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(() => {
      const seen: { label: string; amount: string; file: string; phase: string }[] = [];
      (window as unknown as { progressSeen: typeof seen }).progressSeen = seen;
      new MutationObserver(() => {
        const text = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? '';
        const phase = document.querySelector('.progress')?.getAttribute('data-phase') ?? '';
        if (document.querySelector('[data-testid="progress"]'))
          seen.push({ label: text('progress-label'), amount: text('progress-amount'), file: text('progress-file'), phase });
      }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.goto(`${env.url}?catalog=none&backend=wasm`);
    await waitReady(page);
    const seen = await page.evaluate(
      () => (window as unknown as { progressSeen: { label: string; amount: string; file: string; phase: string }[] }).progressSeen,
    );
    const manifest = JSON.parse(readFileSync(resolve(ROOT, 'model-artifacts/shipped/manifest.json'), 'utf8')) as {
      models: { files: { path: string; bytes: number }[] }[];
      heads: { files: { path: string; bytes: number }[] }[];
      projection: { files: { path: string; bytes: number }[] };
    };
    const files = [...new Map([...manifest.models, ...manifest.heads, manifest.projection].flatMap((m) => m.files).map((f) => [f.path, f])).values()];
    const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;
    const total = files.reduce((a, f) => a + f.bytes, 0);
    const downloads = seen.filter((s) => /Downloading the image models/.test(s.label));
    expect(downloads.length).toBeGreaterThan(0);
    // In total: "x of <total> MB", ending at the full total.
    expect(downloads.every((d) => d.amount.endsWith(`of ${mb(total)}`))).toBe(true);
    expect(downloads.map((d) => d.amount)).toContain(`${mb(total)} of ${mb(total)}`);
    // Per file: "<file name> · x of <file size> MB", for more than one file.
    const fileLines = new Set(downloads.map((d) => d.file).filter(Boolean));
    const named = files.filter((f) =>
      [...fileLines].some((line) => line.startsWith(`${f.path.split('/').slice(-2).join('/')} · `) && line.endsWith(`of ${mb(f.bytes)}`)),
    );
    expect(named.length).toBeGreaterThan(1);
    expect(seen.some((s) => /Warming up the models/.test(s.label))).toBe(true);
    // The bar names each load step (data-phase, what `npm run bench` times the load phases by), in order.
    const phases = [...new Set(seen.map((s) => s.phase).filter(Boolean))];
    expect(phases).toEqual(['backend', 'download', 'warmup']);
    expect(downloads.every((d) => d.phase === 'download')).toBe(true);
    await context.close();
  });

  it.each([
    ['phone', PHONE],
    ['desktop', DESKTOP],
    ['small phone', SMALL_PHONE],
  ] as const)('%s layout: accessible and no horizontal scrolling when loaded, with results, and with the search area', async (_, viewport) => {
    const { page, errors } = await openAt(env, url, viewport);
    await checkState(page, 'loaded');
    await searchFile(page, ROOM);
    await page.getByTestId('detected-object').first().waitFor({ timeout: 180_000 });
    await page.getByTestId('result').first().waitFor();
    await checkState(page, 'results');
    await page.getByTestId('crop-start').click();
    await page.getByTestId('crop-box').waitFor();
    await checkState(page, 'crop');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('phone: snap a room, tap the detected chair, get similar products with reasons', async () => {
    const phone = await env.browser.newContext({ viewport: PHONE, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
    const { page } = await openAt(env, url, PHONE, phone);
    // A touch screen gets "Take a photo" (the camera app) beside "Choose a photo".
    expect(await page.locator('label', { hasText: 'Take a photo' }).isVisible()).toBe(true);
    expect(await page.getByTestId('photo-capture').getAttribute('capture')).toBe('environment');
    expect(await searchFile(page, ROOM)).toMatch(/Looked at ikea-a-cosy-space/);
    const chair = page.getByTestId('detected-object').filter({ hasText: 'chair' }).first();
    await chair.waitFor({ timeout: 180_000 });
    const wholePhoto = await resultIds(page);
    const before = await statusText(page);
    await chair.tap();
    expect(await waitForSearch(page, before)).toMatch(/Searched the selected object/);
    expect(await chair.getAttribute('aria-pressed')).toBe('true');
    expect(await resultIds(page)).not.toBe(wholePhoto);
    const reasons = await page.getByTestId('why').allTextContents();
    expect(reasons.length).toBeGreaterThan(0);
    for (const why of reasons) expect(why).toMatch(/^Similar look/);
    // The chosen object is in view of a phone screen without horizontal scrolling.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth)).toBe(true);
    await phone.close();
  });

  it('keyboard: Tab reaches the photo picker, the detected objects and the results, with visible focus', async () => {
    const { page } = await openAt(env, url, DESKTOP);
    await searchFile(page, ROOM);
    await page.getByTestId('detected-object').first().waitFor({ timeout: 180_000 });
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const reached = new Set<string>();
    const invisible: string[] = [];
    for (let i = 0; i < 250 && reached.size < 3; i++) {
      await page.keyboard.press('Tab');
      const focus = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return undefined;
        const where = el.matches('[data-testid="photo-input"]')
          ? 'photo picker'
          : el.matches('[data-testid="detected-object"]')
            ? 'detected object'
            : el.closest('[data-testid="result"]')
              ? 'result'
              : '';
        // A visually hidden input shows its focus on the button-like label around it.
        const shown = el.matches('.visually-hidden') ? (el.closest('label') ?? el) : el;
        const style = getComputedStyle(shown);
        const visible = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
        return { where, visible, name: `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}"` };
      });
      if (!focus) continue;
      if (!focus.visible) invisible.push(focus.name);
      if (focus.where) reached.add(focus.where);
    }
    expect([...reached].sort()).toEqual(['detected object', 'photo picker', 'result']);
    expect(invisible, 'elements without a visible focus indicator').toEqual([]);
    await page.close();
  });

  it('the search area moves and resizes by keyboard and by pointer, and searching it changes the results', async () => {
    const { page } = await openAt(env, url, DESKTOP);
    await searchFile(page, ROOM);
    await page.getByTestId('detected-object').first().waitFor({ timeout: 180_000 });
    const wholePhoto = await resultIds(page);
    await page.getByTestId('crop-start').click();
    const crop = page.getByTestId('crop-box');
    const box = async () => (await crop.getAttribute('data-box'))!.split(',').map(Number);
    expect(await crop.evaluate((el) => el === document.activeElement)).toBe(true);
    const [x1, y1, x2, y2] = await box();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowDown');
    for (let i = 0; i < 10; i++) await page.keyboard.press('Shift+ArrowLeft');
    for (let i = 0; i < 5; i++) await page.keyboard.press('Shift+ArrowUp');
    const moved = await box();
    const near = (a: number, b: number) => Math.abs(a - b) < 1e-3;
    expect(near(moved[0]!, x1! + 0.06) && near(moved[1]!, y1! + 0.04), `moved to ${moved}`).toBe(true);
    expect(near(moved[2]!, x2! + 0.06 - 0.2) && near(moved[3]!, y2! + 0.04 - 0.1), `resized to ${moved}`).toBe(true);
    expect(await crop.getAttribute('aria-label')).toMatch(`left ${Math.round(moved[0]! * 100)}%, top ${Math.round(moved[1]! * 100)}%`);
    expect(await page.getByTestId('crop-coords').textContent()).toMatch(`${Math.round((moved[2]! - moved[0]!) * 100)}% wide`);

    // Pointer: drawing on the photo from 10%,10% to 60%,70% makes that the area.
    const frame = (await page.locator('.crop-layer').boundingBox())!;
    await page.mouse.move(frame.x + frame.width * 0.1, frame.y + frame.height * 0.1);
    await page.mouse.down();
    await page.mouse.move(frame.x + frame.width * 0.35, frame.y + frame.height * 0.4, { steps: 4 });
    await page.mouse.move(frame.x + frame.width * 0.6, frame.y + frame.height * 0.7, { steps: 4 });
    await page.mouse.up();
    const drawn = await box();
    const expected = [0.1, 0.1, 0.6, 0.7];
    drawn.forEach((v, i) => expect(Math.abs(v - expected[i]!), `drawn ${drawn}`).toBeLessThan(0.02));

    const before = await statusText(page);
    await page.getByTestId('crop-search').click();
    expect(await waitForSearch(page, before)).toMatch(/Searched the area you chose/);
    expect(await resultIds(page)).not.toBe(wholePhoto);
    // "Whole photo" goes back to the whole photo's results.
    const again = await statusText(page);
    await page.getByRole('button', { name: 'Whole photo' }).click();
    expect(await waitForSearch(page, again)).toMatch(/Searched the whole photo/);
    expect(await resultIds(page)).toBe(wholePhoto);
    await page.close();
  });

  it('camera: the live preview’s shutter searches a camera-HHMMSS.jpg photo and switches the camera off', async () => {
    const { page } = await openAt(env, url, PHONE);
    await page.getByTestId('camera-open').click();
    const shutter = page.getByTestId('camera-shutter');
    await expect.poll(() => shutter.isEnabled(), { timeout: 30_000 }).toBe(true);
    const before = await statusText(page);
    await shutter.click();
    expect(await waitForSearch(page, before)).toMatch(/Looked at camera-\d{6}\.jpg/);
    expect(await page.getByTestId('camera-dialog').evaluate((d) => (d as HTMLDialogElement).open)).toBe(false);
    const tracks = await page.evaluate(
      () => ((document.querySelector('.camera-preview') as HTMLVideoElement).srcObject as MediaStream | null)?.getTracks().map((t) => t.readyState) ?? [],
    );
    expect(tracks.length).toBeGreaterThan(0);
    expect(tracks.every((s) => s === 'ended')).toBe(true);
    await expect.poll(() => page.getByTestId('result').count()).toBeGreaterThan(0);
    await page.close();
  });

  it('camera: a denied permission says so, and the dialog closes', async () => {
    const page = await env.context.newPage();
    await page.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    });
    await page.goto(url);
    await waitReady(page);
    await page.getByTestId('camera-open').click();
    await expect.poll(() => page.getByTestId('camera-message').textContent()).toMatch(/Camera access was denied.*choose a photo instead/);
    expect(await page.getByTestId('camera-shutter').isDisabled()).toBe(true);
    await page.getByTestId('camera-cancel').click();
    expect(await page.getByTestId('camera-dialog').evaluate((d) => (d as HTMLDialogElement).open)).toBe(false);
    // Nothing is stuck: the photo picker still works.
    expect(await page.getByTestId('photo-input').isEnabled()).toBe(true);
    await page.close();
  });

  it('paste: a pasted JPEG is searched; a paste without an image says so', async () => {
    const { page } = await openAt(env, url, DESKTOP);
    const jpeg = readFileSync(ROOM).toString('base64');
    const before = await statusText(page);
    await page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'pasted-room.jpg', { type: 'image/jpeg' }));
      document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, jpeg);
    expect(await waitForSearch(page, before)).toMatch(/Looked at pasted-room\.jpg/);
    await expect.poll(() => page.getByTestId('result').count()).toBeGreaterThan(0);
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.setData('text/plain', 'a sofa');
      document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    });
    await expect.poll(() => statusText(page)).toMatch(/The clipboard holds no image/);
    await page.close();
  });

  it('install: the button appears when the browser offers installation and opens its prompt', async () => {
    const { page } = await openAt(env, url, PHONE);
    expect(await page.getByTestId('install').count()).toBe(0);
    const offer = () =>
      page.evaluate(() => {
        const event = Object.assign(new Event('beforeinstallprompt', { cancelable: true }), {
          prompt: () => {
            const w = window as unknown as { prompted: number };
            w.prompted = (w.prompted ?? 0) + 1;
            return Promise.resolve();
          },
          userChoice: Promise.resolve({ outcome: 'accepted', platform: 'web' }),
        });
        dispatchEvent(event);
        return event.defaultPrevented;
      });
    expect(await offer()).toBe(true); // the browser's own mini-infobar is held back
    const install = page.getByTestId('install');
    await install.waitFor();
    expect(await install.textContent()).toBe('Install app');
    await install.click();
    await expect.poll(() => page.evaluate(() => (window as unknown as { prompted?: number }).prompted)).toBe(1);
    await expect.poll(() => install.count()).toBe(0);
    // Offered again, then installed some other way: the button goes.
    await offer();
    await install.waitFor();
    await page.evaluate(() => dispatchEvent(new Event('appinstalled')));
    await expect.poll(() => install.count()).toBe(0);
    await page.close();
  });
});
