import { listCameras, type CameraConfig, type Redis, type RedisKeys } from '@riverwatch/common';

/** A full re-read this often even when the index's version did not move (a config written by hand). */
const RELIST_EVERY_MS = 60_000;

/**
 * Reads the cameras the API wrote (ids in keys.cameraIndex, JSON at keys.camera). Ingest's sync
 * asks every few seconds; the cameras are read again only when the index's version moved (the
 * API bumps it on every save and delete) or RELIST_EVERY_MS has passed: one GET per sync, not
 * one per camera, whatever the number of cameras and replicas.
 */
export class CameraDirectory {
  private cached: { version: string | null; at: number; cameras: CameraConfig[] } | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly relistEveryMs = RELIST_EVERY_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  async list(): Promise<CameraConfig[]> {
    const version = await this.redis.get(this.keys.cameraIndexVersion());
    const now = this.clock();
    if (this.cached && this.cached.version === version && now - this.cached.at < this.relistEveryMs) return this.cached.cameras;
    const cameras = await listCameras(this.redis, this.keys);
    this.cached = { version, at: now, cameras };
    return cameras;
  }
}
