/**
 * Real photos with known ImageNet content from Debian's `darknet` package: the EfficientNet-Lite tests check
 * ImageNet labels and reference features on them, so no dataset image enters the repository. They are read where
 * the package installs them, or where `npm test` unpacks the package without installing it (`apt-get download
 * darknet`, then `dpkg-deb -x` into .cache/darknet: the photos need none of its dependencies). The tests skip,
 * saying so, where neither has them.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DARKNET_PHOTOS = ['dog.jpg', 'eagle.jpg', 'giraffe.jpg', 'horses.jpg', 'person.jpg'];
/** Where `npm test` (scripts/test.mjs) unpacks the package when it is not installed. */
export const DARKNET_UNPACKED = resolve(import.meta.dirname, '../../.cache/darknet');
const PLACES = ['/usr/share/darknet/data', join(DARKNET_UNPACKED, 'usr/share/darknet/data')];

/** The folder holding the photos, or undefined when neither place has them all. */
export function darknetData(): string | undefined {
  return PLACES.find((dir) => DARKNET_PHOTOS.every((f) => existsSync(join(dir, f))));
}

export const DARKNET_MISSING = "Debian darknet's photos are missing (`apt-get install -y darknet`, or let `npm test` unpack the package into .cache/darknet)";
