import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue } from 'bullmq';
import {
  EventPublisher,
  OpsServer,
  QueueName,
  RedisKeys,
  createRedis,
  stopOnce,
  type CameraEventJob,
  type FrameBatchJob,
  type FrameJob,
  type RunningService,
  type ServiceContext,
  type WebhookJob,
} from '@riverwatch/common';
import { CameraDirectory } from './camera-directory.ts';
import { CameraEvents } from './camera-events.ts';
import { CameraLeases } from './camera-leases.ts';
import { CameraStatusStore } from './camera-status-store.ts';
import { FrameBatcher } from './frame-batcher.ts';
import { FramePublisher } from './frame-publisher.ts';
import type { FrameSink } from './frame-sink.ts';
import { IngestMetrics } from './ingest-metrics.ts';
import { IngestService } from './ingest-service.ts';

export { JpegFrameSplitter } from './jpeg-frame-splitter.ts';
export { jpegSize } from './jpeg-size.ts';

export interface RunningIngest extends RunningService {
  readonly name: 'ingest';
  readonly metricsPort: number;
  readonly replicaId: string;
  /** Cameras this replica pulls now (for tests and diagnostics). */
  heldCameraIds(): string[];
}

export async function start(ctx: ServiceContext): Promise<RunningIngest> {
  const { config, logger } = ctx;
  const settings = config.ingest;
  const replicaId = settings.replicaId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const keys = new RedisKeys(config.keyPrefix);
  const redis = createRedis(ctx.redisUrl);
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error'));
  const queueOpts = { connection: redis, prefix: keys.queuePrefix };
  const frames = new Queue<FrameJob | FrameBatchJob>(QueueName.frames, queueOpts);
  const webhooks = new Queue<WebhookJob>(QueueName.webhooks, queueOpts);
  const cameraEvents = new Queue<CameraEventJob>(QueueName.cameraEvents, queueOpts);
  for (const q of [frames, webhooks, cameraEvents]) q.on('error', (err) => logger.warn({ err: err.message, queue: q.name }, 'queue error'));

  // INGEST_BATCH_WINDOW_MS > 0: the frames of all this replica's cameras go out in batches.
  const attempts = config.worker.frameAttempts;
  const ledgerRetentionMs = config.worker.summaryRetentionHours * 3600_000;
  const batcher =
    settings.batchWindowMs > 0
      ? new FrameBatcher(
          redis,
          keys,
          frames,
          { windowMs: settings.batchWindowMs, maxFrames: settings.batchMaxFrames, maxWaiting: settings.batchMaxWaiting, frameTtlSeconds: config.frameTtlSeconds, attempts, ledgerRetentionMs },
          logger,
        )
      : undefined;
  // The publisher adds only single-frame jobs: its narrower view of the queue.
  const publisher: FrameSink =
    batcher ?? new FramePublisher(redis, keys, frames as Queue<FrameJob>, { maxInFlight: settings.maxInFlight, frameTtlSeconds: config.frameTtlSeconds, attempts, ledgerRetentionMs });

  const metrics = new IngestMetrics();
  const status = new CameraStatusStore(redis, keys);
  const service = new IngestService(
    settings,
    new CameraDirectory(redis, keys),
    new CameraLeases(redis, keys, replicaId, settings.leaseMs),
    status,
    metrics,
    {
      settings,
      replicaId,
      publisher,
      events: new CameraEvents(new EventPublisher(redis, keys, webhooks), cameraEvents),
      status,
      metrics,
      logger,
    },
    logger,
  );

  const ops = await OpsServer.start(settings.metricsPort, async () => ({ redis: (await redis.ping().catch(() => '')) === 'PONG' }));
  service.start();
  const frameSink = batcher
    ? { batches: { windowMs: settings.batchWindowMs, maxFrames: settings.batchMaxFrames, maxWaiting: settings.batchMaxWaiting } }
    : { perFrame: { maxInFlight: settings.maxInFlight } };
  logger.info({ replicaId, metricsPort: ops.port, ...frameSink }, `ingest started (${batcher ? 'frame batches' : 'one job per frame'})`);

  return {
    name: 'ingest',
    metricsPort: ops.port,
    replicaId,
    heldCameraIds: () => service.heldCameraIds(),
    stop: stopOnce(async () => {
      // The pullers' stop waits for the frame each has in hand, and a batched frame's publish
      // settles only when its batch is sent: the batcher sends what it holds now and each
      // later frame on the next tick (no window) while they stop, then close() waits for the
      // last flushes, before the queue and Redis close under them.
      batcher?.startDraining();
      await service.stop();
      await batcher?.close();
      await Promise.all([frames.close(), webhooks.close(), cameraEvents.close()]);
      await ops.close();
      redis.disconnect();
      logger.info({ replicaId }, 'ingest stopped');
    }),
  };
}
