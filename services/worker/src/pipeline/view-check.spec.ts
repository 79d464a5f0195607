import { describe, expect, it } from 'vitest';
import { checkView, FROZEN_FRAMES, THUMB_HEIGHT, THUMB_WIDTH } from './view-check.ts';

const size = THUMB_WIDTH * THUMB_HEIGHT;
const noisy = (seed: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 37 + seed * 101) % 256));

describe('view check', () => {
  it('flags a covered lens (uniform image) at once', () => {
    const r = checkView(Buffer.alloc(size, 12), null, 0);
    expect(r).toMatchObject({ blocked: true, reason: 'covered' });
  });

  it('flags a frozen view only after FROZEN_FRAMES identical frames', () => {
    let frozen = 0;
    const img = noisy(1);
    const results = [];
    for (let i = 0; i < FROZEN_FRAMES + 1; i++) {
      const r = checkView(img, i === 0 ? null : img, frozen);
      frozen = r.frozenFrames;
      results.push(r.blocked);
    }
    expect(results.slice(0, FROZEN_FRAMES)).not.toContain(true);
    expect(results[FROZEN_FRAMES]).toBe(true);
  });

  it('a live river (changing frames) is not blocked', () => {
    let frozen = 0;
    for (let i = 1; i < 20; i++) {
      const r = checkView(noisy(i), noisy(i - 1), frozen);
      frozen = r.frozenFrames;
      expect(r.blocked).toBe(false);
    }
  });
});
