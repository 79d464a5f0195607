import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { tuneGcForTensorTraffic } from './gc-tuning.ts';

describe('tuneGcForTensorTraffic', () => {
  it('leaves V8 alone when INFERENCE_V8_INCREMENTAL_MARKING=true', () => {
    expect(tuneGcForTensorTraffic({ INFERENCE_V8_INCREMENTAL_MARKING: 'true' })).toBe(false);
  });

  it('turns incremental marking off once, and the heap keeps working', () => {
    expect(tuneGcForTensorTraffic({})).toBe(true);
    expect(tuneGcForTensorTraffic({})).toBe(true);
    const garbage = Array.from({ length: 64 }, () => Buffer.alloc(256 * 1024));
    expect(garbage.length).toBe(64);
    expect(getHeapStatistics().total_heap_size).toBeGreaterThan(0);
  });
});
