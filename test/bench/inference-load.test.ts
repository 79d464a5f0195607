import { describe, expect, it } from 'vitest';
import { interleavedLoop } from '../../bench/inference-load.ts';

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
