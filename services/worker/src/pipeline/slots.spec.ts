import { describe, expect, it } from 'vitest';
import { Slots } from './slots.ts';

describe('Slots', () => {
  it('runs at most `size` tasks at once, the rest in arrival order, and frees a slot when a task fails', async () => {
    const slots = new Slots(2);
    const started: number[] = [];
    const release: (() => void)[] = [];
    let peak = 0;
    const task = (i: number, fail = false) =>
      slots.run(async () => {
        started.push(i);
        peak = Math.max(peak, slots.busy);
        await new Promise<void>((r) => release.push(r));
        if (fail) throw new Error(`task ${i} failed`);
        return i;
      });
    const results = [task(0, true), task(1), task(2), task(3)].map((p) => p.catch((e: Error) => e.message));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    release.shift()!(); // task 0 fails: its slot goes to task 2
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    while (release.length || started.length < 4) {
      release.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(results)).toEqual(['task 0 failed', 1, 2, 3]);
    expect(peak).toBe(2);
    expect(slots.busy).toBe(0);
  });

  it('refuses a size below one', () => {
    expect(() => new Slots(0)).toThrow(/size must be >= 1/);
  });
});
