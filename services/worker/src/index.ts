import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import {
  EvidenceStore,
  EventPublisher,
  tuneGcForTensorTraffic,
  OpsServer,
  QueueName,
  RedisKeys,
  createRedis,
  FrameJobName,
  LedgerReason,
  ledgerOutcome,
  recordOutcome,
  stopOnce,
  type CameraEventJob,
  type FrameBatchJob,
  type FrameJob,
  type FrameResult,
  type RunningService,
  type ServiceContext,
  type WebhookJob,
} from '@riverwatch/common';
import { InferenceClient } from '@riverwatch/inference-client';
import { VisionThreads } from '@riverwatch/vision';
import { AlertService } from './alerts/alert-service.ts';
import { handleCameraEvent } from './camera-events.ts';
import { ReviewSampler } from './labelling/review-sampler.ts';
import { ModelCatalog } from './model-catalog.ts';
import { FrameProcessor, batchProgress, type BatchResult } from './pipeline/frame-processor.ts';
import { AlertStore } from './repositories/alert-store.ts';
import { CameraStore } from './repositories/camera-store.ts';
import { EvidenceRepository } from './repositories/evidence.ts';
import { countQueueJobsWith, framesProcessed } from './metrics.ts';
import { RetentionSweeper } from './retention/retention-sweeper.ts';

export { exportReviewDataset } from './labelling/dataset-export.ts';
export { RetentionSweeper, type RetentionPolicy, type SweepCounts } from './retention/retention-sweeper.ts';

export interface WorkerService extends RunningService {
  metricsPort: number;
}

