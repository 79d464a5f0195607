import { deleteCameraConfig, listCameras, saveCameraConfig, type CameraConfig, type Redis, type RedisKeys } from '@riverwatch/common';

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

  /** Config first, then the index, then the index's version: ingest only ever sees ids whose config exists. */
  save(camera: CameraConfig): Promise<void> {
    return saveCameraConfig(this.redis, this.keys, camera);
  }

  /** Index first, then the config (the reverse of save). */
  delete(id: string): Promise<boolean> {
    return deleteCameraConfig(this.redis, this.keys, id);
  }

  /** Ingest's status hash (strings); empty when ingest has not reported yet. */
  status(id: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.cameraStatus(id));
  }
}
