import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestError, allFiles, backbones, findModel, opensCropView, parseManifest } from '../../src/shared/manifest.ts';
import { describeFile, ensembleIdOf, withModels } from '../../scripts/lib/manifest-writer.ts';

const shipped = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../model-artifacts/shipped/manifest.json'), 'utf8'));

describe('the model registry (model-artifacts/shipped/manifest.json)', () => {
  it('the shipped manifest is valid and lists the MobileNetV3 members and the detector', () => {
    const m = parseManifest(shipped);
    expect(backbones(m).map((b) => b.id)).toEqual(expect.arrayContaining(['mnv3l075', 'mnv3s']));
    expect(findModel(m, 'detector').role).toBe('detector');
    expect(m.models.every((x) => x.licence && x.source)).toBe(true);
    // Never call a network VGG19 unless it is the user's Keras VGG19.
    for (const x of m.models) if (/vgg/i.test(x.name)) expect(x.architecture).toBe('vgg19-keras');
  });

  it("every listed file exists with the manifest's size and sha256", () => {
    const m = parseManifest(shipped);
    for (const f of allFiles(m)) expect(describeFile(f.path)).toEqual(f);
  });

  it('downloads the shared CenterNet weights once, although two entries use them', () => {
    const m = parseManifest(shipped);
    const paths = allFiles(m).map((f) => f.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths.filter((p) => p === 'mnv3l075/weights.bin')).toHaveLength(1);
  });

  it('everything the app downloads for models stays within 10 MB', () => {
    const total = allFiles(parseManifest(shipped)).reduce((n, f) => n + f.bytes, 0);
    expect(total).toBeLessThanOrEqual(10_000_000);
  });

  it.each([
    [{ ...shipped, formatVersion: 2 }, /format version 2/],
    [{ ...shipped, models: [] }, /lists no models/],
    [{ ...shipped, models: [{ ...shipped.models[0], files: [{ path: '../etc/passwd', bytes: 1, sha256: 'a'.repeat(64) }] }] }, /invalid path/],
    [{ ...shipped, models: [{ ...shipped.models[0], files: [{ path: 'x.bin', bytes: 1, sha256: 'nothex' }] }] }, /no valid sha256/],
    [{ ...shipped, models: [shipped.models[0], shipped.models[0]] }, /duplicate id/],
    [{ ...shipped, models: [{ ...shipped.models[0], headInput: { node: 'x' } }] }, /headInput needs a featureNode and the node, convKernel and convBias names/],
    [{ ...shipped, cropView: { box: [0.1, 0.1, 0.9], labels: ['dress'] } }, /cropView: "box" must be \[x1, y1, x2, y2\] within \[0, 1\]/],
    [{ ...shipped, cropView: { box: [0.9, 0.1, 0.1, 0.9], labels: ['dress'] } }, /x1 < x2 and y1 < y2/],
    [{ ...shipped, cropView: { box: [0.1, 0.1, 0.9, 0.9], labels: [] } }, /cropView: "labels" must be a non-empty list/],
    [{ ...shipped, cropView: { box: [0.1, 0.1, 0.9, 0.9], labels: ['dress', 'spaceship'] } }, /cropView: labels spaceship are not among the heads' labels/],
    [{ ...shipped, mirrorView: 'yes' }, /mirrorView must be true or false/],
    ['not json object', /not a JSON object/],
  ])('refuses a malformed manifest with a specific message (%#)', (bad, message) => {
    expect(() => parseManifest(bad)).toThrow(ManifestError);
    expect(() => parseManifest(bad)).toThrow(message);
  });

  it("the crop view opens only when more than half of a row's vote is on its labels (app and trainer share this rule)", () => {
    const view = { box: [0.1, 0.1, 0.9, 0.9] as [number, number, number, number], labels: ['dress', 'hat'] };
    const labels = ['dress', 'sofa', 'hat'];
    const votes = [0.3, 0.5, 0.2, 0.4, 0.1, 0.5]; // row 0: exactly half on dress+hat; row 1: 0.9
    expect(opensCropView(view, labels, votes, 0)).toBe(false);
    expect(opensCropView(view, labels, votes, 1)).toBe(true);
  });
});

describe('rebuilding the models (npm run models:build)', () => {
  it('keeps what train:heads wrote (heads, vote, projection, crop and mirror views) and replaces the models', () => {
    const m = parseManifest(shipped);
    const other = m.models.map((x) => (x.id === 'mnv3s' ? { ...x, files: x.files.map((f) => ({ ...f, sha256: 'f'.repeat(64) })) } : x));
    const rebuilt = withModels({ ...m, cropView: m.cropView ?? { box: [0.1, 0.1, 0.9, 0.9], labels: ['tshirt'] }, mirrorView: true }, other);
    expect(rebuilt.cropView).toBeDefined();
    expect(rebuilt.mirrorView).toBe(true);
    expect([rebuilt.heads, rebuilt.voteWeights, rebuilt.projection, rebuilt.labels]).toEqual([m.heads, m.voteWeights, m.projection, m.labels]);
    expect(rebuilt.models).toBe(other);
    expect(ensembleIdOf(rebuilt)).not.toBe(m.ensembleId);
    // The same models give back the shipped manifest, key order included (models:build reproduces its bytes).
    const { ensembleId, ...rest } = m;
    expect(JSON.stringify({ ...withModels(m, m.models), ensembleId })).toBe(JSON.stringify({ ...rest, ensembleId }));
  });
});
