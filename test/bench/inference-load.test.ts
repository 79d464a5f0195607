import { describe, expect, it } from 'vitest';
import { c1AboveFloor, interleavedLoop } from '../../bench/inference-load.ts';

/** bench:inference's c1 rows: every call's latency must land in its own row, the calls taking turns. */
describe('interleavedLoop', () => {
  it('runs one call of each per cycle, in shuffled orders, and gives each call its own latencies', async () => {
    let clock = 0;
    const order: number[] = [];
    // Call i takes i + 1 ms of the fake clock, so a latency filed under the wrong call shows.
    const calls = [0, 1, 2].map((i) => async () => {
      order.push(i);
      clock += i + 1;
    });
    const latencies = await interleavedLoop(calls, 0.6, () => clock);

    expect(latencies.map((l) => l.length)).toEqual([100, 100, 100]); // 600 ms of 6-ms cycles
    latencies.forEach((l, i) => expect(new Set(l)).toEqual(new Set([i + 1])));
    const cycles = Array.from({ length: 100 }, (_, c) => order.slice(c * 3, c * 3 + 3).join(''));
    for (const c of cycles) expect([...c].sort().join('')).toBe('012');
    // Shuffled: with a fixed order one call would always follow the same other one.
    expect(new Set(cycles).size).toBeGreaterThan(1);
  });
});

/** The c1 target's figure, for the pooled run and each round alike: what a mistake in it would hide. */
describe('c1AboveFloor', () => {
  const p50s: Record<string, number> = { 'in-process': 12.5, 'floor-in-process': 12.4, 'floor-grpc-js': 17.0, served: 17.9, 'served-shm': 17.2 };
  const at = (over: Record<string, number> = {}) => c1AboveFloor((key) => ({ ...p50s, ...over })[key]!);

  it("is the served path's overhead above in-process minus the floor's own, to 0.01 ms", () => {
    expect(at()).toEqual({ servedAboveFloorMs: 0.8, shmAboveFloorMs: 0.1, floorOverheadMs: 4.6, baselineSpreadMs: 0.1 });
  });

  it('rises with the served p50 and falls as the floor server gets slower, in-process held', () => {
    expect(at({ served: 18.9 }).servedAboveFloorMs).toBe(1.8);
    expect(at({ 'floor-grpc-js': 18.0 })).toMatchObject({ servedAboveFloorMs: -0.2, floorOverheadMs: 5.6 });
    // A faster floor (its fast mode on a 2-core machine) is what fails the target with the served path unchanged.
    expect(at({ 'floor-grpc-js': 15.4 }).servedAboveFloorMs).toBe(2.4);
  });

  it('reads a slower in-process baseline as less overhead, and reports how far the two baselines differ', () => {
    expect(at({ 'in-process': 13.0 })).toMatchObject({ servedAboveFloorMs: 0.3, baselineSpreadMs: 0.6 });
  });
});
