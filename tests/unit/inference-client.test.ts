import * as Comlink from 'comlink';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { AbortedError, InferenceClient, WorkerCrashedError, type WorkerLike } from '../../src/inference-client.ts';

/**
 * A stand-in worker on a MessageChannel: a fake of the worker's grouped API with
 * controllable timing, exposed with comlink. `search.run` answers the request's
 * first category after `k` ms, so calls can be told apart and made slow.
 */
function fakeWorker(log: string[]) {
  const { port1, port2 } = new MessageChannel();
  const api = {
    models: {
      async init(options: { modelsBase: string }, onProgress: (p: { phase: string }) => void) {
        await onProgress({ phase: 'download' });
        log.push(`init ${options.modelsBase}`);
        return { ok: true };
      },
    },
    search: {
      async run(request: { k: number; categories: [string] }) {
        const tag = request.categories[0];
        log.push(`start ${tag}`);
        await new Promise((r) => setTimeout(r, request.k));
        log.push(`end ${tag}`);
        return tag;
      },
      /** Answers the size of what arrived: a transferred buffer arrives whole and is detached on the page. */
      async setPhoto(bitmap: ArrayBuffer) {
        return { width: bitmap.byteLength, height: 0 };
      },
    },
    faults: {
      async armCrash() {
        log.push('armed');
      },
    },
  };
  Comlink.expose(api, port1 as unknown as Comlink.Endpoint);
  const endpoint = port2 as unknown as WorkerLike;
  endpoint.terminate = () => {
    log.push('terminated');
    port1.close();
    port2.close();
  };
  return endpoint;
}

/** `search.run` of the fake: answers `tag` after `ms`. */
const run = (client: InferenceClient, tag: string, ms: number, signal?: AbortSignal) =>
  client.search.run({ k: ms, categories: [tag] }, signal) as unknown as Promise<string>;

describe('the page↔worker client', () => {
  it('runs calls one at a time, in the order they were made', async () => {
    const log: string[] = [];
    const client = new InferenceClient(() => fakeWorker(log));
    const slow = run(client, 'a', 60);
    const fast = run(client, 'b', 1);
    expect(await Promise.all([slow, fast])).toEqual(['a', 'b']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
    client.terminate();
  });

  it("reaches a group's method by its path, passing progress callbacks through comlink.proxy", async () => {
    const log: string[] = [];
    const client = new InferenceClient(() => fakeWorker(log));
    const seen: string[] = [];
    await client.models.init({ modelsBase: 'http://x/models/' }, (p) => void seen.push(p.phase));
    expect(seen).toEqual(['download']);
    expect(log).toEqual(['init http://x/models/']);
    client.terminate();
  });

  it('transfers the photo to the worker instead of copying it', async () => {
    const client = new InferenceClient(() => fakeWorker([]));
    const bytes = new ArrayBuffer(64);
    const answer = await client.search.setPhoto(bytes as unknown as ImageBitmap);
    expect(answer.width).toBe(64);
    expect(bytes.byteLength).toBe(0); // detached: it was moved, not cloned
    client.terminate();
  });

  it('an aborted queued call never reaches the worker, and later calls still run', async () => {
    const log: string[] = [];
    const client = new InferenceClient(() => fakeWorker(log));
    const controller = new AbortController();
    const first = run(client, 'a', 40);
    const aborted = run(client, 'skipped', 1, controller.signal);
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortedError);
    expect(await first).toBe('a');
    expect(await run(client, 'c', 1)).toBe('c');
    expect(log).not.toContain('start skipped');
    client.terminate();
  });

  it('fault hooks reach the worker at once, not after the queued calls', async () => {
    const log: string[] = [];
    const client = new InferenceClient(() => fakeWorker(log));
    const slow = run(client, 'slow', 80);
    await new Promise((r) => setTimeout(r, 20));
    await client.faults!.armCrash();
    expect(log).toEqual(['start slow', 'armed']);
    await slow;
    client.terminate();
  });

  it('after a worker crash the pending call fails with a message and the next call works', async () => {
    const log: string[] = [];
    let started = 0;
    const client = new InferenceClient(() => (started++, fakeWorker(log)));
    const restarts: string[] = [];
    client.onRestart = (reason) => restarts.push(reason);
    const pending = run(client, 'hung', 10_000);
    await new Promise((r) => setTimeout(r, 20));
    client.restart('GPU device lost');
    await expect(pending).rejects.toBeInstanceOf(WorkerCrashedError);
    await expect(pending).rejects.toThrow(/GPU device lost.*try again/);
    expect(restarts).toEqual(['GPU device lost']);
    expect(started).toBe(2);
    expect(await run(client, 'next', 1)).toBe('next');
    client.terminate();
  });
});
