import type { RedisKeys } from './keys.ts';
import type { Detection } from './domain.ts';
import type { Redis } from './redis.ts';

/**
 * A camera's newest committed frame as the worker keeps it (hash `cam:{id}:live`): the raw
 * JPEG and the detections that passed the filter, with their track ids. Frame bytes are
 * otherwise deleted once processed; this one copy per camera is what the dashboard shows live.
 */
export interface LiveFrame {
  frameId: string;
  capturedAt: number;
  width: number;
  height: number;
  detections: Detection[];
  jpeg: Buffer;
}

/** An hour: a camera that stopped sending frames still shows its last one for a while, then nothing stale. */
export const LIVE_FRAME_TTL_SECONDS = 3600;

export async function readLiveFrame(redis: Redis, keys: RedisKeys, cameraId: string): Promise<LiveFrame | null> {
  const h = await redis.hgetallBuffer(keys.liveFrame(cameraId));
  if (!h.jpeg || !h.json) return null;
  const meta = JSON.parse(h.json.toString('utf8')) as Omit<LiveFrame, 'jpeg'>;
  return { ...meta, jpeg: h.jpeg };
}

/**
 * Writes a camera's live frame (the worker writes the same two fields in its commit script,
 * services/worker/src/repositories/camera-store.ts, with the TTL refreshed every few minutes).
 */
export async function writeLiveFrame(redis: Redis, keys: RedisKeys, cameraId: string, frame: LiveFrame): Promise<void> {
  const key = keys.liveFrame(cameraId);
  const { jpeg, ...meta } = frame;
  const results = await redis.multi().hset(key, { jpeg, json: JSON.stringify(meta) }).expire(key, LIVE_FRAME_TTL_SECONDS).exec();
  for (const [err] of results ?? []) if (err) throw err;
}
