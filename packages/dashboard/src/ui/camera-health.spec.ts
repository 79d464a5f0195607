import { describe, expect, it } from 'vitest';
import type { CameraStatus } from '../api/types.ts';
import { cameraHealth } from './camera-health.ts';

const status = (state: string, lastFrameAt: number | null): CameraStatus => ({
  cameraId: 'c',
  state,
  fpsIn: 2,
  fpsOut: 2,
  framesIn: 1,
  framesOut: 1,
  drops: 0,
  reconnects: 0,
  stalls: 0,
  lastFrameAt,
  lastError: null,
  updatedAt: null,
});

describe('cameraHealth', () => {
  it('online while frames arrive; stalled when an online camera has sent none for several intervals', () => {
    expect(cameraHealth(status('online', 99_000), 2, 100_000)).toBe('online');
    expect(cameraHealth(status('online', 80_000), 2, 100_000)).toBe('stalled');
    // A slow camera (one frame a minute) is allowed five of its intervals.
    expect(cameraHealth(status('online', 0), 1 / 60, 200_000)).toBe('online');
  });

  it("ingest's own states pass through; no report is unknown", () => {
    expect(cameraHealth(status('offline', null), 2)).toBe('offline');
    expect(cameraHealth(status('connecting', null), 2)).toBe('connecting');
    expect(cameraHealth(null, 2)).toBe('unknown');
  });
});
