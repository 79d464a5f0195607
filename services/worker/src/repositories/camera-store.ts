import {
  DEFAULT_ALERT_RULES,
  cameraDefaults,
  ledgerOutcome,
  readCachedWaterMaskInfo,
  readCachedWaterMaskPng,
  addLiveFrame,
  writeCachedWaterMask,
  type CachedWaterMask,
  type CachedWaterMaskInfo,
  type CameraConfig,
  type FrameSummary,
  type LiveFrame,
  type Redis,
  type RedisKeys,
} from '@riverwatch/common';
import { emptyRuleState, type AlertRuleState } from '../alerts/alert-rules.ts';
import { emptyTrackerState, type TrackerState } from '../tracking/debris-tracker.ts';

/** What the worker remembers about a camera between frames. */
export interface CameraMemory {
  lastSeq: number;
  lastCapturedAt: number;
  tracker: TrackerState;
  rules: AlertRuleState;
  /** Tiny greyscale thumbnail of the previous frame (base64), for frozen-view checks. */
  lastThumb: string | null;
  frozenFrames: number;
}

function freshMemory(): CameraMemory {
  return { lastSeq: -1, lastCapturedAt: 0, tracker: emptyTrackerState(), rules: emptyRuleState(), lastThumb: null, frozenFrames: 0 };
}

/** Frames from POST /v1/detect belong to no configured camera. */
export const UPLOAD_CAMERA_ID = 'upload';

/** Redis access for camera config, worker memory, water masks and summaries. */
export class CameraStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly summaryRetentionMs: number,
  ) {}

  /** The camera's config over the defaults; null for a camera that does not exist (deleted). Uploads get the defaults. */
  async config(cameraId: string, defaults: { detectorModel: string; segmenterModel: string }): Promise<CameraConfig | null> {
    const json = cameraId === UPLOAD_CAMERA_ID ? null : await this.redis.get(this.keys.camera(cameraId));
    if (!json && cameraId !== UPLOAD_CAMERA_ID) return null;
    const stored = json ? (JSON.parse(json) as Partial<CameraConfig>) : {};
    return {
      id: cameraId,
      name: cameraId,
      sourceUrl: '',
      ...cameraDefaults(),
      detectorModel: defaults.detectorModel,
      segmenterModel: defaults.segmenterModel,
      createdAt: 0,
      updatedAt: 0,
      ...stored,
      rules: { ...DEFAULT_ALERT_RULES, ...(stored.rules ?? {}) },
    };
  }

  async memory(cameraId: string): Promise<CameraMemory> {
    const json = await this.redis.get(this.keys.tracker(cameraId));
    return json ? { ...freshMemory(), ...(JSON.parse(json) as CameraMemory) } : freshMemory();
  }


  waterMaskInfo(cameraId: string): Promise<CachedWaterMaskInfo | null> {
    return readCachedWaterMaskInfo(this.redis, this.keys, cameraId);
  }

  waterMaskPng(cameraId: string): Promise<Buffer | null> {
    return readCachedWaterMaskPng(this.redis, this.keys, cameraId);
  }

  async countWaterMaskUse(cameraId: string): Promise<void> {
    await this.redis.hincrby(this.keys.waterMask(cameraId), 'uses', 1);
  }

  saveWaterMask(cameraId: string, mask: CachedWaterMask): Promise<void> {
    return writeCachedWaterMask(this.redis, this.keys, cameraId, mask);
  }

  /**
   * Claims the frame for commit. False when it was already committed: the job
   * is a re-delivery and must not count twice.
   */
  async claimFrame(cameraId: string, frameId: string): Promise<boolean> {
    return (await this.redis.set(this.keys.frameDone(cameraId, frameId), '1', 'EX', 6 * 3600, 'NX')) === 'OK';
  }

  /** Gives a claim back after a commit failed part-way, so that the job's retry commits the frame. */
  async releaseFrame(cameraId: string, frameId: string): Promise<void> {
    await this.redis.del(this.keys.frameDone(cameraId, frameId));
  }

  /**
   * Commits a frame, in one MULTI: the frame's summary into the camera's stream and, unless it
   * is late, as the camera's latest state; with it the camera's memory (tracker, rules) and
   * its live frame when given. Stream ids come from capture time, so history queries are a
   * range read ('-*' lets Redis pick the sequence). A stream id must grow, so a late frame
   * (committed after a newer one: parallel workers, a retry) is filed at `latestCapturedAt`,
   * the newest capture time committed so far; its JSON keeps its own capturedAt. The frame
   * ledger's `committed` goes in the same MULTI: a frame is in the history exactly when it is
   * committed, and its memory and live frame are written exactly then too.
   */
  async commitFrame(cameraId: string, summary: FrameSummary, latestCapturedAt: number, state: { memory?: CameraMemory; live?: LiveFrame } = {}): Promise<void> {
    const key = this.keys.frameSummaries(cameraId);
    const fileAt = Math.max(1, summary.capturedAt, latestCapturedAt);
    const superseded = summary.capturedAt < latestCapturedAt;
    const minId = Math.max(0, fileAt - this.summaryRetentionMs);
    const tx = this.redis.multi();
    if (state.memory) tx.set(this.keys.tracker(cameraId), JSON.stringify(state.memory), 'EX', 24 * 3600);
    if (state.live) addLiveFrame(tx, this.keys, cameraId, state.live);
    tx.xadd(key, 'MINID', '~', String(minId), `${fileAt}-*`, 'json', JSON.stringify(summary));
    if (!superseded) tx.set(this.keys.cameraState(cameraId), JSON.stringify(summary));
    ledgerOutcome(tx, this.keys, cameraId, summary.frameId, 'committed');
    await tx.exec().then(throwOnMultiError);
  }

  /** True while the camera is configured (the API deletes the config first when a camera is deleted). */
  async exists(cameraId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.camera(cameraId))) === 1;
  }

  /** A deleted camera's live state: latest summary and frame, history stream, tracker and rule memory, cached mask. */
  async forget(cameraId: string): Promise<void> {
    // One hash tag: one DEL, one slot, on a cluster too.
    await this.redis.del(this.keys.cameraState(cameraId), this.keys.frameSummaries(cameraId), this.keys.liveFrame(cameraId), this.keys.tracker(cameraId), this.keys.waterMask(cameraId), this.keys.reviewThrottle(cameraId));
  }

  /** A short per-camera lock so one camera's frames update the tracker one at a time. */
  async withLock<T>(cameraId: string, fn: () => Promise<T>, ttlMs = 10_000): Promise<T> {
    const key = this.keys.cameraLock(cameraId);
    const token = `${process.pid}-${Math.random()}`;
    const deadline = Date.now() + ttlMs * 2;
    while ((await this.redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
      if (Date.now() > deadline) throw new Error(`camera ${cameraId} lock not acquired within ${ttlMs * 2} ms`);
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
    }
    try {
      return await fn();
    } finally {
      // Release only our own lock (it may have expired and been taken by another worker).
      await this.redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, key, token);
    }
  }
}

export function throwOnMultiError(results: [Error | null, unknown][] | null): void {
  if (!results) throw new Error('Redis transaction aborted');
  for (const [err] of results) if (err) throw err;
}
