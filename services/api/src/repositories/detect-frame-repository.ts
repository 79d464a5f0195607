import type { Redis, RedisKeys } from '@riverwatch/common';

/** Uploaded frames travel to the worker through Redis, like camera frames; results come back the same way. */
export class DetectFrameRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async putFrame(frameId: string, bytes: Buffer, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.keys.frame(frameId), bytes, 'EX', ttlSeconds);
  }

  /** One of the worker's result images: 'annotated' (JPEG) or 'mask' (PNG). */
  resultImage(frameId: string, field: 'annotated' | 'mask'): Promise<Buffer | null> {
    return this.redis.hgetBuffer(this.keys.frameResult(frameId), field);
  }

  async hasMask(frameId: string): Promise<boolean> {
    return (await this.redis.hexists(this.keys.frameResult(frameId), 'mask')) === 1;
  }
}
