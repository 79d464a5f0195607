import { readFileSync } from 'node:fs';
import { Queue, type Job, type QueueEvents } from 'bullmq';
import sharp from 'sharp';
import {
  DEFAULT_ALERT_RULES,
  FrameJobName,
  QueueName,
  createRedis,
  frameJobOptions,
  ledgerQueued,
  newId,
  openQueueEvents,
  saveCameraConfig,
  type Redis,
  type AlertRecord,
  type AlertRules,
  type BatchedFrame,
  type CameraConfig,
  type FrameBatchJob,
  type FrameJob,
  type FrameResult,
} from '@riverwatch/common';
import type { TestContext } from './context.ts';
import { repoRoot } from './cli.ts';

export interface ClipTruth {
  fps: number;
  width: number;
  height: number;
  frameCount: number;
  frames: { index: number; file: string; debrisOnWater: boolean; objects: { box: number[]; onWater: boolean; className: string }[] }[];
}

export function loadClip(name: string): { dir: string; truth: ClipTruth; frame(i: number): Buffer } {
  const dir = `${repoRoot}test/fixtures/clips/${name}`;
  const truth = JSON.parse(readFileSync(`${dir}/truth.json`, 'utf8')) as ClipTruth;
  return { dir, truth, frame: (i) => readFileSync(`${dir}/${truth.frames[i]!.file}`) };
}

/** Per frame, the share of the ground-truth water covered by the ground-truth debris boxes. */
export async function truthCoverage(clip: ReturnType<typeof loadClip>): Promise<number[]> {
  const { data: mask, info } = await sharp(`${clip.dir}/water_mask.png`).greyscale().raw().toBuffer({ resolveWithObject: true });
  const water = mask.reduce((n, v) => n + (v > 127 ? 1 : 0), 0);
  return clip.truth.frames.map((f) => {
    const covered = new Uint8Array(info.width * info.height);
    for (const { box } of f.objects) {
      const [x1, y1, x2, y2] = box.map(Math.round) as [number, number, number, number];
      for (let y = Math.max(0, y1); y < Math.min(info.height, y2); y++) covered.fill(1, y * info.width + Math.max(0, x1), y * info.width + Math.min(info.width, x2));
    }
    let n = 0;
    for (let i = 0; i < covered.length; i++) if (covered[i] && mask[i]! > 127) n++;
    return n / water;
  });
}

export async function saveCamera(ctx: TestContext, id: string, rules: Partial<AlertRules> = {}): Promise<CameraConfig> {
  const camera: CameraConfig = {
    id,
    name: id,
    sourceUrl: 'file:///dev/null',
    fps: 2,
    maxWidth: 640,
    zones: { include: [], exclude: [] },
    rules: { ...DEFAULT_ALERT_RULES, persistence: { n: 3, m: 5 }, resolveAfterSeconds: 3, ...rules },
    detectorModel: 'debris-yolov5',
    segmenterModel: 'water-seg',
    segmentEveryFrames: 25,
    segmentMaxAgeSeconds: 600,
    enabled: true,
    createdAt: Date.now(),
    updatedAt: Date.now(),
  };
  await saveCameraConfig(ctx.redis, ctx.keys, camera);
  return camera;
}

/** Plays the ingest role for a clip: frame bytes into Redis and one frame job each, waiting for the worker. */
export class ClipFeeder {
  readonly queue: Queue<FrameJob | FrameBatchJob>;
  readonly t0 = Date.now() - 3600_000;
  private readonly queueConnection: Redis;
  private readonly eventsConnection: Redis;
  private readonly events: Promise<QueueEvents>;

  constructor(private readonly ctx: TestContext) {
    this.queueConnection = createRedis(ctx.redisUrl);
    this.eventsConnection = createRedis(ctx.redisUrl, 'blocking');
    this.queue = new Queue<FrameJob | FrameBatchJob>(QueueName.frames, { connection: this.queueConnection, prefix: ctx.keys.queuePrefix });
    this.events = openQueueEvents(QueueName.frames, this.eventsConnection, ctx.keys.queuePrefix);
  }

  capturedAt(i: number, fps = 2): number {
    return this.t0 + Math.round((i * 1000) / fps);
  }

