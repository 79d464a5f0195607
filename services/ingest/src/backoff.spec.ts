import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';

describe('Backoff', () => {
  it('doubles up to the cap, with delays between half and all of each step', () => {
    const low = new Backoff(100, 1000, () => 0);
    const high = new Backoff(100, 1000, () => 0.999999);
    expect(Array.from({ length: 6 }, () => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    expect(Array.from({ length: 6 }, () => high.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('jitters: two replicas failing together do not retry in lockstep', () => {
    const seq = [0.1, 0.9];
    let i = 0;
    const b = new Backoff(1000, 60_000, () => seq[i++ % 2]);
    expect(b.next()).not.toBe(b.next() / 2);
  });

  it('starts again from the base after reset', () => {
    const b = new Backoff(100, 10_000, () => 1);
    b.next();
    b.next();
    b.next();
    expect(b.attempts).toBe(3);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('never overflows after very many failures', () => {
    const b = new Backoff(1000, 60_000, () => 1);
    for (let i = 0; i < 5000; i++) b.next();
    expect(b.next()).toBe(60_000);
  });
});
