import { afterEach, describe, expect, it, vi } from 'vitest';
import { ShmSlots, type ShmObject } from './shared-memory.ts';

const layout = {
  inputs: [{ name: 'images', bytes: 100 }],
  outputs: [{ name: 'boxes', bytes: 30 }, { name: 'dynamic' }, { name: 'scores', bytes: 65 }],
};
const slots = (count: number) => new ShmSlots({ key: 'r' } as ShmObject, layout, count);

afterEach(() => {
  vi.useRealTimers();
});

describe('ShmSlots', () => {
  it('lays each slot out as 64-byte aligned, non-overlapping tensors; outputs of unknown size get no place', () => {
    const s = slots(3);
    expect(s.slotBytes).toBe(128 + 64 + 128);
    expect(ShmSlots.bytesFor(layout, 3)).toBe(3 * s.slotBytes);
    const spans = [0, 1, 2].flatMap((i) => [
      [s.inputOffset(i, 'images')!, 100],
      [s.outputOffset(i, 'boxes')!, 30],
      [s.outputOffset(i, 'scores')!, 65],
    ]);
    for (const [at] of spans) expect(at % 64).toBe(0);
    const sorted = spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThanOrEqual(sorted[i - 1][0] + sorted[i - 1][1]);
    expect(sorted.at(-1)![0] + sorted.at(-1)![1]).toBeLessThanOrEqual(ShmSlots.bytesFor(layout, 3));
    expect(s.outputOffset(0, 'dynamic')).toBeUndefined();
    expect(s.inputOffset(0, 'other')).toBeUndefined();
  });

  it('lends each slot to one request at a time, and holds back a slot a failed call may still write', () => {
    vi.useFakeTimers();
    const s = slots(2);
    const a = s.acquire()!;
    const b = s.acquire()!;
    expect(new Set([a, b]).size).toBe(2);
    expect(s.acquire()).toBeUndefined();
    s.release(a);
    expect(s.acquire()).toBe(a);
    s.release(b, 1000);
    expect(s.acquire()).toBeUndefined();
    vi.advanceTimersByTime(1000);
    expect(s.acquire()).toBe(b);
  });
});
