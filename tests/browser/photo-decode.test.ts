/**
 * Camera photos decoded at the size the app keeps (#24, src/photo-decode.ts), in real Chromium: a 12 MP JPEG
 * whose EXIF says "rotate 90°" comes out upright and at most 1024 px, decoded straight at a JPEG scale (1/4:
 * 756×1008) rather than in full and shrunk; a 70 MP one too; and a rotated camera photo is searched end to end.
 * Uses the test build's `lookalike.debug.decodePhoto` (docs/testing.md).
 */
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterStatus, openApp, startBrowserApp, waitReady, type BrowserApp } from './harness.ts';

/**
 * A stored width×height JPEG, left half red and right half blue, tagged EXIF orientation 6 (shown rotated 90°
 * clockwise): upright, it is height×width with red on top and blue below.
 */
async function rotatedJpeg(width: number, height: number): Promise<Buffer> {
  const half = Math.floor(width / 2);
  const red = { r: 230, g: 20, b: 20 };
  const blue = { r: 20, g: 20, b: 230 };
  const left = await sharp({ create: { width: half, height, channels: 3, background: red } })
    .png()
    .toBuffer();
  return sharp({ create: { width, height, channels: 3, background: blue }, limitInputPixels: false })
    .composite([{ input: left, left: 0, top: 0 }])
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 85 })
    .toBuffer();
}

type Decoded = { width: number; height: number; rgb: number[][] };
const decode = (page: Page, jpeg: Buffer, name: string): Promise<Decoded> =>
  page.evaluate(
    ([b64, n]) =>
      (
        window as unknown as { lookalike: { debug: { decodePhoto(b: string, n: string, p: [number, number][]): Promise<Decoded> } } }
      ).lookalike.debug.decodePhoto(b64, n, [
        [0.5, 0.1],
        [0.5, 0.9],
      ]),
    [jpeg.toString('base64'), name] as const,
  );

const isRed = ([r, g, b]: number[]) => r! > 180 && g! < 80 && b! < 80;
const isBlue = ([r, g, b]: number[]) => b! > 180 && r! < 80 && g! < 80;

describe('camera photos decoded at the size the app keeps', () => {
  let env: BrowserApp;
  let page: Page;
  beforeAll(async () => {
    env = await startBrowserApp([], { testHooks: true });
    page = (await openApp(env.context, `${env.url}?catalog=none&backend=wasm`)).page;
    await waitReady(page);
  });
  afterAll(() => env?.close());

  it('a 12 MP JPEG tagged "rotate 90°" comes out upright, decoded straight at a quarter of its size', async () => {
    const decoded = await decode(page, await rotatedJpeg(4032, 3024), 'IMG_1234.jpg');
    expect([decoded.width, decoded.height]).toEqual([756, 1008]);
    expect(isRed(decoded.rgb[0]!)).toBe(true);
    expect(isBlue(decoded.rgb[1]!)).toBe(true);
  });

  it('a 70 MP JPEG still decodes, upright and at most 1024 px', async () => {
    const decoded = await decode(page, await rotatedJpeg(10000, 7000), 'panorama.jpg');
    expect(Math.max(decoded.width, decoded.height)).toBeLessThanOrEqual(1024);
    expect(decoded.height).toBeGreaterThan(decoded.width);
    expect(isRed(decoded.rgb[0]!)).toBe(true);
    expect(isBlue(decoded.rgb[1]!)).toBe(true);
  });

  it('a rotated 12 MP camera photo is searched end to end', async () => {
    const buffer = await rotatedJpeg(4032, 3024);
    const status = await afterStatus(
      page,
      () => page.getByTestId('photo-input').setInputFiles({ name: 'camera.jpg', mimeType: 'image/jpeg', buffer }),
      /^Looked at camera\.jpg/,
    );
    expect(status).toMatch(/^Looked at camera\.jpg/);
  });
});
