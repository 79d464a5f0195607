import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ModelInstance } from './model-instance.ts';
import { ModelScheduler, type QueuedRequest } from './model-scheduler.ts';
import type { WireTensor } from './session-protocol.ts';

/** A stand-in session: echoes its input as output 'y' and records every batch it ran. */
function fakeInstance() {
  const runs: number[][] = [];
  let release: (() => void) | undefined;
  const instance = {
    alive: true,
    hold: false,
    runs,
    release: () => release?.(),
    async run(feeds: Record<string, WireTensor>) {
      const x = feeds.x;
      runs.push(x.dims);
      if (instance.hold) await new Promise<void>((r) => (release = r));
      return { outputs: { y: { type: 'float32', dims: x.dims, data: x.data } }, computeMs: 1 };
    },
    async stop() {},
  };
  return instance;
}

function request(values: number[], over: Partial<QueuedRequest> = {}): QueuedRequest {
  const data = Buffer.from(new Float32Array(values).buffer);
  return {
    inputs: [{ name: 'x', datatype: 'FP32', shape: [values.length, 1], data }],
    outputs: ['y'],
    batch: values.length,
    key: '1>y',
    deadline: Infinity,
    isCancelled: () => false,
    ...over,
  };
}

function scheduler(
  instance: ReturnType<typeof fakeInstance>,
  over: { stack?: boolean; maxQueueDelayMs?: number; maxQueueSize?: number; respawn?: () => Promise<ModelInstance> } = {},
) {
  return new ModelScheduler({
    label: 'm',
    instances: [instance as unknown as ModelInstance],
    maxBatchSize: 4,
    stack: over.stack ?? true,
    maxQueueDelayMs: over.maxQueueDelayMs ?? 60_000,
    maxQueueSize: over.maxQueueSize ?? 100,
    outputTypes: new Map([['y', 'FP32']]),
    logger: pino({ level: 'silent' }),
    respawn: over.respawn ?? (() => Promise.reject(new Error('no respawn in this test'))),
  });
}

const values = (t: { data: Buffer }[]) => Array.from(new Float32Array(t[0].data.buffer.slice(t[0].data.byteOffset, t[0].data.byteOffset + t[0].data.byteLength)));

afterEach(() => {
  vi.useRealTimers();
});

