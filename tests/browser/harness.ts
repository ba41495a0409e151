/**
 * Browser test rig: the built app served and Chromium launched as scripts/lib/browser-app.ts does it (the
 * benchmark uses the same), plus what only the tests need: a real profile, a page that records errors, and
 * waits on the app's state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../scripts/lib/browser-app.ts';

export {
  CHROMIUM_ARGS,
  DATASETS,
  ROOT,
  TEST_BUILD_DIR,
  hasDatasets,
  launchBrowser,
  startApp,
  startBrowserApp,
  type AppBuildOptions,
  type BrowserApp,
} from '../../scripts/lib/browser-app.ts';

export const SKIP_DATASETS = 'needs ../shared/datasets (the shared photo datasets) beside the repository';

/** A browser with a real (non-incognito) profile in a temporary folder. */
export async function launchProfile(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'lookalike-profile-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh page that records console errors and failed requests for assertions. */
export async function openApp(context: BrowserContext, url: string): Promise<{ page: Page; failed: string[]; errors: string[] }> {
  const page = await context.newPage();
  const failed: string[] = [];
  const errors: string[] = [];
  page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, failed, errors };
}

/** Waits until the app can take a photo (models loaded, the catalog opened or refused); returns the backend. */
export async function waitReady(page: Page, timeout = 240_000): Promise<string> {
  // data-phase, not the status line: a refused catalog replaces "Ready on …" within the same frame.
  await page.waitForFunction(() => /^(ready|busy|failed)$/.test(document.querySelector('[data-testid="app"]')?.getAttribute('data-phase') ?? ''), undefined, {
    timeout,
  });
  if ((await page.getByTestId('app').getAttribute('data-phase')) === 'failed')
    throw new Error(`The models did not load: ${await page.getByTestId('status').textContent()}`);
  return (await page.getByTestId('backend').textContent())?.trim() ?? '';
}

/**
 * Runs `action` (e.g. choosing a photo) and waits until the status line next
 * shows text matching `pattern`. It counts status changes with a
 * MutationObserver, so the same message twice in a row (the same photo again,
 * equally fast) still counts as the new answer.
 */
export async function afterStatus(page: Page, action: () => Promise<void>, pattern: RegExp, timeout = 180_000): Promise<string> {
  const seen = await page.evaluate(
    ([source, flags]) => {
      const w = window as unknown as { __statusWatch?: { source: string; matches: string[] } };
      const el = document.querySelector('[data-testid="status"]')!;
      if (w.__statusWatch?.source !== source + flags) {
        const watch = { source: source + flags, matches: [] as string[] };
        const re = new RegExp(source, flags);
        let last = '';
        new MutationObserver(() => {
          const text = el.textContent ?? '';
          if (text !== last && re.test(text)) watch.matches.push(text);
          last = text;
        }).observe(el, { childList: true, characterData: true, subtree: true });
        w.__statusWatch = watch;
      }
      return w.__statusWatch!.matches.length;
    },
    [pattern.source, pattern.flags] as const,
  );
  await action();
  await page.waitForFunction((n) => (window as unknown as { __statusWatch: { matches: string[] } }).__statusWatch.matches.length > n, seen, { timeout });
  return page.evaluate((n) => (window as unknown as { __statusWatch: { matches: string[] } }).__statusWatch.matches[n]!, seen);
}
