import type { Queue } from 'bullmq';
import type { ChainableCommander } from 'ioredis';
import {
  FrameJobName,
  LedgerReason,
  frameJobOptions,
  ledgerOutcome,
  ledgerQueued,
  newId,
  type BatchedFrame,
  type FrameBatchJob,
  type FrameJob,
  type Logger,
  type Redis,
  type RedisKeys,
} from '@riverwatch/common';
import type { FrameSink, PublishOutcome } from './frame-sink.ts';

export interface FrameBatcherOptions {
  /** How long the first frame of a batch waits for others (ms). */
  windowMs: number;
  /** A batch is sent as soon as it holds this many frames. */
  maxFrames: number;
  /** Batches waiting for a worker at most: a batch that finds this many is dropped whole. */
  maxWaiting: number;
  frameTtlSeconds: number;
  /** Tries per batch in the worker (a retry skips the frames already done). */
  attempts?: number;
  /** How long the frame ledger keeps a camera's entries (default a week, the history's default). */
  ledgerRetentionMs?: number;
}

/** What FrameBatcher has done since it started (for logs, metrics and tests). */
export interface FrameBatcherCounts {
  batchesQueued: number;
  framesQueued: number;
  batchesDropped: number;
  framesDropped: number;
}

interface Gathered {
  frame: Omit<BatchedFrame, 'offset' | 'length'>;
  jpeg: Buffer;
  resolve: (outcome: PublishOutcome) => void;
  reject: (err: unknown) => void;
}

const WEEK_MS = 7 * 24 * 3600_000;
/** A full backlog is logged at most this often (it drops a batch every window while it lasts). */
const DROP_LOG_EVERY_MS = 10_000;

/**
 * Puts frames into the pipeline in batches (FrameBatchJob): the frames of all this replica's
 * cameras published within windowMs of a batch's first frame (or until it holds maxFrames)
 * go out as one job, so BullMQ's 34-64 Redis commands per job are paid once per batch.
 *
 * A flush of N frames from C cameras, in this order:
 * - 1 LLEN: the queue's wait list; maxWaiting batches or more waiting drops the batch whole,
 *   before anything is written (that LLEN is all a dropped batch costs);
 * - 1 SET: the JPEGs end to end at keys.frameBatch(batchId), with the frame TTL (bytes first,
 *   so a job never points at bytes that are not there);
 * - N XADD: each frame's `queued` in its camera's ledger, naming the batch; one pipeline per
 *   camera (its keys share a hash tag, so this runs on Cluster; no MULTI: MULTI and EXEC are
 *   two commands more each), the cameras' pipelines side by side; plus one PEXPIRE per camera
 *   whose ledger TTL is due (every eighth of the retention, as FramePublisher does);
 * - 1 EVALSHA: BullMQ's add script (its own commands run inside Redis, once per batch).
 * So N + 3 commands (+ a PEXPIRE per camera now and then) in 4 round trips, where
 * FramePublisher sends 8 or 9 and runs the add script per frame.
 *
 * There is no in-flight ZSET here: the backlog check bounds how much waits instead, per
 * replica and softly (flushes that overlap may both pass it).
 *
 * A camera puller awaits each publish before its next (a newer frame replaces the one waiting
 * meanwhile), so a batch holds one frame per camera at most, and a window longer than a
 * camera's frame interval thins that camera's frames (counted as drops by its puller).
 *
 * A batch whose job cannot be added (or whose ledger write fails) is undone: each frame is
 * entered as failed (enqueue_failed), the bytes are deleted and every publish of the batch
 * rejects with the error.
 */
export class FrameBatcher implements FrameSink {
  readonly counts: FrameBatcherCounts = { batchesQueued: 0, framesQueued: 0, batchesDropped: 0, framesDropped: 0 };
  /** When this batcher last set each camera's ledger TTL. */
  private readonly ledgerTtlSetAt = new Map<string, number>();
  private gathering: Gathered[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Flushes being written (they may overlap: the next batch gathers meanwhile). */
  private readonly flushing = new Set<Promise<void>>();
  private windowMs: number;
  private closed = false;
  private lastDropLogAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly frames: Queue<FrameJob | FrameBatchJob>,
    private readonly options: FrameBatcherOptions,
    private readonly logger?: Logger,
  ) {
    this.windowMs = options.windowMs;
  }

  /** Resolves once the frame's batch is queued ({frameId}) or dropped ({frameId: null, dropped: 1}). */
  publish(frame: Omit<FrameJob, 'frameId' | 'source'>, jpeg: Buffer): Promise<PublishOutcome> {
    if (this.closed) return Promise.reject(new Error('frame batcher is closed: no frames are taken after close()'));
    const { cameraId, capturedAt, seq, width, height } = frame;
    const frameId = newId('frm');
    return new Promise((resolve, reject) => {
      this.gathering.push({ frame: { cameraId, frameId, capturedAt, seq, width, height }, jpeg, resolve, reject });
      if (this.gathering.length >= this.options.maxFrames) this.flush();
      else if (this.gathering.length === 1) this.timer = setTimeout(() => this.flush(), this.windowMs);
    });
  }

