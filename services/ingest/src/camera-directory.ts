import { listCameras, type CameraConfig, type Redis, type RedisKeys } from '@riverwatch/common';

/** Reads the cameras the API wrote (ids in keys.cameraIndex, JSON at keys.camera). */
export class CameraDirectory {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  list(): Promise<CameraConfig[]> {
    return listCameras(this.redis, this.keys);
  }
}
