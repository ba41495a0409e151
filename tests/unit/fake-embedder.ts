/** The models' stand-in for the indexer tests: a 4×4 thumbnail of the image as its embedding (fast, deterministic, fails like the real one on bad files). */
import sharp from 'sharp';
import type { ImageEmbedder } from '../../scripts/lib/catalog-indexer.ts';
import { l2Normalize } from '../../src/shared/vector.ts';

export function fakeEmbedder(ensembleId = 'lookalike-test000000000000'): ImageEmbedder & { calls: number } {
  const e = {
    ensembleId,
    dimension: 48,
    modelSha256: ['c'.repeat(64)],
    calls: 0,
    async embed(bytes: Buffer, name: string) {
      e.calls++;
      try {
        const { data } = await sharp(bytes, { failOn: 'error' }).resize(4, 4, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        return l2Normalize(Float32Array.from(data, (x) => x + 1));
      } catch (error) {
        throw new Error(`${name}: not a readable image (${(error as Error).message})`);
      }
    },
  };
  return e;
}
