import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Detection, FrameJob } from '@riverwatch/common';
import { ReviewSampler } from '../../services/worker/src/labelling/review-sampler.ts';
import { EvidenceRepository } from '../../services/worker/src/repositories/evidence.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
const unsure: Detection[] = [{ box: [10, 10, 40, 40], score: 0.3, classId: 0, className: 'bottle' }];
let seq = 0;
const frame = (cameraId: string): FrameJob => ({ cameraId, frameId: `frm-${++seq}`, capturedAt: 1_700_000_000_000 + seq, seq, width: 640, height: 360, source: 'camera' });

/**
 * The labelling loop keeps at most one uncertain frame per camera and interval, across all
 * workers (real Redis and S3). What must hold: two workers together save one frame per
 * interval; a worker that found the turn taken does not ask Redis again for every frame
 * until the turn lapses; after it lapses a frame gets through again.
 */
describe('worker: the review throttle shared by workers', () => {
  let t: TestContext;
  const logger = pino({ level: 'silent' });
  const sampler = () => new ReviewSampler(t.redis, t.keys, new EvidenceRepository(t.store), { band: [0.2, 0.4], perCameraIntervalSeconds: 1 }, logger);

  beforeAll(async () => {
    t = await createTestContext();
    await t.store.ensureBuckets();
  });
  afterAll(() => t?.cleanup());

  it('one frame per camera and interval over two workers, one Redis command per worker and interval', async () => {
    const [a, b] = [sampler(), sampler()];
    const calls = vi.spyOn(t.redis, 'call');
    expect(await a.consider(frame('cam-t'), JPEG, unsure, ['bottle'])).toBe(true);
    expect(await b.consider(frame('cam-t'), JPEG, unsure, ['bottle'])).toBe(false);
    expect(calls).toHaveBeenCalledTimes(2);
    for (let i = 0; i < 5; i++) {
      expect(await a.consider(frame('cam-t'), JPEG, unsure, ['bottle'])).toBe(false);
      expect(await b.consider(frame('cam-t'), JPEG, unsure, ['bottle'])).toBe(false);
    }
    // Both know when the turn lapses: no more throttle commands within the interval.
    expect(calls).toHaveBeenCalledTimes(2);
    // Another camera has its own turn.
    expect(await b.consider(frame('cam-u'), JPEG, unsure, ['bottle'])).toBe(true);
    expect(await t.redis.zcard(t.keys.reviewIndex())).toBe(2);

    await sleep(1100);
    const results = [await b.consider(frame('cam-t'), JPEG, unsure, ['bottle']), await a.consider(frame('cam-t'), JPEG, unsure, ['bottle'])];
    expect(results).toEqual([true, false]);
    expect(await t.redis.zcard(t.keys.reviewIndex())).toBe(3);
    calls.mockRestore();
  });

  it('a frame the model is sure about costs nothing', async () => {
    const calls = vi.spyOn(t.redis, 'call');
    expect(await sampler().consider(frame('cam-v'), JPEG, [{ ...unsure[0]!, score: 0.9 }], ['bottle'])).toBe(false);
    expect(calls).not.toHaveBeenCalled();
    calls.mockRestore();
  });
});
