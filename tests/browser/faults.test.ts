/**
 * Faults and bad input in the built app: damaged model files are refused with
 * the file's name and a retry downloads again; files that are not photos get a
 * specific message and leave the app working.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, ROOT, SKIP_DATASETS, hasDatasets, openApp, startBrowserApp, waitReady, type BrowserApp } from './harness.ts';

describe('faults and bad input', () => {
  let env: BrowserApp;
  beforeAll(async () => {
    env = await startBrowserApp();
  });
  afterAll(() => env?.close());

  it.each([
    ['truncated', (b: Buffer) => b.subarray(0, b.length - 1000), /mnv3s\/weights\.bin is damaged: truncated/],
    ['corrupted', (b: Buffer) => Buffer.from(b.map((v, i) => (i === 5000 ? v ^ 0xff : v))), /mnv3s\/weights\.bin is damaged: sha256/],
  ])('a %s model file is refused by name, and "Try again" downloads it afresh', async (_kind, damage, message) => {
    const context = await env.browser.newContext();
    try {
      const good = readFileSync(resolve(ROOT, 'model-artifacts/shipped/mnv3s/weights.bin'));
      await context.route('**/models/mnv3s/weights.bin*', (route) =>
        route.fulfill({ status: 200, body: damage(good), contentType: 'application/octet-stream' }),
      );
      const { page } = await openApp(context, `${env.url}?catalog=none&backend=wasm`);
      await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 60_000 }).toMatch(message);
      await context.unroute('**/models/mnv3s/weights.bin*');
      await page.getByRole('button', { name: 'Try again' }).click();
      await waitReady(page);
    } finally {
      await context.close();
    }
  });

  it.skipIf(!hasDatasets)(`files that are not photos get a specific message, and the next photo still works ${hasDatasets ? '' : SKIP_DATASETS}`, async () => {
    const { page, errors } = await openApp(env.context, `${env.url}?catalog=none&backend=wasm`);
    await waitReady(page);
    const jpeg = readFileSync(
      resolve(DATASETS, 'clothing-photos', readFileSync(resolve(DATASETS, 'clothing-photos/labels.csv'), 'utf8').split('\n')[1]!.split(',')[0]!),
    );
    const cases: [string, string, Buffer, RegExp][] = [
      ['empty.jpg', 'image/jpeg', Buffer.alloc(0), /empty\.jpg is empty \(0 bytes\)/],
      ['notes.jpg', 'image/jpeg', Buffer.from('just some text, not a photo'), /notes\.jpg is not an image this app can read/],
      ['manual.pdf', 'application/pdf', Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n'), /manual\.pdf is a PDF, not a photo/],
      [
        'drawing.svg',
        'image/svg+xml',
        Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        /drawing\.svg is an SVG drawing/,
      ],
      ['iphone.heic', 'image/heic', Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(16)]), /iphone\.heic is a HEIC photo/],
      ['cut.jpg', 'image/jpeg', jpeg.subarray(0, 200), /cut\.jpg could not be decoded: the file looks damaged or truncated/],
    ];
    for (const [name, mimeType, buffer, message] of cases) {
      await page.getByTestId('photo-input').setInputFiles({ name, mimeType, buffer });
      await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 30_000 }).toMatch(message);
    }
    await page.getByTestId('photo-input').setInputFiles({ name: 'good.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 60_000 }).toMatch(/Looked at good\.jpg/);
    expect(errors.join('\n')).toBe('');
    await page.close();
  });
});
