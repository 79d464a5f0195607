import type { CameraConfig } from './domain.ts';
import type { RedisKeys } from './keys.ts';
import type { Redis } from './redis.ts';

/**
 * Every configured camera (ids in keys.cameraIndex, JSON at keys.camera), oldest first.
 * One GET per camera, not MGET: camera keys carry their own hash tags, so they live in
 * different slots on Redis Cluster (ioredis pipelines the GETs on one socket anyway).
 * A half-written or foreign value is skipped until it is rewritten.
 */
export async function listCameras(redis: Redis, keys: RedisKeys): Promise<CameraConfig[]> {
  const ids = await redis.smembers(keys.cameraIndex());
  if (!ids.length) return [];
  const values = await Promise.all(ids.map((id) => redis.get(keys.camera(id))));
  const cameras: CameraConfig[] = [];
  for (const json of values) {
    if (!json) continue;
    try {
      cameras.push(JSON.parse(json) as CameraConfig);
    } catch {
      // skipped: see above
    }
  }
  return cameras.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}
