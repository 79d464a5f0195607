import { EvidenceKeys, readCachedWaterMask, type EvidenceStore, type Redis, type RedisKeys } from '@riverwatch/common';

export interface MaskImage {
  png: Buffer;
  /** Capture time of the frame the mask was segmented from. */
  at: number;
  /** Segmenter version (known for the current mask only). */
  version: string | null;
}

/**
 * A camera's water masks: the current one (the worker's cached copy in Redis, what frames are
 * filtered with now) and the history the worker keeps in S3 (`masks/<camera>/<capture ms>.png`,
 * each re-segmentation; trimmed by retention). Keys come from camera ids, never from requests.
 */
export class WaterMaskRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly store: EvidenceStore,
  ) {}

  async current(cameraId: string): Promise<MaskImage | null> {
    const cached = await readCachedWaterMask(this.redis, this.keys, cameraId);
    return cached && { png: cached.png, at: cached.at, version: cached.version || null };
  }

  /** The newest mask segmented at or before `at`. */
  async at(cameraId: string, at: number): Promise<MaskImage | null> {
    let best: { key: string; at: number } | null = null;
    for (const key of await this.store.list('masks', EvidenceKeys.maskFolder(cameraId))) {
      const t = EvidenceKeys.maskCapturedAt(key);
      if (Number.isFinite(t) && t <= at && (!best || t > best.at)) best = { key, at: t };
    }
    if (!best) return null;
    return { png: await this.store.get('masks', best.key), at: best.at, version: null };
  }
}
