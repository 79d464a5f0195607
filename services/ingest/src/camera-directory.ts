import type { CameraConfig, Redis, RedisKeys } from '@riverwatch/common';

/** Reads the cameras the API wrote (ids in keys.cameraIndex, JSON at keys.camera). */
export class CameraDirectory {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async list(): Promise<CameraConfig[]> {
    const ids = await this.redis.smembers(this.keys.cameraIndex());
    if (!ids.length) return [];
    // One GET per key (ioredis pipelines them on the socket), not MGET: camera keys live in different cluster slots.
    const values = await Promise.all(ids.map((id) => this.redis.get(this.keys.camera(id))));
    const cameras: CameraConfig[] = [];
    for (const json of values) {
      if (!json) continue;
      try {
        cameras.push(JSON.parse(json) as CameraConfig);
      } catch {
        // A half-written or foreign value: skipped until the API rewrites it.
      }
    }
    return cameras;
  }
}
