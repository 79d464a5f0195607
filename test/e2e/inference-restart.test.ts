import { afterAll, describe, expect, it } from 'vitest';
import { runStack, type Stack } from '@riverwatch/cli';
import { freePort } from '@riverwatch/local-infra';
import { createTestContext, inferenceAt, type TestContext } from '../support/context.ts';
import { repoRoot } from '../support/cli.ts';
import { addClipCamera } from '../support/http.ts';
import { metricValue, scrape, stockClient } from '../inference/support.ts';
import { apiBase, workerMetricsPort } from '../support/stack.ts';

const ADMIN_KEY = 'rw_admin_inference_restart_key_0123456789';

/**
 * A fault under a running pipeline: the inference server goes away (a GPU node
 * drained, a rolling update) while a camera streams, and a new one comes up at
 * the same address. What must hold: ingest, worker and API keep running; while
 * there is no server the camera's frames in flight retry and newer frames replace
 * them (latest wins, drops counted), so nothing piles up; once the new server is up
 * frames are detected again without restarting anything (the worker's client finds
 * it again and registers its shared memory with it).
 */
describe('inference restarting under a running pipeline', () => {
  let ctx: TestContext | undefined;
  let pipeline: Stack | undefined;
  let inference: Stack | undefined;

  afterAll(async () => {
    await pipeline?.stop();
    await inference?.stop();
    await ctx?.cleanup();
  });

  it('the worker picks up a new inference server at the same address and frames flow again', async () => {
    const grpcPort = await freePort();
    ctx = await createTestContext({
      RIVERWATCH_ADMIN_KEY: ADMIN_KEY,
      MODEL_REPOSITORY: `${repoRoot}models`,
      HOST: '127.0.0.1',
      ...inferenceAt(grpcPort),
      INFERENCE_ALLOW_CLIENT_SHM: 'true',
      INFERENCE_SHARED_MEMORY: 'true',
      INFERENCE_DEADLINE_MS: '2000',
    });
    inference = await runStack({ services: ['inference'], env: ctx.env });
    pipeline = await runStack({ services: ['worker', 'ingest', 'api'], env: ctx.env });
    const base = apiBase(pipeline);
    const workerMetrics = workerMetricsPort(pipeline);
    const framesWith = async (outcome: string) => metricValue(await scrape(workerMetrics), 'riverwatch_worker_frames_total', { outcome });

    const id = await addClipCamera(base, ADMIN_KEY, 'Restart river', 2);
    const drops = async () => Number((await ctx!.redis.hget(ctx!.keys.cameraStatus(id), 'drops')) ?? 0);
    await expect.poll(() => framesWith('ok'), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(3);

    await inference.stop();
    inference = undefined;
    // With no server nothing is detected; the frames in flight wait on their retries and newer ones
    // replace them, so the camera's in-flight set stays bounded and the drops are counted.
    const okDuringOutage = await framesWith('ok');
    const dropsBefore = await drops();
    await expect.poll(drops, { timeout: 30_000, interval: 250 }).toBeGreaterThanOrEqual(dropsBefore + 3);
    expect(await framesWith('ok')).toBe(okDuringOutage);
    expect(await ctx.redis.zcard(ctx.keys.cameraInFlight(id))).toBeLessThanOrEqual(ctx.config.ingest.maxInFlight);

    inference = await runStack({ services: ['inference'], env: ctx.env });
    await expect.poll(() => framesWith('ok'), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(okDuringOutage + 4);
    // The tensors go through shared memory again: the worker registered its region with the new server.
    // A first try that meets the server still loading its models sends bytes and asks again after
    // the client's shared-memory retry interval (30 s), so on a loaded machine this can take a while.
    const stock = stockClient(`127.0.0.1:${grpcPort}`);
    const regionCount = async () => Object.keys((await stock.call<{ regions: Record<string, unknown> }>('SystemSharedMemoryStatus', { name: '' })).regions).length;
    await expect.poll(regionCount, { timeout: 45_000, interval: 500 }).toBeGreaterThanOrEqual(1);
    stock.client.close();
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
  }, 180_000);
});
