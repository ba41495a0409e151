import * as Comlink from 'comlink';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { AbortedError, InferenceBridge, WorkerCrashedError, type WorkerLike } from '../../src/bridge.ts';

/** A stand-in worker on a MessageChannel: a fake api with controllable timing, exposed with comlink. */
function fakeWorker(log: string[]) {
  const { port1, port2 } = new MessageChannel();
  const api = {
    async init(options: { modelsBase: string }, onProgress: (p: { phase: string }) => void) {
      await onProgress({ phase: 'download' });
      log.push(`init ${options.modelsBase}`);
      return { ok: true };
    },
    async embed(tag: string, delay: number) {
      log.push(`start ${tag}`);
      await new Promise((r) => setTimeout(r, delay));
      log.push(`end ${tag}`);
      return tag;
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

type FakeRemote = { embed(tag: string, delay: number): Promise<string>; init: (...a: unknown[]) => Promise<unknown> };

describe('the page↔worker bridge', () => {
  it('runs calls one at a time, in the order they were made', async () => {
    const log: string[] = [];
    const bridge = new InferenceBridge(() => fakeWorker(log));
    const slow = bridge.call((r) => (r as unknown as FakeRemote).embed('a', 60));
    const fast = bridge.call((r) => (r as unknown as FakeRemote).embed('b', 1));
    expect(await Promise.all([slow, fast])).toEqual(['a', 'b']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
    bridge.terminate();
  });

  it('passes progress callbacks through comlink.proxy', async () => {
    const log: string[] = [];
    const bridge = new InferenceBridge(() => fakeWorker(log));
    const seen: string[] = [];
    await bridge.init({ modelsBase: 'http://x/models/' }, (p) => void seen.push(p.phase));
    expect(seen).toEqual(['download']);
    expect(log).toEqual(['init http://x/models/']);
    bridge.terminate();
  });

  it('an aborted queued call never reaches the worker, and later calls still run', async () => {
    const log: string[] = [];
    const bridge = new InferenceBridge(() => fakeWorker(log));
    const controller = new AbortController();
    const first = bridge.call((r) => (r as unknown as FakeRemote).embed('a', 40));
    const aborted = bridge.call((r) => (r as unknown as FakeRemote).embed('skipped', 1), controller.signal);
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortedError);
    expect(await first).toBe('a');
    expect(await bridge.call((r) => (r as unknown as FakeRemote).embed('c', 1))).toBe('c');
    expect(log).not.toContain('start skipped');
    bridge.terminate();
  });

  it('after a worker crash the pending call fails with a message and the next call works', async () => {
    const log: string[] = [];
    let started = 0;
    const bridge = new InferenceBridge(() => (started++, fakeWorker(log)));
    const restarts: string[] = [];
    bridge.onRestart = (reason) => restarts.push(reason);
    const pending = bridge.call((r) => (r as unknown as FakeRemote).embed('hung', 10_000));
    await new Promise((r) => setTimeout(r, 20));
    bridge.restart('GPU device lost');
    await expect(pending).rejects.toBeInstanceOf(WorkerCrashedError);
    await expect(pending).rejects.toThrow(/GPU device lost.*try again/);
    expect(restarts).toEqual(['GPU device lost']);
    expect(started).toBe(2);
    expect(await bridge.call((r) => (r as unknown as FakeRemote).embed('next', 1))).toBe('next');
    bridge.terminate();
  });
});
