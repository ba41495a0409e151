/**
 * `postinstall`: fetches the pinned weight packages the unit tests read (today
 * @qvac/classification-ggml, whose GGUF the MobileNetV3-Small tests convert) into
 * .cache/npm/, so that `npm test` runs offline once `npm install` is done. Offline
 * here is not an error: the install goes on and the tests that need the package
 * skip, saying why.
 */
import { QVAC_CLASSIFICATION, fetchPinnedPackage } from '../lib/npm-tarball.ts';

try {
  fetchPinnedPackage(QVAC_CLASSIFICATION);
} catch (e) {
  console.warn(
    `Could not fetch ${QVAC_CLASSIFICATION.name}@${QVAC_CLASSIFICATION.version} for the unit tests (${(e as Error).message}); its tests will skip until \`npm install\` runs with the npm registry in reach.`,
  );
}
