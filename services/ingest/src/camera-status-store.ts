import type { CameraStatus, Redis, RedisKeys } from '@riverwatch/common';

/** Per-camera status as a Redis hash of strings (keys.cameraStatus), read by the API. */
export class CameraStatusStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async write(cameraId: string, status: CameraStatus): Promise<void> {
    const fields: Record<string, string> = {};
    for (const [name, value] of Object.entries(status)) {
      if (value === undefined) continue;
      fields[name] = value === null ? '' : String(value);
    }
    await this.redis.hset(this.keys.cameraStatus(cameraId), fields);
  }

  async read(cameraId: string): Promise<CameraStatus | null> {
    const h = await this.redis.hgetall(this.keys.cameraStatus(cameraId));
    if (!h.state) return null;
    const num = (v: string | undefined) => (v ? Number(v) : 0);
    return {
      state: h.state as CameraStatus['state'],
      replica: h.replica ?? '',
      fpsIn: num(h.fpsIn),
      fpsOut: num(h.fpsOut),
      framesIn: num(h.framesIn),
      framesOut: num(h.framesOut),
      drops: num(h.drops),
      reconnects: num(h.reconnects),
      corrupt: num(h.corrupt),
      stalls: num(h.stalls),
      retryInMs: num(h.retryInMs),
      lastFrameAt: h.lastFrameAt ? Number(h.lastFrameAt) : null,
      lastError: h.lastError || null,
      updatedAt: num(h.updatedAt),
    };
  }

  /** The camera was deleted: its status and in-flight bookkeeping go too. */
  async forget(cameraId: string): Promise<void> {
    await this.redis.del(this.keys.cameraStatus(cameraId), this.keys.cameraInFlight(cameraId));
  }
}
