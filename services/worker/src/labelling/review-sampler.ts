import { RecentMap, type AlertRecord, type Detection, type FrameJob, type Logger, type Redis, type RedisKeys } from '@riverwatch/common';
import type { EvidenceRepository } from '../repositories/evidence.ts';
import { reviewFramesSaved } from '../metrics.ts';
import { toYoloLabels } from './yolo-labels.ts';

export interface ReviewOptions {
  /** Detections scoring inside [low, high) are ones the model is unsure of. */
  band: [number, number];
  /** At most one uncertain frame per camera per this many seconds. */
  perCameraIntervalSeconds: number;
}

/**
 * The self-hosted labelling loop: frames the model is unsure about, and frames
 * of alerts an operator rejected, go to the review bucket with YOLO labels
 * (the model's own guesses, for a human to correct) and are indexed by time.
 */
export class ReviewSampler {
  /** Per camera, when the shared throttle (Redis) lets the next uncertain frame through, as this worker last learnt it. */
  private readonly throttledUntil = new RecentMap<string, number>(4096);

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly evidence: EvidenceRepository,
    private readonly options: ReviewOptions,
    private readonly logger: Logger,
  ) {}

  async consider(frame: FrameJob, bytes: Buffer, detections: Detection[], classes: string[]): Promise<boolean> {
    const [low, high] = this.options.band;
    if (!detections.some((d) => d.score >= low && d.score < high)) return false;
    if (!(await this.takeTurn(frame.cameraId))) return false;
    const labels = toYoloLabels(detections.filter((d) => d.score >= low), frame.width, frame.height);
    await this.save(frame.cameraId, frame.frameId, frame.capturedAt, bytes, labels, { reason: 'uncertain', classes, width: frame.width, height: frame.height });
    reviewFramesSaved.inc({ reason: 'uncertain' });
    return true;
  }

  /**
   * At most one uncertain frame per camera and interval, across all workers: a `SET NX` whose
   * value is the time it lapses. A worker that finds it taken learns that time from the same
   * command (`GET`) and asks Redis again only after it, so a camera whose frames are often
   * uncertain costs one command per worker and interval, not one per frame.
   */
  private async takeTurn(cameraId: string): Promise<boolean> {
    const interval = this.options.perCameraIntervalSeconds;
    if (interval <= 0) return true;
    const now = Date.now();
    if (now < (this.throttledUntil.get(cameraId) ?? 0)) return false;
    const until = now + interval * 1000;
    const held = (await this.redis.call('SET', this.keys.reviewThrottle(cameraId), String(until), 'EX', String(interval), 'NX', 'GET')) as string | null;
    // A value from before the lapse time was stored (a frame id) says nothing: ask again in a second.
    this.throttledUntil.set(cameraId, held === null ? until : Number(held) || now + 1000);
    return held === null;
  }

  /** An operator said the alert was wrong: its frame becomes a hard negative (no labels). */
  async addRejectedAlert(alert: AlertRecord): Promise<boolean> {
    if (!alert.frameKey || !alert.lastFrameId) return false;
    const image = await this.evidence.readSnapshotObject(alert.frameKey);
    await this.save(alert.cameraId, alert.lastFrameId, alert.lastSeenAt, image, '', { reason: 'rejected', alertId: alert.id });
    reviewFramesSaved.inc({ reason: 'rejected' });
    return true;
  }

  /**
   * Drains the queue of rejected alerts the API leaves in Redis. An alert leaves the queue
   * only once its frame is saved: a worker stopped or killed half-way loses none, and the
   * save is idempotent (same object key, same index member) if two replicas take the same one.
   */
  async drainRejected(): Promise<number> {
    const queue = this.keys.reviewRejected();
    let n = 0;
    for (;;) {
      const id = await this.redis.lindex(queue, 0);
      if (!id) return n;
      const json = await this.redis.get(this.keys.alert(id));
      try {
        if (json && (await this.addRejectedAlert(JSON.parse(json) as AlertRecord))) n++;
      } catch (err) {
        // Left at the head for the next round: S3 may be briefly down.
        this.logger.warn({ err, alertId: id }, 'could not save rejected alert for review');
        return n;
      }
      await this.redis.lrem(queue, 1, id);
    }
  }

  private async save(cameraId: string, frameId: string, capturedAt: number, image: Buffer, labels: string, meta: Record<string, unknown>): Promise<void> {
    const base = await this.evidence.saveReviewFrame(cameraId, frameId, image, labels, { ...meta, cameraId, frameId, capturedAt });
    await this.redis.zadd(this.keys.reviewIndex(), capturedAt, base);
    this.logger.info({ cameraId, frameId, reason: meta.reason }, 'frame saved for labelling');
  }
}
