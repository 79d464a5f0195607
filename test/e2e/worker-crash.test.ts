import { afterAll, describe, expect, it } from 'vitest';
import { runStack, type Stack } from '@riverwatch/cli';
import { freePort } from '@riverwatch/local-infra';
import { createTestContext, inferenceAt, type TestContext } from '../support/context.ts';
import { repoRoot, runCli, type CliRun } from '../support/cli.ts';
import { addClipCamera } from '../support/http.ts';
import { apiBase } from '../support/stack.ts';

const ADMIN_KEY = 'rw_admin_worker_crash_key_0123456789';

/**
 * A fault under a running pipeline: a worker process is killed (SIGKILL) with
 * frames in its hands. To be sure it holds some, the inference server is frozen
 * (SIGSTOP) first, so the worker's frames wait on ModelInfer. What must hold: once
 * their locks lapse (WORKER_LOCK_MS) another worker takes those frames up, each is
 * committed exactly once, and the camera's frames flow again.
 */
describe('a worker killed mid-frame', () => {
  let ctx: TestContext | undefined;
  let stack: Stack | undefined;
  const children: CliRun[] = [];

  afterAll(async () => {
    for (const c of children) {
      if (c.child.signalCode === 'SIGSTOP') c.child.kill('SIGCONT');
      if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    }
    await stack?.stop();
    await ctx?.cleanup();
  });

  it('hands its frames to another worker, which commits each once', async () => {
    const grpcPort = await freePort();
    ctx = await createTestContext({
      RIVERWATCH_ADMIN_KEY: ADMIN_KEY,
      MODEL_REPOSITORY: `${repoRoot}models`,
      HOST: '127.0.0.1',
      ...inferenceAt(grpcPort),
      WORKER_LOCK_MS: '2000',
    });
    const env = { ...ctx.env, LOG_LEVEL: 'info' };
    const start = async (service: string) => {
      const run = runCli(['start', '--services', service], env);
      children.push(run);
      await run.waitFor(/"msg":"service started"/, 90_000);
      return run;
    };
    const inference = await start('inference');
    const firstWorker = await start('worker');
    stack = await runStack({ services: ['ingest', 'api'], env: ctx.env });
    const base = apiBase(stack);
    const id = await addClipCamera(base, ADMIN_KEY, 'Crash river', 2);
    const committed = async () =>
      (await ctx!.redis.xrange(ctx!.keys.frameSummaries(id), '-', '+')).map(([, f]) => (JSON.parse(f[1]!) as { frameId: string }).frameId);
    await expect.poll(async () => (await committed()).length, { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(3);

    // Freeze inference: the worker's next frames stay active, waiting on ModelInfer.
    inference.child.kill('SIGSTOP');
    const active = `${ctx.keys.queuePrefix}:frames:active`;
    await expect.poll(() => ctx!.redis.llen(active), { timeout: 15_000, interval: 100 }).toBeGreaterThanOrEqual(1);
    const inHand = await ctx.redis.lrange(active, 0, -1);
    firstWorker.child.kill('SIGKILL');
    await firstWorker.exited;
    inference.child.kill('SIGCONT');

    await start('worker');
    // The dead worker's frames are taken up once their locks lapse, and committed once each.
    await expect.poll(async () => {
      const ids = await committed();
      return inHand.every((f) => ids.includes(f));
    }, { timeout: 30_000, interval: 250 }).toBe(true);
    const before = (await committed()).length;
    await expect.poll(async () => (await committed()).length, { timeout: 30_000, interval: 250 }).toBeGreaterThanOrEqual(before + 3);
    const ids = await committed();
    expect(new Set(ids).size).toBe(ids.length);
  });
});
