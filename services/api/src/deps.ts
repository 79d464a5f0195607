import { Queue, type QueueEvents } from 'bullmq';
import {
  EvidenceStore,
  EventPublisher,
  QueueName,
  RedisKeys,
  createRedis,
  openQueueEvents,
  type CameraEventJob,
  type FrameJob,
  type Logger,
  type Redis,
  type RiverwatchConfig,
  type WebhookJob,
} from '@riverwatch/common';
import { AlertRepository } from './repositories/alert-repository.ts';
import { ApiKeyRepository } from './repositories/api-key-repository.ts';
import { CameraRepository } from './repositories/camera-repository.ts';
import { DependencyProbe } from './repositories/dependency-probe.ts';
import { DetectFrameRepository } from './repositories/detect-frame-repository.ts';
import { EventStreamRepository } from './repositories/event-stream-repository.ts';
import { HistoryRepository } from './repositories/history-repository.ts';
import { LiveFrameRepository } from './repositories/live-frame-repository.ts';
import { ModelCatalog } from './repositories/model-catalog.ts';
import { RateLimitRepository } from './repositories/rate-limit-repository.ts';
import { SnapshotRepository } from './repositories/snapshot-repository.ts';
import { WaterMaskRepository } from './repositories/water-mask-repository.ts';
import { WebhookRepository } from './repositories/webhook-repository.ts';

/** Everything the API's routes use, created once per service instance (tests create their own). */
export interface ApiDeps {
  config: RiverwatchConfig;
  logger: Logger;
  keys: RedisKeys;
  redis: Redis;
  cameras: CameraRepository;
  alerts: AlertRepository;
  history: HistoryRepository;
  liveFrames: LiveFrameRepository;
  events: EventStreamRepository;
  apiKeys: ApiKeyRepository;
  rateLimits: RateLimitRepository;
  detectFrames: DetectFrameRepository;
  snapshots: SnapshotRepository;
  waterMasks: WaterMaskRepository;
  webhooks: WebhookRepository;
  models: ModelCatalog;
  probe: DependencyProbe;
  publisher: EventPublisher;
  webhookQueue: Queue<WebhookJob>;
  frameQueue: Queue<FrameJob>;
  /** Camera lifecycle jobs for the worker (a deleted camera's alerts and state). */
  cameraEventQueue: Queue<CameraEventJob>;
  /** Completion events of frame jobs, for POST /v1/detect's synchronous wait. */
  frameEvents: QueueEvents;
  close(): Promise<void>;
}

export interface ApiDepsInput {
  config: RiverwatchConfig;
  logger: Logger;
  redisUrl: string;
  s3Endpoint: string;
}

export async function createApiDeps({ config, logger, redisUrl, s3Endpoint }: ApiDepsInput): Promise<ApiDeps> {
  const keys = new RedisKeys(config.keyPrefix);
  // Fail fast when Redis is frozen or failing over: requests answer 503 instead of hanging.
  const commandTimeout = config.api.redisTimeoutMs;
  const redis = createRedis(redisUrl, 'command', { commandTimeout });
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  const store = EvidenceStore.fromConfig(config.s3, s3Endpoint);
  const queueConn = createRedis(redisUrl, 'command', { commandTimeout });
  queueConn.on('error', () => {});
  const prefix = keys.queuePrefix;
  const webhookQueue = new Queue<WebhookJob>(QueueName.webhooks, { connection: queueConn, prefix });
  const frameQueue = new Queue<FrameJob>(QueueName.frames, { connection: queueConn, prefix });
  const cameraEventQueue = new Queue<CameraEventJob>(QueueName.cameraEvents, { connection: queueConn, prefix });
  // QueueEvents blocks on XREAD, so it gets a connection of its own.
  const eventsConn = createRedis(redisUrl, 'blocking');
  eventsConn.on('error', () => {});
  const frameEvents = await openQueueEvents(QueueName.frames, eventsConn, prefix);
  frameEvents.on('error', (err) => logger.warn({ err: err.message }, 'frame queue events error'));

  return {
    config,
    logger,
    keys,
    redis,
    cameras: new CameraRepository(redis, keys),
    alerts: new AlertRepository(redis, keys),
    history: new HistoryRepository(redis, keys),
    liveFrames: new LiveFrameRepository(redis, keys),
    events: new EventStreamRepository(redis, keys),
    apiKeys: new ApiKeyRepository(redis, keys),
    rateLimits: new RateLimitRepository(redis, keys),
    detectFrames: new DetectFrameRepository(redis, keys),
    snapshots: new SnapshotRepository(store),
    waterMasks: new WaterMaskRepository(redis, keys, store),
    webhooks: new WebhookRepository(redis, keys),
    models: new ModelCatalog(config.inference.modelRepository, logger),
    probe: new DependencyProbe(redis, store, config.inference.targets[0]),
    publisher: new EventPublisher(redis, keys, webhookQueue),
    webhookQueue,
    frameQueue,
    cameraEventQueue,
    frameEvents,
    async close() {
      await frameEvents.close();
      await webhookQueue.close();
      await frameQueue.close();
      await cameraEventQueue.close();
      eventsConn.disconnect();
      queueConn.disconnect();
      redis.disconnect();
    },
  };
}
