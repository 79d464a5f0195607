import { QueueEvents, QueueKeys } from 'bullmq';
import type { Detection } from './domain.ts';
import type { Redis } from './redis.ts';

/** Queue names and job payloads, typed once: a map from job name to payload. */
export const QueueName = {
  frames: 'frames',
  webhooks: 'webhooks',
  cameraEvents: 'camera-events',
} as const;

export interface FrameJob {
  cameraId: string;
  /** Also the BullMQ job id, so re-delivery of the same frame is idempotent. */
  frameId: string;
  capturedAt: number;
  seq: number;
  width: number;
  height: number;
  /** 'upload' frames come from POST /v1/detect and skip tracking and alerts. */
  source: 'camera' | 'upload';
  /** Override of the camera's detector (uploads may name one). */
  detectorModel?: string;
}

/**
 * Frames one ingest replica read from its cameras over a short window (INGEST_BATCH_WINDOW_MS),
 * in one job: the queue's cost (BullMQ runs 34-64 Redis commands per job) is paid once per batch
 * instead of once per frame. Their JPEGs lie end to end in one key, keys.frameBatch(batchId),
 * each frame at [offset, offset + length). Job name 'batch'; the job id is the batch id.
 */
export interface FrameBatchJob {
  batchId: string;
  frames: BatchedFrame[];
}

/** A camera frame of a batch: a frame job's fields, and where its JPEG lies in the batch's bytes. */
export interface BatchedFrame extends Omit<FrameJob, 'source' | 'detectorModel'> {
  offset: number;
  length: number;
}

/** Job names on the frames queue: one frame (an upload, or ingest without batching) or a batch. */
export const FrameJobName = { frame: 'frame', batch: 'batch' } as const;

export interface FrameResult {
  frameId: string;
  cameraId: string;
  width: number;
  height: number;
  detections: Detection[];
  /** Detections dropped because they are off the water or outside the zones. */
  ignored: number;
  /** Share of the water area covered by debris boxes. */
  coverage: number;
  waterShare: number | null;
  models: { detector: string; detectorVersion: string; segmenter?: string; segmenterVersion?: string };
  latencyMs: { total: number; inference: number };
}

/**
 * Camera lifecycle for the worker: ingest reports a camera going offline and coming back
 * (the camera_offline alert); the API reports a camera deleted (its open alerts resolve and
 * its live state goes).
 */
export interface CameraEventJob {
  type: 'camera_offline' | 'camera_recovered' | 'camera_deleted';
  cameraId: string;
  at: number;
  reason?: string;
}

export interface WebhookJob {
  subscriptionId: string;
  /** Same webhook-id on every attempt. */
  messageId: string;
  eventType: string;
  payload: unknown;
}

/**
 * Options of every webhook delivery job: the notifier's custom 'webhook' backoff
 * (exponential with jitter) over 12 attempts spans more than a day. The notifier
 * dead-letters a job on its last attempt.
 */
export const WEBHOOK_JOB_OPTIONS = {
  attempts: 12,
  backoff: { type: 'webhook' },
  removeOnComplete: { age: 86_400, count: 10_000 },
  removeOnFail: { age: 7 * 86_400 },
};

export interface JobPayloads {
  [QueueName.frames]: FrameJob | FrameBatchJob;
  [QueueName.webhooks]: WebhookJob;
  [QueueName.cameraEvents]: CameraEventJob;
}

/**
 * Options of a camera lifecycle job, whoever produces it (ingest, the API): the job id is
 * the live event's id, so a re-published event is handled once; finished jobs are trimmed.
 */
export function cameraEventJobOptions(eventId: string, attempts = 1) {
  return {
    jobId: eventId,
    attempts,
    backoff: { type: 'exponential' as const, delay: 1000 },
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 1000 },
  };
}

/**
 * Options for every frame job, whoever produces it: the job id is the frame id
 * (idempotent re-delivery); inference/S3 errors retry with backoff; finished
 * jobs are trimmed so Redis memory stays bounded.
 */
export function frameJobOptions(frameId: string, attempts = 3) {
  return {
    jobId: frameId,
    attempts,
    backoff: { type: 'exponential' as const, delay: 500 },
    removeOnComplete: { age: 300, count: 1000 },
    removeOnFail: { age: 24 * 3600, count: 5000 },
  };
}

/**
 * QueueEvents that miss nothing from the moment this resolves. BullMQ's own starts
 * reading its event stream at '$' with its first XREAD, which may reach Redis after
 * waitUntilReady() has resolved (on a cluster, after the slot's node connects): a job
 * that finished in between would never be announced and job.waitUntilFinished()
 * would wait out its ttl. Starting from the stream's newest id, read before anything
 * is enqueued, closes that window.
 */
export async function openQueueEvents(name: string, connection: Redis, prefix: string): Promise<QueueEvents> {
  const [newest] = await connection.xrevrange(new QueueKeys(prefix).toKey(name, 'events'), '+', '-', 'COUNT', 1);
  const events = new QueueEvents(name, { connection, prefix, lastEventId: newest?.[0] ?? '0-0' });
  await events.waitUntilReady();
  return events;
}
