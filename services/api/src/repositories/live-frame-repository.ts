import { readLiveFrame, type LiveFrame, type Redis, type RedisKeys } from '@riverwatch/common';

/** Each camera's newest committed frame, as the worker keeps it for the live view. */
export class LiveFrameRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  latest(cameraId: string): Promise<LiveFrame | null> {
    return readLiveFrame(this.redis, this.keys, cameraId);
  }
}
