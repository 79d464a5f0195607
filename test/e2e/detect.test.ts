import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '@riverwatch/local-infra';
import { runStack, type Stack } from '@riverwatch/cli';
import { createTestContext, inferenceAt, type TestContext } from '../support/context.ts';
import { runCli, repoRoot, type CliRun } from '../support/cli.ts';
import { iou, postImage, waitForHttp, yoloBoxes } from '../support/http.ts';

const sample = `${repoRoot}test/fixtures/eval-sample`;
const image = readFileSync(`${sample}/images/000000.jpg`);
const truth = yoloBoxes(readFileSync(`${sample}/labels/000000.txt`, 'utf8'), 640, 360);
const ADMIN_KEY = 'rw_admin_e2e_test_key_0123456789';

/**
 * What must hold for one uploaded image: the real path ran (bytes in Redis, a
 * BullMQ job, the worker, gRPC ModelInfer on onnxruntime), detections are
 * returned in image pixels and find the rendered debris, and the annotated
 * image the worker stored can be fetched.
 */
async function expectDetectWorks(ctx: TestContext, base: string): Promise<void> {
  const { status, body } = await postImage(base, ADMIN_KEY, image);
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body.frameId).toMatch(/^frm_/);
  expect(body.width).toBe(640);
  expect(body.height).toBe(360);
  expect(body.models.detector).toBe('debris-yolov5');
  expect(body.models.detectorVersion).toBe('1');
  for (const d of body.detections) {
    expect(d.box[0]).toBeGreaterThanOrEqual(0);
    expect(d.box[2]).toBeLessThanOrEqual(640);
    expect(d.score).toBeGreaterThan(0);
  }
  // The model finds at least one of the labelled debris items in this rendered frame.
  const found = truth.filter((t) => body.detections.some((d: { box: number[] }) => iou(d.box, t.box) >= 0.3));
  expect(found.length, `detections ${JSON.stringify(body.detections)} vs truth ${JSON.stringify(truth)}`).toBeGreaterThan(0);

  // The worker wrote the result to Redis; the job went through BullMQ with the frame id as job id.
  expect(await ctx.redis.exists(ctx.keys.frameResult(body.frameId))).toBe(1);
  expect(await ctx.redis.exists(`${ctx.keys.queuePrefix}:frames:${body.frameId}`)).toBe(1);

  const annotated = await fetch(`${base}${body.annotatedUrl}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  expect(annotated.status).toBe(200);
  expect(annotated.headers.get('content-type')).toBe('image/jpeg');
  const jpeg = Buffer.from(await annotated.arrayBuffer());
  expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');

  // Not an image: refused before anything is queued.
  const bad = await postImage(base, ADMIN_KEY, Buffer.from('this is not a picture'), 'text/plain');
  expect([400, 415]).toContain(bad.status);
}

describe('POST /v1/detect end to end', () => {
  let ctx: TestContext | undefined;
  let stack: Stack | undefined;
  const children: CliRun[] = [];

  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    for (const c of children.splice(0)) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    await ctx?.cleanup();
  });

  it('runs the real pipeline with all services in one process', async () => {
    ctx = await createTestContext({ RIVERWATCH_ADMIN_KEY: ADMIN_KEY, MODEL_REPOSITORY: `${repoRoot}models`, HOST: '127.0.0.1' });
    stack = await runStack({ services: ['inference', 'worker', 'ingest', 'api'], env: ctx.env });
    const port = stack.services.find((s) => s.name === 'api')!.port;
    await expectDetectWorks(ctx, `http://127.0.0.1:${port}`);
  });

  it('runs the real pipeline with each service in its own process (tensors through shared memory), and each stops with exit code 0 on SIGTERM', async () => {
    ctx = await createTestContext({ RIVERWATCH_ADMIN_KEY: ADMIN_KEY, MODEL_REPOSITORY: `${repoRoot}models`, HOST: '127.0.0.1' });
    const grpcPort = await freePort();
    const apiPort = await freePort();
    const env = {
      ...ctx.env,
      ...inferenceAt(grpcPort),
      PORT: String(apiPort),
      LOG_LEVEL: 'info',
      // As docker-compose runs them: the worker shares /dev/shm with the inference server.
      INFERENCE_ALLOW_CLIENT_SHM: 'true',
      INFERENCE_SHARED_MEMORY: 'true',
    };
    for (const service of ['inference', 'worker', 'ingest', 'api']) {
      const run = runCli(['start', '--services', service], env);
      children.push(run);
      await run.waitFor(/"msg":"service started"/, 90_000);
    }
    const base = `http://127.0.0.1:${apiPort}`;
    await waitForHttp(`${base}/healthz`);
    await expectDetectWorks(ctx, base);
    await children[1]!.waitFor(/"msg":"tensors go through shared memory"/, 10_000);

    for (const run of children) run.child.kill('SIGTERM');
    const exits = await Promise.all(children.map((r) => r.exited));
    expect(exits.map((e) => e.code)).toEqual([0, 0, 0, 0]);
  });
});
