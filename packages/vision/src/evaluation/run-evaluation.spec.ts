import { describe, expect, it } from 'vitest';
import { summariseLatency } from './run-evaluation.ts';

describe('summariseLatency', () => {
  it('gives mean, median and p95 of per-image times', () => {
    const ms = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(summariseLatency(ms)).toEqual({ meanMs: 50.5, p50Ms: 51, p95Ms: 96, images: 100 });
  });

  it('is all zeros for no images rather than NaN', () => {
    expect(summariseLatency([])).toEqual({ meanMs: 0, p50Ms: 0, p95Ms: 0, images: 0 });
  });
});
