import type { Queue } from 'bullmq';
import { LedgerReason, frameJobOptions, ledgerOutcome, ledgerQueued, newId, type FrameJob, type Redis, type RedisKeys } from '@riverwatch/common';
import type { FrameSink, PublishOutcome } from './frame-sink.ts';

export type { PublishOutcome } from './frame-sink.ts';

export interface FramePublisherOptions {
  maxInFlight: number;
  frameTtlSeconds: number;
  /** Tries per frame in the worker (inference/S3 errors retry with backoff). */
  attempts?: number;
  /** How long the frame ledger keeps a camera's entries (default a week, the history's default). */
  ledgerRetentionMs?: number;
}

const WEEK_MS = 7 * 24 * 3600_000;

/** Waiting states: a job in one of these can still be taken back. */
const TAKEABLE = new Set(['waiting', 'prioritized', 'delayed', 'waiting-children']);
const FINISHED = new Set(['completed', 'failed', 'unknown']);

/**
 * Puts a camera's frame into the pipeline: bytes at keys.frame(frameId) with a
 * TTL, a job on the frames queue, and the frameId in the camera's in-flight
 * ZSET (score = capturedAt ms).
 *
 * In-flight protocol: the worker ZREMs the frameId from keys.cameraInFlight(cameraId)
 * when it is done with the job (completed or failed). When the ZSET holds
 * maxInFlight frames, members older than the frame TTL are pruned first (a crashed
 * worker cannot wedge a camera), then the oldest one still waiting is removed with its
 * bytes (latest wins); if all are being processed the new frame is dropped.
 *
 * Each queued frame is entered in the camera's frame ledger (frame-ledger.ts) in the same
 * MULTI; a frame taken back is entered as dropped (replaced by a newer one).
 */
export class FramePublisher implements FrameSink {
  /** When this publisher last set each camera's ledger TTL. */
  private readonly ledgerTtlSetAt = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly frames: Queue<FrameJob>,
    private readonly options: FramePublisherOptions,
  ) {}

  async publish(frame: Omit<FrameJob, 'frameId' | 'source'>, jpeg: Buffer): Promise<PublishOutcome> {
    const inFlightKey = this.keys.cameraInFlight(frame.cameraId);
    const ttlMs = this.options.frameTtlSeconds * 1000;
    const now = Date.now();
    let dropped = 0;
    let inFlight = await this.redis.zrange(inFlightKey, 0, -1);
    // Entries past the frame TTL (a crashed worker's) only matter when they would take a slot.
    if (inFlight.length >= this.options.maxInFlight && (await this.redis.zremrangebyscore(inFlightKey, '-inf', `(${now - ttlMs}`)) > 0) {
      inFlight = await this.redis.zrange(inFlightKey, 0, -1);
    }
    if (inFlight.length >= this.options.maxInFlight) {
      const freed = await this.freeSlot(frame.cameraId, inFlightKey, inFlight, inFlight.length - this.options.maxInFlight + 1);
      dropped += freed.replaced;
      if (freed.slots === 0) return { frameId: null, dropped: dropped + 1 };
    }

    const frameId = newId('frm');
    // Separate commands, not MULTI: the frame key and the camera's key live in different cluster slots.
    // Bytes first, so a job never points at a frame that is not there yet.
    await this.redis.set(this.keys.frame(frameId), jpeg, 'EX', this.options.frameTtlSeconds);
    // The in-flight set empties whenever the worker keeps up (and a re-created key has no TTL), so
    // its TTL is set every time; the ledger's only every eighth of its retention.
    const queued = this.redis.multi().zadd(inFlightKey, frame.capturedAt, frameId).pexpire(inFlightKey, ttlMs * 2);
    const retentionMs = this.options.ledgerRetentionMs ?? WEEK_MS;
    const refreshLedgerTtl = now - (this.ledgerTtlSetAt.get(frame.cameraId) ?? -Infinity) > retentionMs / 8;
    await ledgerQueued(queued, this.keys, frame.cameraId, frameId, retentionMs, now, refreshLedgerTtl).exec();
    if (refreshLedgerTtl) this.ledgerTtlSetAt.set(frame.cameraId, now);
    try {
      await this.frames.add('frame', { ...frame, frameId, source: 'camera' }, frameJobOptions(frameId, this.options.attempts));
    } catch (err) {
      const undo = ledgerOutcome(this.redis.multi().zrem(inFlightKey, frameId), this.keys, frame.cameraId, frameId, 'failed', LedgerReason.enqueueFailed);
      await Promise.all([undo.exec(), this.redis.del(this.keys.frame(frameId))]).catch(() => {});
      throw err;
    }
    return { frameId, dropped };
  }

  /** Frees up to `needed` slots, oldest first; waiting jobs are removed, finished ones only forgotten. */
  private async freeSlot(cameraId: string, inFlightKey: string, oldestFirst: string[], needed: number): Promise<{ slots: number; replaced: number }> {
    let slots = 0;
    let replaced = 0;
    for (const frameId of oldestFirst) {
      if (slots >= needed) break;
      const state = await this.frames.getJobState(frameId);
      if (FINISHED.has(state)) {
        // The worker finished without ZREM (or crashed): not in flight any more.
        await this.redis.zrem(inFlightKey, frameId);
        slots++;
      } else if (TAKEABLE.has(state) && (await this.frames.remove(frameId)) === 1) {
        const taken = ledgerOutcome(this.redis.multi().zrem(inFlightKey, frameId), this.keys, cameraId, frameId, 'dropped', LedgerReason.replaced);
        await Promise.all([taken.exec(), this.redis.del(this.keys.frame(frameId))]);
        slots++;
        replaced++;
      }
    }
    return { slots, replaced };
  }
}
