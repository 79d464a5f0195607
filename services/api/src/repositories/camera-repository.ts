import { listCameras, type CameraConfig, type Redis, type RedisKeys } from '@riverwatch/common';

/** Camera configs: JSON per camera, ids in one set that ingest watches. */
export class CameraRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  list(): Promise<CameraConfig[]> {
    return listCameras(this.redis, this.keys);
  }

  async get(id: string): Promise<CameraConfig | null> {
    const json = await this.redis.get(this.keys.camera(id));
    return json ? (JSON.parse(json) as CameraConfig) : null;
  }

  /** Config first, then the index: ingest only ever sees ids whose config exists. */
  async save(camera: CameraConfig): Promise<void> {
    await this.redis.set(this.keys.camera(camera.id), JSON.stringify(camera));
    await this.redis.sadd(this.keys.cameraIndex(), camera.id);
  }

  /** Index first, then the config (the reverse of save). */
  async delete(id: string): Promise<boolean> {
    const removed = await this.redis.srem(this.keys.cameraIndex(), id);
    const deleted = await this.redis.del(this.keys.camera(id));
    return removed + deleted > 0;
  }

  /** Ingest's status hash (strings); empty when ingest has not reported yet. */
  status(id: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.cameraStatus(id));
  }
}
