import type { FrameResult, ServiceName } from '@riverwatch/common';
import { runStack, type Stack } from '@riverwatch/cli';
import { createTestContext, type TestContext } from './context.ts';
import { repoRoot } from './cli.ts';
import { ClipFeeder } from './clip-feeder.ts';
import { workerMetricsPort } from './stack.ts';
import { metricValue, scrape } from '../inference/support.ts';

/** A test context with the given services running on it (the shipped models) and a feeder for its frame queue. */
export interface ModelStack {
  ctx: TestContext;
  stack: Stack;
  feeder: ClipFeeder;
  /** Closes the feeder, stops the services and deletes the context's keys; safe after a failed start. */
  stop(): Promise<void>;
}

export async function startModelStack(opts: { services?: ServiceName[]; env?: Record<string, string> } = {}): Promise<ModelStack> {
  const ctx = await createTestContext({ MODEL_REPOSITORY: `${repoRoot}models`, REVIEW_INTERVAL_SECONDS: '0', ...opts.env });
  let stack: Stack | undefined;
  try {
    stack = await runStack({ services: opts.services ?? ['inference', 'worker'], env: ctx.env });
  } catch (err) {
    await ctx.cleanup();
    throw err;
  }
  const feeder = new ClipFeeder(ctx);
  return {
    ctx,
    stack,
    feeder,
    async stop() {
      await feeder.close();
      await stack.stop();
      await ctx.cleanup();
    },
  };
}

/** One 1280x720 frame through the stack's worker: its result and the batches (and inputs) the server ran for `model` meanwhile. */
export async function detectOne(run: ModelStack, cameraId: string, seq: number, frame: Buffer, model: string): Promise<{ result: FrameResult; batches: number; inputs: number }> {
  const port = workerMetricsPort(run.stack);
  const before = await scrape(port);
  const result = await run.feeder.finished(await run.feeder.enqueue(cameraId, frame, seq, { width: 1280, height: 720 }));
  const after = await scrape(port);
  const delta = (name: string) => metricValue(after, name, { model }) - metricValue(before, name, { model });
  return { result: result!, batches: delta('riverwatch_inference_batch_size_count'), inputs: delta('riverwatch_inference_batch_size_sum') };
}
