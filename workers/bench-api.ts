/**
 * Benchmark hooks of the inference worker (docs/performance.md, `npm run bench`).
 * Built into test builds only (`vite build --mode test`); the worker calls
 *
 *   createBenchApi({ getEmbedder: () => embedder, serial });
 *
 * which sets them as `self.lookalikeBench` in the worker, so the benchmark
 * reaches them from Playwright (`page.workers()[i].evaluate`) without any
 * page-side wiring.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelManifest } from '../src/shared/manifest.ts';
import { MemberBench, type MemberOpenResult, type MemberRunResult } from './bench-member.ts';
import type { PeerVariant } from './bench-variants.ts';
import type { ArtifactReader } from './models/backbone.ts';
import type { Embedder } from './models/ensemble.ts';

export interface BenchDeps {
  getEmbedder(): Embedder | undefined;
  /** The shopper's current photo (for a raw run on the same content as the last query). */
  getPhoto(): tf.Tensor3D | undefined;
  /** The loaded manifest and the worker's artifact reader (its bytes are in memory once loaded). */
  getModels(): { manifest: ModelManifest; read: ArtifactReader } | undefined;
  /** The worker's call queue, so a benchmark never overlaps a real call. */
  serial: <T>(task: () => Promise<T>) => Promise<T>;
}

export interface BenchPredictResult {
  /** Median of `runs`. */
  medianMs: number;
  /** ms of each measured `embedder.run` (after one unmeasured run). */
  runs: number[];
  backend: string;
  /** Side of the square RGB input, in pixels. */
  size: number;
  members: string[];
  /** The load's warm-up per part (Embedder.warmupMs): ms by member id and `combine` (projection, vote). */
  warmupMs: Record<string, number>;
  /** tfjs tensor count before and after the runs: equal unless something leaks. */
  numTensorsBefore: number;
  numTensorsAfter: number;
}

/** tf.memory() with the GPU figure under one name whatever the backend calls it. */
export interface BenchMemory {
  backend: string;
  numTensors: number;
  numDataBuffers: number;
  numBytes: number;
  /** Bytes the backend holds on the GPU (buffers/textures allocated, in use or pooled); absent on CPU backends. */
  gpuBytesAllocated?: number;
  /** Bytes of GPU memory in use by live tensors. */
  gpuBytesInUse?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function createBenchApi(deps: BenchDeps) {
  let member: MemberBench | undefined;
  const api = {
    /**
     * Warm latency of the raw models: `embedder.run` (every member, heads,
     * projection, read back) on one fixed RGB tensor already at the models' input
     * size, `n` times after `warmRuns` unmeasured ones. No decode, no transfer, no search. With `fromPhoto`, the
     * tensor is the current photo already shrunk to that size (random noise otherwise): the same views open as in
     * the query on that photo (a clothing photo is classified again from its crop), so the query's ratio to it is
     * what the app adds around the models.
     */
    benchPredict(n = 10, size?: number, warmRuns = 1, fromPhoto = false): Promise<BenchPredictResult> {
      return deps.serial(async () => {
        const embedder = deps.getEmbedder();
        if (!embedder) throw new Error('The models are not loaded yet');
        const side = size ?? embedder.members[0]?.entry.inputSize ?? 224;
        const count = Math.max(1, Math.floor(n));
        const photo = deps.getPhoto();
        if (fromPhoto && !photo) throw new Error('No photo yet');
        const image = (
          fromPhoto
            ? tf.tidy(() => tf.image.resizeBilinear(photo!.toFloat() as tf.Tensor3D, [side, side], false, true).round())
            : tf.randomUniform([side, side, 3], 0, 256, 'int32', 42)
        ) as tf.Tensor3D;
        try {
          const numTensorsBefore = tf.memory().numTensors;
          for (let i = 0; i < warmRuns; i++) await embedder.run(image);
          const runs: number[] = [];
          for (let i = 0; i < count; i++) {
            const started = performance.now();
            await embedder.run(image);
            runs.push(performance.now() - started);
          }
          return {
            medianMs: median(runs),
            runs,
            backend: tf.getBackend(),
            size: side,
            members: embedder.members.map((m) => m.entry.id),
            warmupMs: embedder.warmupMs,
            numTensorsBefore,
            numTensorsAfter: tf.memory().numTensors,
          };
        } finally {
          image.dispose();
        }
      });
    },

    /**
     * One ensemble member alone (the peer-engine benchmark): a fresh copy loaded with the app's loader, its
     * warm-up timed, on a fixed preprocessed input (workers/bench-member.ts). Then `benchMemberRun`, then `benchMemberClose`.
     */
    benchMemberOpen(id: string, variant: PeerVariant = 'shipped'): Promise<MemberOpenResult> {
      return deps.serial(async () => {
        const models = deps.getModels();
        if (!models) throw new Error('The models are not loaded yet');
        member ??= new MemberBench(models.manifest, models.read);
        return member.open(id, variant);
      });
    },

    /** `n` timed passes of an open copy: features() and read back. */
    benchMemberRun(n = 1, variant: PeerVariant = 'shipped'): Promise<MemberRunResult> {
      return deps.serial(async () => {
        if (!member) throw new Error('benchMemberOpen first');
        return member.run(n, variant);
      });
    },

    benchMemberClose(): Promise<{ numTensors: number }> {
      return deps.serial(async () => {
        member?.close();
        member = undefined;
        return { numTensors: tf.memory().numTensors };
      });
    },

    /**
     * tfjs's memory counters with the GPU bytes named the same on every backend:
     * WebGL reports `numBytesInGPUAllocated`, WebGPU `numBytesAllocatedInGPU`.
     * Queued like every call, so it never reads the counters mid-query.
     */
    benchMemory(): Promise<BenchMemory> {
      return deps.serial(async () => {
        const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number; numBytesInGPUAllocated?: number; numBytesAllocatedInGPU?: number };
        const allocated = m.numBytesAllocatedInGPU ?? m.numBytesInGPUAllocated;
        return {
          backend: tf.getBackend(),
          numTensors: m.numTensors,
          numDataBuffers: m.numDataBuffers,
          numBytes: m.numBytes,
          ...(allocated !== undefined ? { gpuBytesAllocated: allocated } : {}),
          ...(m.numBytesInGPU !== undefined ? { gpuBytesInUse: m.numBytesInGPU } : {}),
        };
      });
    },
  };
  (globalThis as { lookalikeBench?: typeof api }).lookalikeBench = api;
  return api;
}

export type BenchApi = ReturnType<typeof createBenchApi>;
