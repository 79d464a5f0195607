import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '@riverwatch/cli';
import { readFrameEvents, type CameraConfig, type FrameSummary } from '@riverwatch/common';
import type { BatchResult } from '../../services/worker/src/pipeline/frame-processor.ts';
import { loadClip, saveCamera } from '../support/clip-feeder.ts';
import { waitFor } from '../ingest/helpers.ts';
import { startModelStack, type ModelStack } from '../support/worker-stack.ts';

/**
 * Frame batches (INGEST_BATCH_WINDOW_MS): one job carries frames of several cameras, their
 * JPEGs end to end in one key. The worker does each frame as it does a frame job, each
 * camera's in capture order, and every frame ends with exactly one outcome in its camera's
 * ledger, whatever happens to the others of its batch. Real worker, inference server (the
 * shipped models), Redis and S3.
 */
describe('worker: frame batches', () => {
  let run: ModelStack;
  const clip = loadClip('debris-appears');

  beforeAll(async () => {
    run = await startModelStack({ services: ['inference', 'worker'] });
  });
  afterAll(async () => {
    await run?.stop();
  });

  /** Each frame's outcomes (its ledger's and its history commit), e.g. `['committed']`, `['failed:corrupt']`. */
  const outcomes = async (cameraId: string) => {
    const byFrame: Record<string, string[]> = {};
    for (const e of await readFrameEvents(run.ctx.redis, run.ctx.keys, cameraId)) if (e.event !== 'queued') (byFrame[e.frameId] ??= []).push(e.reason ? `${e.event}:${e.reason}` : e.event);
    return byFrame;
  };
  const history = async (cameraId: string) =>
    (await run.ctx.redis.xrange(run.ctx.keys.frameSummaries(cameraId), '-', '+')).map(([, f]) => (JSON.parse(f[1]!) as FrameSummary).frameId);

  it('commits every frame of a batch once, each camera in capture order, and deletes the batch bytes', async () => {
    const { ctx, feeder } = run;
    await saveCamera(ctx, 'cam-b1');
    await saveCamera(ctx, 'cam-b2');
    // Listed out of order: the worker sorts each camera's frames by seq.
    const job = await feeder.enqueueBatch([
      { cameraId: 'cam-b1', bytes: clip.frame(2), seq: 2 },
      { cameraId: 'cam-b2', bytes: clip.frame(1), seq: 1 },
      { cameraId: 'cam-b1', bytes: clip.frame(1), seq: 1 },
    ]);
    expect(await feeder.finished<BatchResult>(job)).toEqual({ batchId: job.data.batchId, frames: 3, failed: 0 });
    const [b1Second, b2First, b1First] = job.data.frames.map((f) => f.frameId);
    expect(await history('cam-b1')).toEqual([b1First, b1Second]);
    expect(await history('cam-b2')).toEqual([b2First]);
    expect(await outcomes('cam-b1')).toEqual({ [b1First!]: ['committed'], [b1Second!]: ['committed'] });
    // The live frame is the camera's newest, and the batch's bytes go once it is done.
    expect(JSON.parse((await ctx.redis.hget(ctx.keys.liveFrame('cam-b1'), 'json'))!)).toMatchObject({ frameId: b1Second });
    await waitFor('batch bytes deleted', 5000, async () => (await ctx.redis.exists(ctx.keys.frameBatch(job.data.batchId))) === 0);
  });

  it('fails a corrupt frame alone, at once; the others of its batch commit', async () => {
    const { ctx, feeder } = run;
    await saveCamera(ctx, 'cam-b3');
    const job = await feeder.enqueueBatch(
      [
        { cameraId: 'cam-b3', bytes: clip.frame(1), seq: 1 },
        { cameraId: 'cam-b3', bytes: clip.frame(2).subarray(0, 2000), seq: 2 },
        { cameraId: 'cam-b3', bytes: clip.frame(3), seq: 3 },
      ],
      { attempts: 3 },
    );
    expect(await feeder.finished<BatchResult>(job)).toMatchObject({ frames: 3, failed: 0 });
    const [first, corrupt, third] = job.data.frames.map((f) => f.frameId);
    expect(await outcomes('cam-b3')).toEqual({ [first!]: ['committed'], [corrupt!]: ['failed:corrupt'], [third!]: ['committed'] });
    expect((await feeder.queue.getJob(job.id!))?.attemptsMade).toBe(1);
  });

  it('retries a batch for the frames that hit an error, skipping those done; out of tries they are entered as such', async () => {
    const { ctx, feeder } = run;
    await saveCamera(ctx, 'cam-b4');
    // A camera whose detector is not in the model repository: its frames fail on every try.
    const broken = await saveCamera(ctx, 'cam-b5');
    await ctx.redis.set(ctx.keys.camera('cam-b5'), JSON.stringify({ ...broken, detectorModel: 'no-such-model' } satisfies CameraConfig));
    const job = await feeder.enqueueBatch(
      [
        { cameraId: 'cam-b4', bytes: clip.frame(1), seq: 1 },
        { cameraId: 'cam-b5', bytes: clip.frame(1), seq: 1 },
      ],
      { attempts: 2 },
    );
    expect(await feeder.finished<BatchResult>(job)).toMatchObject({ frames: 2, failed: 1 });
    const [good, bad] = job.data.frames.map((f) => f.frameId);
    const finished = await feeder.queue.getJob(job.id!);
    expect(finished?.attemptsMade).toBe(2);
    // The retry did only the broken camera's frame: the good one is in the history once.
    expect(finished?.progress).toEqual({ done: [good] });
    expect(await history('cam-b4')).toEqual([good]);
    expect(await outcomes('cam-b4')).toEqual({ [good!]: ['committed'] });
    expect(await outcomes('cam-b5')).toEqual({ [bad!]: ['failed:out_of_tries'] });
  });

  it('enters every frame of a batch whose bytes are gone as expired', async () => {
    const { ctx, feeder } = run;
    await saveCamera(ctx, 'cam-b6');
    const job = await feeder.enqueueBatch(
      [
        { cameraId: 'cam-b6', bytes: clip.frame(1), seq: 1 },
        { cameraId: 'cam-b6', bytes: clip.frame(2), seq: 2 },
      ],
      { bytesGone: true, attempts: 3 },
    );
    expect(await feeder.finished<BatchResult>(job)).toMatchObject({ frames: 2, failed: 2 });
    expect(Object.values(await outcomes('cam-b6'))).toEqual([['failed:expired'], ['failed:expired']]);
  });

  it('leaves a ledger the audit finds whole: every batched frame with exactly one outcome', async () => {
    const report = await runAudit({ redis: run.ctx.redis, keys: run.ctx.keys, store: run.ctx.store });
    expect(report.frames).toMatchObject({ queued: 10, committed: 6, failed: 4, lost: 0, inTwoStates: 0, inFlight: 0 });
    expect(report.ok).toBe(true);
  });
});
