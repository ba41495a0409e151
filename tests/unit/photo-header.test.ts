/** Image dimensions read from file headers, so huge photos are decoded straight at reduced size. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { headerSize, sniffType } from '../../src/photo-decode.ts';

const image = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#836953' } });

describe('headerSize', () => {
  it.each([
    ['png', () => image(1234, 567).png().toBuffer()],
    ['jpeg', () => image(1234, 567).jpeg().toBuffer()],
    ['progressive jpeg with EXIF', () => image(1234, 567).withMetadata({ orientation: 6 }).jpeg({ progressive: true }).toBuffer()],
    ['gif', () => image(1234, 567).gif().toBuffer()],
    ['lossy webp', () => image(1234, 567).webp().toBuffer()],
    ['lossless webp', () => image(1234, 567).webp({ lossless: true }).toBuffer()],
  ])('reads %s dimensions', async (_kind, make) => {
    const blob = new Blob([await make()]);
    expect(await headerSize(blob, await sniffType(blob))).toEqual({ width: 1234, height: 567 });
  });

  it('gives up on a cut header instead of guessing', async () => {
    const jpeg = await image(100, 80).jpeg().toBuffer();
    const blob = new Blob([jpeg.subarray(0, 20)]);
    expect(await headerSize(blob, 'image/jpeg')).toBeUndefined();
  });
});
