/**
 * The extra classification views of the ensemble. Crop view (manifest cropView): a photo whose whole-image vote
 * is mostly the view's categories is classified again from the crop, and each member's probabilities become the
 * mean of the two views'. Mirror view (manifest mirrorView): every view is classified with its mirror image too.
 * The embedding stays the whole photo's, other photos are untouched, and no tensors are left behind.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileReader, useWasmBackend } from '../../scripts/lib/node-models.ts';
import { readManifest } from '../../scripts/lib/manifest-writer.ts';
import type { CropBox, ModelManifest } from '../../src/shared/manifest.ts';
import { mulberry32 } from '../../src/shared/prng.ts';
import { Embedder } from '../../workers/models/ensemble.ts';
import { GraphCache } from '../../workers/models/load-backbone.ts';
import { cropRelative } from '../../workers/models/preprocess.ts';

const BOX: CropBox = [0.1, 0.1, 0.9, 0.9];
const mean = (...rows: Float32Array[]) => rows[0]!.map((_, i) => rows.reduce((sum, r) => sum + r[i]!, 0) / rows.length);
const photo = () => {
  const r = mulberry32(5);
  return tf.tensor3d(
    Int32Array.from({ length: 200 * 150 * 3 }, () => Math.floor(r() * 256)),
    [200, 150, 3],
    'int32',
  );
};

describe('the crop and mirror views of the ensemble (workers/models/ensemble.ts)', () => {
  const graphs = new GraphCache();
  let manifest: ModelManifest;
  let wholeOnly: Embedder;
  beforeAll(async () => {
    await useWasmBackend();
    const { cropView: _, mirrorView: __, ...rest } = readManifest();
    manifest = rest;
    wholeOnly = await Embedder.load(manifest, fileReader(), {}, graphs);
  });
  afterAll(() => wholeOnly.dispose());

  it('the load warms up each member (with its head) and the step combining them, and says how long each took', () => {
    expect(Object.keys(wholeOnly.warmupMs).sort()).toEqual([...wholeOnly.members.map((m) => m.entry.id), 'combine'].sort());
    for (const ms of Object.values(wholeOnly.warmupMs)) expect(ms).toBeGreaterThanOrEqual(0);
  });

  it('averages every member with its crop when the whole photo is mostly the view’s categories; the embedding is the whole photo’s', async () => {
    const image = photo();
    const crop = tf.tidy(() => cropRelative(image, BOX));
    const whole = await wholeOnly.run(image);
    const cropped = await wholeOnly.run(crop);
    // Every label: the gate always opens.
    const withView = await Embedder.load({ ...manifest, cropView: { box: BOX, labels: manifest.labels! } }, fileReader(), {}, graphs);
    const out = await withView.run(image);
    expect(out.cropView).toBe(true);
    expect(Array.from(out.embedding)).toEqual(Array.from(whole.embedding));
    expect(Array.from(await withView.embed(image))).toEqual(Array.from(whole.embedding));
    let moved = 0;
    for (const [id, p] of Object.entries(out.memberProbabilities!)) {
      p.forEach((v, i) => expect(v).toBeCloseTo((whole.memberProbabilities![id]![i]! + cropped.memberProbabilities![id]![i]!) / 2, 5));
      moved = Math.max(moved, ...p.map((v, i) => Math.abs(v - whole.memberProbabilities![id]![i]!)));
    }
    out.probabilities!.forEach((v, i) => expect(v).toBeCloseTo((whole.probabilities![i]! + cropped.probabilities![i]!) / 2, 5));
    expect(moved).toBeGreaterThan(1e-4); // the crop is a different view, not the same pixels again
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await withView.run(image), await withView.embed(image);
    expect(tf.memory().numTensors).toBe(before);
    withView.dispose();
    tf.dispose([image, crop]);
  });

  it('leaves a photo whose vote is mostly other categories as the whole photo classifies it', async () => {
    const image = photo();
    const whole = await wholeOnly.run(image);
    const least = manifest.labels!.map((l, i) => [l, whole.probabilities![i]!] as const).sort((a, b) => a[1] - b[1])[0]![0];
    const withView = await Embedder.load({ ...manifest, cropView: { box: BOX, labels: [least] } }, fileReader(), {}, graphs);
    const out = await withView.run(image);
    expect(out.cropView).toBe(false);
    expect(Array.from(out.probabilities!)).toEqual(Array.from(whole.probabilities!));
    withView.dispose();
    image.dispose();
  });

  it('with the mirror view, averages every member with the mirror image of each view (the crop’s too); the embedding is the photo’s own', async () => {
    const image = photo();
    const flipped = tf.reverse(image, 1);
    const crop = tf.tidy(() => cropRelative(image, BOX));
    const cropFlipped = tf.reverse(crop, 1);
    const [whole, mirrored, cropped, croppedMirrored] = [
      await wholeOnly.run(image),
      await wholeOnly.run(flipped),
      await wholeOnly.run(crop),
      await wholeOnly.run(cropFlipped),
    ];
    const mirrorOnly = await Embedder.load({ ...manifest, mirrorView: true }, fileReader(), {}, graphs);
    const out = await mirrorOnly.run(image);
    expect(out.mirrorView).toBe(true);
    out.embedding.forEach((v, i) => expect(v).toBeCloseTo(whole.embedding[i]!, 5));
    for (const [id, p] of Object.entries(out.memberProbabilities!)) {
      const expected = mean(whole.memberProbabilities![id]!, mirrored.memberProbabilities![id]!);
      // A batch of two and two batches of one round differently in float32: within 5e-5, against a mirror-image
      // effect at least 20 times larger (below).
      p.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
    }
    const expectedVote = mean(whole.probabilities!, mirrored.probabilities!);
    out.probabilities!.forEach((v, i) => expect(v).toBeCloseTo(expectedVote[i]!, 4));
    expect(Math.max(...out.probabilities!.map((v, i) => Math.abs(v - whole.probabilities![i]!)))).toBeGreaterThan(1e-3); // a random photo is not symmetric

    const both = await Embedder.load({ ...manifest, mirrorView: true, cropView: { box: BOX, labels: manifest.labels! } }, fileReader(), {}, graphs);
    const four = await both.run(image);
    expect([four.cropView, four.mirrorView]).toEqual([true, true]);
    const expectedFour = mean(whole.probabilities!, mirrored.probabilities!, cropped.probabilities!, croppedMirrored.probabilities!);
    four.probabilities!.forEach((v, i) => expect(v).toBeCloseTo(expectedFour[i]!, 4));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await both.run(image), await both.embed(image);
    expect(tf.memory().numTensors).toBe(before);
    [mirrorOnly, both].forEach((e) => e.dispose());
    tf.dispose([image, flipped, crop, cropFlipped]);
  });
});