  /**
   * For shutdown: sends what is gathered now, and from now on each frame goes out on the next
   * tick instead of after the window, so whoever awaits a publish is not held for it.
   */
  startDraining(): void {
    this.windowMs = 0;
    this.flush();
  }

  /** Sends what is gathered now (no waiting for the window) and waits for every flush in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    while (this.flushing.size > 0) await Promise.all(this.flushing);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.gathering;
    if (batch.length === 0) return;
    this.gathering = [];
    const flushing: Promise<void> = this.send(batch)
      .then(
        (queued) => {
          for (const g of batch) g.resolve(queued ? { frameId: g.frame.frameId, dropped: 0 } : { frameId: null, dropped: 1 });
        },
        (err: unknown) => {
          for (const g of batch) g.reject(err);
        },
      )
      .finally(() => this.flushing.delete(flushing));
    this.flushing.add(flushing);
  }

  /** Writes one batch (see the class comment for its commands); false when the backlog dropped it. */
  private async send(batch: Gathered[]): Promise<boolean> {
    // BullMQ's own key for the queue's wait list (QueueKeys(prefix).toKey(name, 'wait')).
    const waiting = await this.redis.llen(this.frames.keys.wait);
    if (waiting >= this.options.maxWaiting) {
      this.dropped(batch.length, waiting);
      return false;
    }

    const batchId = newId('fbt');
    const bytesKey = this.keys.frameBatch(batchId);
    let offset = 0;
    const frames: BatchedFrame[] = batch.map(({ frame, jpeg }) => {
      const batched = { ...frame, offset, length: jpeg.length };
      offset += jpeg.length;
      return batched;
    });
    await this.redis.set(bytesKey, Buffer.concat(batch.map((g) => g.jpeg), offset), 'EX', this.options.frameTtlSeconds);

    try {
      await this.enterQueued(frames, batchId);
      await this.frames.add(FrameJobName.batch, { batchId, frames }, frameJobOptions(batchId, this.options.attempts));
    } catch (err) {
      // NOMKSTREAM: a ledger the failed write never created is not created by its undo either.
      const undo = this.perCamera(frames, (tx, f) => ledgerOutcome(tx, this.keys, f.cameraId, f.frameId, 'failed', LedgerReason.enqueueFailed));
      await Promise.all([undo, this.redis.del(bytesKey)]).catch(() => {});
      throw err;
    }
    this.counts.batchesQueued++;
    this.counts.framesQueued += frames.length;
    return true;
  }

  /** Each frame's `queued`; a camera's ledger TTL is refreshed (once) when an eighth of the retention has passed. */
  private async enterQueued(frames: BatchedFrame[], batchId: string): Promise<void> {
    const now = Date.now();
    const retentionMs = this.options.ledgerRetentionMs ?? WEEK_MS;
    const due = new Set(frames.map((f) => f.cameraId).filter((id) => now - (this.ledgerTtlSetAt.get(id) ?? -Infinity) > retentionMs / 8));
    const refresh = new Set(due); // emptied as each camera's first frame takes its PEXPIRE
    await this.perCamera(frames, (tx, f) => ledgerQueued(tx, this.keys, f.cameraId, f.frameId, retentionMs, now, refresh.delete(f.cameraId), batchId));
    for (const cameraId of due) this.ledgerTtlSetAt.set(cameraId, now);
  }

  /** One pipeline per camera, all sent at once; throws the first command's error. */
  private async perCamera(frames: BatchedFrame[], write: (tx: ChainableCommander, frame: BatchedFrame) => void): Promise<void> {
    const pipelines = new Map<string, ChainableCommander>();
    for (const f of frames) {
      let tx = pipelines.get(f.cameraId);
      if (!tx) pipelines.set(f.cameraId, (tx = this.redis.pipeline()));
      write(tx, f);
    }
    const results = await Promise.all([...pipelines.values()].map((tx) => tx.exec()));
    for (const [err] of results.flatMap((r) => r ?? [])) if (err) throw err;
  }

  private dropped(frames: number, waiting: number): void {
    this.counts.batchesDropped++;
    this.counts.framesDropped += frames;
    const now = Date.now();
    if (now - this.lastDropLogAt < DROP_LOG_EVERY_MS) return;
    this.lastDropLogAt = now;
    const { batchesDropped, framesDropped } = this.counts;
    this.logger?.warn(
      { waiting, maxWaiting: this.options.maxWaiting, frames, batchesDropped, framesDropped },
      `frame backlog full (${waiting} batches waiting): batch of ${frames} frames dropped (logged at most every ${DROP_LOG_EVERY_MS / 1000} s; counts since start)`,
    );
  }
}
