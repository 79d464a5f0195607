import type { CameraConfig } from './domain.ts';
import type { RedisKeys } from './keys.ts';
import type { Redis } from './redis.ts';

/**
 * Saves a camera's config (JSON at keys.camera), then its id in the index, then bumps the
 * index's version: a reader only ever sees ids whose config exists, and ingest's directory
 * (which re-reads the cameras only when the version moved) sees the change at its next sync.
 */
export async function saveCameraConfig(redis: Redis, keys: RedisKeys, camera: CameraConfig): Promise<void> {
  await redis.set(keys.camera(camera.id), JSON.stringify(camera));
  await redis.sadd(keys.cameraIndex(), camera.id);
  await redis.incr(keys.cameraIndexVersion());
}

/** Deletes a camera's config in the reverse order of saveCameraConfig: index, config, version. True if there was one. */
export async function deleteCameraConfig(redis: Redis, keys: RedisKeys, id: string): Promise<boolean> {
  const removed = await redis.srem(keys.cameraIndex(), id);
  const deleted = await redis.del(keys.camera(id));
  await redis.incr(keys.cameraIndexVersion());
  return removed + deleted > 0;
}

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
