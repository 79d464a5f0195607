import { describe, expect, it } from 'vitest';
import { emptyTrackerState, iou, updateTracks, type Box, type TrackerState } from './debris-tracker.ts';

function drift(x: number, y: number, size = 20): Box {
  return [x, y, x + size, y + size];
}

describe('debris tracker', () => {
  it('computes IoU', () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150);
  });

  it('keeps one id for one bottle drifting downstream, confirmed after minHits', () => {
    let state: TrackerState = emptyTrackerState();
    const ids: number[] = [];
    let confirmed = 0;
    for (let f = 0; f < 10; f++) {
      const u = updateTracks(state, [{ box: drift(100 + f * 8, 50), classId: 0 }], f * 100);
      state = u.state;
      ids.push(u.assigned[0]!);
      confirmed += u.newlyConfirmed.length;
    }
    expect(ids[0]).toBe(0); // not yet confirmed
    expect(new Set(ids.slice(1)).size).toBe(1);
    expect(confirmed).toBe(1);
  });

  it('keeps the id through missed frames using the motion model (debris submerges)', () => {
    let state = emptyTrackerState();
    let id = 0;
    for (let f = 0; f < 5; f++) {
      const u = updateTracks(state, [{ box: drift(100 + f * 10, 50), classId: 0 }], f * 100);
      state = u.state;
      id = u.assigned[0]!;
    }
    // submerged for 4 frames, keeps moving 10 px per frame
    for (let f = 5; f < 9; f++) state = updateTracks(state, [], f * 100).state;
    const u = updateTracks(state, [{ box: drift(100 + 9 * 10, 50), classId: 0 }], 900);
    expect(u.assigned[0]).toBe(id);
    expect(u.newlyConfirmed).toEqual([]);
  });

  it('gives two separate items two ids and drops tracks older than maxAge', () => {
    let state = emptyTrackerState();
    let u = updateTracks(state, [{ box: drift(0, 0), classId: 0 }, { box: drift(200, 200), classId: 1 }], 0);
    u = updateTracks(u.state, [{ box: drift(2, 0), classId: 0 }, { box: drift(202, 200), classId: 1 }], 100);
    expect(u.assigned[0]).not.toBe(u.assigned[1]);
    expect(u.newlyConfirmed.length).toBe(2);
    state = updateTracks(u.state, [], 100 + 6000).state;
    expect(state.tracks).toEqual([]);
  });
});
