import { afterAll, describe, expect, it } from 'vitest';
import { runStack, type Stack } from '@riverwatch/cli';
import { freePort } from '@riverwatch/local-infra';
import { createTestContext, inferenceAt, type TestContext } from '../support/context.ts';
import { repoRoot } from '../support/cli.ts';
import { addClipCamera } from '../support/http.ts';
import { apiBase } from '../support/stack.ts';
import { NOTHING_LOST, SCENARIO_TIMEOUT_MS, ServiceProcesses, audit, committedFrames, lossAndDuplication, printFigure } from '../support/chaos.ts';

const ADMIN_KEY = 'rw_admin_chaos_worker_sigterm_0123456789';

/**
 * A worker told to stop (SIGTERM: a rolling update, a scale-down) with frames in its hands. To
 * be sure it holds some, the inference server is frozen first so its frames wait on ModelInfer.
 * What must hold: while it drains it takes no new frame (ingest keeps queueing them), it
 * finishes the ones it holds once inference answers again, and it exits 0.
 */
describe('chaos: a worker stopped with SIGTERM', () => {
  let ctx: TestContext | undefined;
  let stack: Stack | undefined;
  let procs: ServiceProcesses | undefined;

  afterAll(async () => {
    await procs?.stopAll();
    await stack?.stop();
    await ctx?.cleanup();
  });

  it('takes no new frame, finishes the ones it holds and exits 0', async () => {
    ctx = await createTestContext({
      RIVERWATCH_ADMIN_KEY: ADMIN_KEY,
      MODEL_REPOSITORY: `${repoRoot}models`,
      HOST: '127.0.0.1',
      ...inferenceAt(await freePort()),
      WORKER_CONCURRENCY: '3',
      // The frozen inference server must not fail the frames in hand: they wait for it.
      INFERENCE_DEADLINE_MS: '120000',
    });
    procs = new ServiceProcesses(ctx.env);
    const inference = await procs.start('inference');
    const worker = await procs.start('worker');
    stack = await runStack({ services: ['ingest', 'api'], env: ctx.env });
    const base = apiBase(stack);
    const cameras = [await addClipCamera(base, ADMIN_KEY, 'Drain river 1', 2), await addClipCamera(base, ADMIN_KEY, 'Drain river 2', 2)];
    await expect.poll(() => committedFrames(ctx!, cameras), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(3);

    const active = `${ctx.keys.queuePrefix}:frames:active`;
    const waiting = `${ctx.keys.queuePrefix}:frames:wait`;
    const historyIds = async () =>
      (await Promise.all(cameras.map((id) => ctx!.redis.xrange(ctx!.keys.frameSummaries(id), '-', '+')))).flat().map(([, f]) => (JSON.parse(f[1]!) as { frameId: string }).frameId);

    inference.child.kill('SIGSTOP');
    await expect.poll(() => ctx!.redis.llen(active), { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(2);
    const committedBefore = new Set(await historyIds());
    const beforeSigterm = await ctx.redis.lrange(active, 0, -1);
    worker.child.kill('SIGTERM');
    // In hand: what it holds once it has begun stopping (a frame may reach it while the signal is on its way).
    await worker.waitFor(/worker stopping/, 30_000);
    const inHand = await ctx.redis.lrange(active, 0, -1);
    // Ingest keeps queueing while the worker drains: new frames wait, and the worker takes none.
    await expect.poll(async () => (await ctx!.redis.lrange(waiting, 0, -1)).filter((id) => !inHand.includes(id)).length, { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(1);
    const activeWhileDraining = await ctx.redis.lrange(active, 0, -1);
    inference.child.kill('SIGCONT');

    const exit = await worker.exited;
    const committedAfter = (await historyIds()).filter((id) => !committedBefore.has(id));
    const finished = inHand.filter((id) => committedBefore.has(id) || committedAfter.includes(id));
    const taken = committedAfter.filter((id) => !inHand.includes(id));
    printFigure('worker SIGTERM', { inHandAtSigterm: beforeSigterm.length, inHand: inHand.length, finished: finished.length, newFramesTaken: taken.length, exitCode: exit.code });
    expect(activeWhileDraining.every((id) => inHand.includes(id))).toBe(true);
    expect(taken).toEqual([]);
    expect(finished).toEqual(inHand);
    expect(exit).toEqual({ code: 0, signal: null });
    // Their bookkeeping was written before it exited: out of the cameras' in-flight sets, bytes gone.
    const stillInFlight = (await Promise.all(cameras.map((id) => ctx!.redis.zrange(ctx!.keys.cameraInFlight(id), 0, -1)))).flat();
    expect(finished.filter((id) => stillInFlight.includes(id))).toEqual([]);
    for (const id of finished) expect(await ctx.redis.exists(ctx.keys.frame(id))).toBe(0);
    // The frames it finished are accounted for like any other.
    expect(lossAndDuplication(await audit(ctx))).toEqual(NOTHING_LOST);
  }, SCENARIO_TIMEOUT_MS);
});
