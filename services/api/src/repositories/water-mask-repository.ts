import type { EvidenceStore, Redis, RedisKeys } from '@riverwatch/common';

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
    const h = await this.redis.hgetallBuffer(this.keys.waterMask(cameraId));
    if (!h.png) return null;
    return { png: h.png, at: Number(h.at), version: h.version ? String(h.version) : null };
  }

  /** The newest mask segmented at or before `at`. */
  async at(cameraId: string, at: number): Promise<MaskImage | null> {
    const prefix = `${cameraId}/`;
    let best: { key: string; at: number } | null = null;
    const keys = await this.store.list('masks', prefix).catch((err: { code?: string }) => {
      if (err.code === 'NoSuchBucket') return []; // no worker has saved a mask yet
      throw err;
    });
    for (const key of keys) {
      const t = Number(key.slice(prefix.length).replace(/\.png$/, ''));
      if (Number.isFinite(t) && t <= at && (!best || t > best.at)) best = { key, at: t };
    }
    if (!best) return null;
    return { png: await this.store.get('masks', best.key), at: best.at, version: null };
  }
}