  /** One frame job, finished (completed; a failed one throws). */
  async feed(cameraId: string, bytes: Buffer, seq: number, frameId = newId('frm')): Promise<FrameJob> {
    const added = await this.enqueue(cameraId, bytes, seq, { frameId });
    await this.finished(added);
    return added.data;
  }

  /** Frame bytes into Redis and a frame job into the queue, as ingest does; does not wait. `bytes` null: a frame whose bytes are gone. */
  async enqueue(cameraId: string, bytes: Buffer | null, seq: number, opts: { frameId?: string; attempts?: number; width?: number; height?: number } = {}): Promise<Job<FrameJob>> {
    await this.events; // listening before the job exists
    const frameId = opts.frameId ?? newId('frm');
    const job: FrameJob = { cameraId, frameId, capturedAt: this.capturedAt(seq), seq, width: opts.width ?? 640, height: opts.height ?? 360, source: 'camera' };
    if (bytes) await this.ctx.redis.set(this.ctx.keys.frame(frameId), bytes, 'EX', 600);
    return (await this.queue.add(FrameJobName.frame, job, frameJobOptions(frameId, opts.attempts ?? 1))) as Job<FrameJob>;
  }

  /**
   * A batch job as ingest's batcher makes it: the JPEGs end to end in one key, each frame's
   * `queued` in its camera's ledger; does not wait. `bytes` null: a batch whose bytes are gone.
   */
  async enqueueBatch(frames: { cameraId: string; bytes: Buffer; seq: number }[], opts: { attempts?: number; bytesGone?: boolean } = {}): Promise<Job<FrameBatchJob>> {
    await this.events;
    const batchId = newId('fbt');
    let offset = 0;
    const batched: BatchedFrame[] = frames.map((f) => {
      const frame = { cameraId: f.cameraId, frameId: newId('frm'), capturedAt: this.capturedAt(f.seq), seq: f.seq, width: 640, height: 360, offset, length: f.bytes.length };
      offset += f.bytes.length;
      return frame;
    });
    if (!opts.bytesGone) await this.ctx.redis.set(this.ctx.keys.frameBatch(batchId), Buffer.concat(frames.map((f) => f.bytes)), 'EX', 600);
    for (const f of batched) await ledgerQueued(this.ctx.redis.pipeline(), this.ctx.keys, f.cameraId, f.frameId, 3600_000, Date.now(), true, batchId).exec();
    return (await this.queue.add(FrameJobName.batch, { batchId, frames: batched }, frameJobOptions(batchId, opts.attempts ?? 1))) as Job<FrameBatchJob>;
  }

  /** Waits for the job; returns the worker's result (null: the frame was dropped). */
  async finished<R = FrameResult | null>(job: Job<FrameJob> | Job<FrameBatchJob>, timeoutMs = 60_000): Promise<R> {
    return (await job.waitUntilFinished(await this.events, timeoutMs)) as R;
  }

  async close(): Promise<void> {
    await (await this.events).close();
    await this.queue.close();
    // BullMQ leaves connections it was given open.
    this.queueConnection.disconnect();
    this.eventsConnection.disconnect();
  }
}

export async function cameraAlerts(ctx: TestContext, cameraId: string, type?: string): Promise<AlertRecord[]> {
  const ids = await ctx.redis.zrange(ctx.keys.alertIndex(), 0, -1);
  const records = await Promise.all(ids.map(async (id) => JSON.parse((await ctx.redis.get(ctx.keys.alert(id)))!) as AlertRecord));
  return records.filter((a) => a.cameraId === cameraId && (!type || a.type === type));
}

/**
 * Frames an open alert has counted: its record's, plus those held in the camera's memory
 * since the record was last written (the worker writes an open alert's record at most every
 * few seconds of capture time).
 */
export async function alertFramesCounted(ctx: TestContext, alert: AlertRecord): Promise<number> {
  const memory = JSON.parse((await ctx.redis.get(ctx.keys.tracker(alert.cameraId))) ?? '{}') as { alertUpdates?: Record<string, { frames: number }> };
  return alert.frames + (memory.alertUpdates?.[alert.type]?.frames ?? 0);
}