describe('ModelScheduler', () => {
  it('runs a full batch at once and gives each caller its own rows', async () => {
    const inst = fakeInstance();
    const s = scheduler(inst);
    const out = await Promise.all([s.submit(request([1])), s.submit(request([2, 3])), s.submit(request([4]))]);
    expect(inst.runs).toEqual([[4, 1]]);
    expect(out.map(values)).toEqual([[1], [2, 3], [4]]);
    expect(out[1][0].shape).toEqual([2, 1]);
  });

  it("lets go of each request's input bytes once they are stacked, before the batch has run", async () => {
    const inst = fakeInstance();
    inst.hold = true;
    const s = scheduler(inst);
    const requests = [request([1]), request([2, 3]), request([4])];
    const pending = Promise.all(requests.map((r) => s.submit(r)));
    await vi.waitFor(() => expect(inst.runs).toHaveLength(1));
    // The batch is on the session now: no request still holds its own buffer (it can die young).
    expect(requests.map((r) => r.inputs[0].data.byteLength)).toEqual([0, 0, 0]);
    inst.hold = false;
    inst.release();
    expect((await pending).map(values)).toEqual([[1], [2, 3], [4]]);
  });

  it('runs a lone caller at once, and waits again at the first sign of company', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const inst = fakeInstance();
    const s = scheduler(inst, { maxQueueDelayMs: 50 });
    // Nothing is known about the first caller: it waits for company like any other.
    const first = s.submit(request([1]));
    await vi.advanceTimersByTimeAsync(49);
    expect(inst.runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await first;
    // It ran alone and nobody came meanwhile: the next request from it runs without the delay.
    for (const v of [2, 3]) {
      const next = s.submit(request([v]));
      await vi.advanceTimersByTimeAsync(0); // no time passes
      expect(inst.runs, `request ${v} ran without waiting`).toHaveLength(v);
      await next;
    }
    // A second caller arrives while a run is in flight: the two queued requests batch together.
    inst.hold = true;
    const running = s.submit(request([4]));
    const queued = [s.submit(request([5])), s.submit(request([6]))];
    inst.hold = false;
    inst.release();
    await running;
    await vi.advanceTimersByTimeAsync(50); // the two queued ones still get their delay for more company
    await Promise.all(queued);
    expect(inst.runs.slice(3)).toEqual([[1, 1], [2, 1]]);
    // After a batch of two, a single request waits for company again.
    const lone = s.submit(request([7]));
    await vi.advanceTimersByTimeAsync(10);
    expect(inst.runs).toHaveLength(5);
    await vi.advanceTimersByTimeAsync(40);
    await lone;
    expect(inst.runs).toHaveLength(6);
  });

  it('waits up to maxQueueDelayMs for company, then runs what it has', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const inst = fakeInstance();
    const s = scheduler(inst, { maxQueueDelayMs: 50 });
    const a = s.submit(request([1]));
    await vi.advanceTimersByTimeAsync(49);
    expect(inst.runs, 'no run before the delay is up').toEqual([]);
    const b = s.submit(request([2]));
    await vi.advanceTimersByTimeAsync(2);
    expect((await Promise.all([a, b])).map(values)).toEqual([[1], [2]]);
    expect(inst.runs).toEqual([[2, 1]]);
  });

  it('never exceeds maxBatchSize and never mixes requests of different shapes', async () => {
    const inst = fakeInstance();
    const s = scheduler(inst, { maxQueueDelayMs: 0 });
    inst.hold = true;
    const first = s.submit(request([0]));
    await Promise.resolve();
    const rest = [s.submit(request([1, 2, 3])), s.submit(request([4, 5])), s.submit(request([6], { key: 'other' }))];
    inst.hold = false;
    inst.release();
    await Promise.all([first, ...rest]);
    expect(inst.runs).toEqual([[1, 1], [3, 1], [2, 1], [1, 1]]);
  });

  it('runs requests one by one without stacking', async () => {
    const inst = fakeInstance();
    const s = scheduler(inst, { stack: false });
    await Promise.all([s.submit(request([1])), s.submit(request([2]))]);
    expect(inst.runs).toEqual([[1, 1], [1, 1]]);
  });

  it('sheds load when the queue is full', async () => {
    const inst = fakeInstance();
    inst.hold = true;
    const s = scheduler(inst, { stack: false, maxQueueSize: 1 });
    const running = s.submit(request([1]));
    await Promise.resolve();
    const queued = s.submit(request([2]));
    await expect(s.submit(request([3]))).rejects.toMatchObject({ code: 8, message: expect.stringContaining('full') });
    inst.hold = false;
    inst.release();
    await Promise.all([running, queued]);
  });

  it('drops requests whose deadline passed or whose caller left, without running them', async () => {
    const inst = fakeInstance();
    inst.hold = true;
    const s = scheduler(inst, { stack: false });
    const running = s.submit(request([1]));
    await Promise.resolve();
    let cancelled = false;
    const expired = s.submit(request([2], { deadline: Date.now() + 5 }));
    const gone = s.submit(request([3], { isCancelled: () => cancelled }));
    await new Promise((r) => setTimeout(r, 10));
    cancelled = true;
    inst.hold = false;
    inst.release();
    await running;
    await expect(expired).rejects.toMatchObject({ code: 4 });
    await expect(gone).rejects.toMatchObject({ code: 1 });
    expect(inst.runs).toEqual([[1, 1]]);
    await expect(s.submit(request([4], { deadline: Date.now() - 1 }))).rejects.toMatchObject({ code: 4 });
  });

  it('replaces a session thread that died and keeps serving on the new one', async () => {
    const first = fakeInstance();
    const second = fakeInstance();
    let respawned = 0;
    const s = scheduler(first, {
      stack: false,
      respawn: async () => {
        respawned++;
        return second as unknown as ModelInstance;
      },
    });
    first.run = async () => {
      first.alive = false;
      throw new Error('session worker exited with code 1');
    };
    await expect(s.submit(request([1]))).rejects.toMatchObject({ code: 13 });
    expect(values(await s.submit(request([2])))).toEqual([2]);
    expect(respawned).toBe(1);
    expect(second.runs).toEqual([[1, 1]]);
  });

  it('finishes queued work on stop and refuses new work', async () => {
    const inst = fakeInstance();
    const s = scheduler(inst, { stack: false });
    const a = s.submit(request([1]));
    const stopped = s.stop();
    await expect(s.submit(request([2]))).rejects.toMatchObject({ code: 14 });
    expect(values(await a)).toEqual([1]);
    await stopped;
  });
});
