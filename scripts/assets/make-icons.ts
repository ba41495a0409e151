/** Renders public/icons/icon.svg to the PNG sizes the web app manifest lists (run once; outputs are committed). */
import { resolve } from 'node:path';
import sharp from 'sharp';

const dir = resolve(import.meta.dirname, '../../public/icons');
const svg = resolve(dir, 'icon.svg');
await sharp(svg).resize(192, 192).png().toFile(resolve(dir, 'icon-192.png'));
await sharp(svg).resize(512, 512).png().toFile(resolve(dir, 'icon-512.png'));
// Maskable: the glyph inside the 80% safe zone on a full-bleed background.
const inner = await sharp(svg).resize(360, 360).png().toBuffer();
await sharp({ create: { width: 512, height: 512, channels: 4, background: '#1f3a5f' } })
  .composite([{ input: inner, gravity: 'centre' }])
  .png()
  .toFile(resolve(dir, 'icon-maskable-512.png'));
console.log('icons written to', dir);
