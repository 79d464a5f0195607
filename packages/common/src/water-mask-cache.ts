import type { RedisKeys } from './keys.ts';
import type { Redis } from './redis.ts';

/**
 * A camera's current water mask as the worker caches it in Redis (hash `cam:{id}:mask`):
 * written by the worker after each segmentation, read by the worker for the frames that
 * reuse it and by the API (GET /v1/cameras/:id/mask.png).
 */
export interface CachedWaterMask {
  png: Buffer;
  /** Capture time of the frame it was segmented from. */
  at: number;
  width: number;
  height: number;
  /** Segmenter version that produced it. */
  version: string;
  /** Frames that have used it so far. */
  uses: number;
}

/** What the worker decides on before it needs the pixels: everything but the PNG. */
export type CachedWaterMaskInfo = Omit<CachedWaterMask, 'png'>;

/**
 * The cached mask without its PNG: a worker that already holds this mask decoded (same
 * capture time and version) needs no more, so the PNG crosses Redis only when it does not.
 */
export async function readCachedWaterMaskInfo(redis: Redis, keys: RedisKeys, cameraId: string): Promise<CachedWaterMaskInfo | null> {
  const [at, width, height, version, uses] = await redis.hmget(keys.waterMask(cameraId), 'at', 'width', 'height', 'version', 'uses');
  return at === null ? null : toInfo({ at, width, height, version, uses });
}

/** The hash's fields (strings or Buffers, as read) as numbers and text. */
function toInfo(h: Partial<Record<keyof CachedWaterMaskInfo, string | Buffer | null>>): CachedWaterMaskInfo {
  return { at: Number(h.at), width: Number(h.width), height: Number(h.height), version: String(h.version ?? ''), uses: Number(h.uses ?? 0) };
}

/** The cached mask's PNG alone; null when it is gone (expired, or the camera deleted). */
export async function readCachedWaterMaskPng(redis: Redis, keys: RedisKeys, cameraId: string): Promise<Buffer | null> {
  return redis.hgetBuffer(keys.waterMask(cameraId), 'png');
}

export async function readCachedWaterMask(redis: Redis, keys: RedisKeys, cameraId: string): Promise<CachedWaterMask | null> {
  const h = await redis.hgetallBuffer(keys.waterMask(cameraId));
  return h.png ? { png: h.png, ...toInfo(h) } : null;
}

/** Kept a day: a camera that stops sending frames does not hold its mask for ever. */
export async function writeCachedWaterMask(redis: Redis, keys: RedisKeys, cameraId: string, mask: CachedWaterMask): Promise<void> {
  const key = keys.waterMask(cameraId);
  const fields = { png: mask.png, at: String(mask.at), width: String(mask.width), height: String(mask.height), version: mask.version, uses: String(mask.uses) };
  await redis.multi().hset(key, fields).expire(key, 24 * 3600).exec();
}