export async function start(ctx: ServiceContext): Promise<WorkerService> {
  const { config, logger } = ctx;
  // The worker moves tensors to the inference service all day: see gc-tuning.ts.
  tuneGcForTensorTraffic();
  const keys = new RedisKeys(config.keyPrefix);
  const redis = createRedis(ctx.redisUrl, 'command');
  const blocking = createRedis(ctx.redisUrl, 'blocking');
  const store = EvidenceStore.fromConfig(config.s3, ctx.s3Endpoint);
  await store.ensureBuckets();

  const inference = new InferenceClient(config.inference.targets, {
    deadlineMs: config.inference.deadlineMs,
    maxMessageBytes: config.inference.maxMessageBytes,
    sharedMemory: config.inference.sharedMemory,
    logger,
  });
  const webhooks = new Queue<WebhookJob>(QueueName.webhooks, { connection: redis, prefix: keys.queuePrefix });
  const events = new EventPublisher(redis, keys, webhooks);
  const evidence = new EvidenceRepository(store);
  const alerts = new AlertService(new AlertStore(redis, keys), evidence, events, logger);
  const review = new ReviewSampler(redis, keys, evidence, { band: config.worker.reviewBand, perCameraIntervalSeconds: config.worker.reviewIntervalSeconds }, logger);
  const cameras = new CameraStore(redis, keys, config.worker.summaryRetentionHours * 3600_000);
  const vision = new VisionThreads(Math.max(1, Math.min(4, Math.ceil(config.worker.concurrency / 2))));
  const processor = new FrameProcessor({
    config,
    redis,
    keys,
    inference,
    models: new ModelCatalog(config.inference.modelRepository, store.client),
    cameras,
    alerts,
    review,
    evidence,
    vision,
    logger,
  });

  const frameQueue = new Queue<FrameJob | FrameBatchJob>(QueueName.frames, { connection: redis, prefix: keys.queuePrefix });
  countQueueJobsWith(() => frameQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed'));
  const frames = new Worker<FrameJob | FrameBatchJob, FrameResult | BatchResult | null>(QueueName.frames, (job) => processor.process(job), {
    connection: blocking,
    prefix: keys.queuePrefix,
    concurrency: config.worker.concurrency,
    // BullMQ renews the lock at half this; a crashed worker's jobs count as stalled once it lapses.
    lockDuration: config.worker.lockMs,
    stalledInterval: config.worker.lockMs,
  });
  // A frame finished for good (done, or out of tries) leaves its camera's in-flight set, which
  // ingest bounds, and its bytes go: nothing reads them again, and Redis then holds only frames
  // in flight instead of every frame of the last FRAME_TTL_SECONDS. A frame that ran out of tries
  // is entered in the frame ledger in the same MULTI (other outcomes were entered by the processor).
  // A batch has no in-flight sets (ingest bounds its waiting batches instead): its bytes go, and
  // if it failed for good (it stalled out, or its bytes could not be read) its frames not done
  // and not committed are entered as out of tries.
  // Runs after BullMQ's events, so stop() waits for what is still being written before it
  // closes the connections.
  const bookkeeping = new Set<Promise<unknown>>();
  const finished = (job: Job<FrameJob | FrameBatchJob>, outOfTries = false) => {
    const done: Promise<unknown> = (job.name === FrameJobName.batch ? finishedBatch(job.data as FrameBatchJob, job.progress, outOfTries) : finishedFrame(job.data as FrameJob, outOfTries))
      .catch((err: Error) => logger.warn({ err, jobId: job.id }, 'finished-frame bookkeeping failed'))
      .finally(() => bookkeeping.delete(done));
    bookkeeping.add(done);
  };
  const finishedFrame = async ({ cameraId, frameId }: FrameJob, outOfTries: boolean) => {
    const inFlight = keys.cameraInFlight(cameraId);
    // One command needs no MULTI (two commands more per frame on the common path).
    const leave = outOfTries ? ledgerOutcome(redis.multi().zrem(inFlight, frameId), keys, cameraId, frameId, 'failed', LedgerReason.outOfTries).exec() : redis.zrem(inFlight, frameId);
    await Promise.all([leave, redis.del(keys.frame(frameId))]);
  };
  const finishedBatch = async ({ batchId, frames: batched }: FrameBatchJob, progress: unknown, outOfTries: boolean) => {
    await redis.del(keys.frameBatch(batchId));
    if (!outOfTries) return;
    const done = new Set(batchProgress(progress));
    for (const f of batched) {
      if (done.has(f.frameId) || (await cameras.isCommitted(f.cameraId, f.frameId, f.capturedAt))) continue;
      framesProcessed.inc({ outcome: 'failed' });
      await recordOutcome(redis, keys, f.cameraId, f.frameId, 'failed', LedgerReason.outOfTries);
    }
  };
  frames.on('completed', (job) => finished(job));
  frames.on('failed', (job, err) => {
    logger.warn({ err, jobId: job?.id, frameId: (job?.data as FrameJob | undefined)?.frameId, cameraId: (job?.data as FrameJob | undefined)?.cameraId, attempts: job?.attemptsMade }, 'frame job failed');
    if (!job?.finishedOn) return; // BullMQ retries it
    // Corrupt and expired frames fail unrecoverably and were counted as such; anything else ran out of tries.
    const outOfTries = !(err instanceof UnrecoverableError);
    if (outOfTries && job.name !== FrameJobName.batch) framesProcessed.inc({ outcome: 'failed' });
    finished(job, outOfTries);
  });
  frames.on('error', (err) => logger.error({ err }, 'frames worker error'));

  const cameraEventsConnection = blocking.duplicate();
  cameraEventsConnection.on('error', () => {});
  const cameraEvents = new Worker<CameraEventJob>(QueueName.cameraEvents, (job) => handleCameraEvent(job.data, alerts, cameras, store, logger), {
    connection: cameraEventsConnection,
    prefix: keys.queuePrefix,
    concurrency: 1,
  });
  cameraEvents.on('error', (err) => logger.error({ err }, 'camera events worker error'));

  // Rejected alerts feed the labelling loop; drained every few seconds.
  // One drain at a time; stop() waits for the one running.
  let drainingRejected: Promise<unknown> | undefined;
  const rejectedTimer = setInterval(() => {
    drainingRejected ??= review
      .drainRejected()
      .catch((err: Error) => logger.warn({ err }, 'draining rejected alerts failed'))
      .finally(() => (drainingRejected = undefined));
  }, 2000);

  const DAY_MS = 24 * 3600_000;
  const retention = new RetentionSweeper(
    redis,
    keys,
    store,
    {
      alertRetentionMs: config.worker.alertRetentionDays * DAY_MS,
      maskRetentionMs: config.worker.maskRetentionDays * DAY_MS,
      intervalMs: config.worker.retentionIntervalSeconds * 1000,
    },
    logger,
  );
  retention.start();

  const ops = await OpsServer.start(config.worker.metricsPort, async () => ({
    redis: (await redis.ping().catch(() => null)) === 'PONG',
    s3: await store.ping(),
    inference: await inference.serverReady(),
  }));

  return {
    name: 'worker',
    metricsPort: ops.port,
    stop: stopOnce(async () => {
      // First stop taking jobs (close() stops fetching at once) and let the active ones finish, as
      // BullMQ's guide asks on SIGTERM; the rest of the shutdown runs while they do.
      const draining = Promise.all([frames.close(), cameraEvents.close()]);
      logger.info('worker stopping: no new frames, finishing the ones in hand');
      clearInterval(rejectedTimer);
      await retention.stop();
      await drainingRejected;
      await draining;
      await Promise.all(bookkeeping);
      countQueueJobsWith(undefined);
      await frameQueue.close();
      await webhooks.close();
      inference.close();
      await vision.close();
      await ops.close();
      // BullMQ leaves connections it was given open; they are ours to close.
      for (const c of [redis, blocking, cameraEventsConnection]) c.disconnect();
    }),
  };
}
