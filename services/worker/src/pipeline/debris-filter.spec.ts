import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_RULES, type Detection } from '@riverwatch/common';
import { createWaterMask } from '@riverwatch/vision';
import { filterDebris } from './debris-filter.ts';

// 100x100 frame: water in the bottom half (rows 50..99).
const mask = createWaterMask(100, 100, Uint8Array.from({ length: 100 * 100 }, (_, i) => (Math.floor(i / 100) >= 50 ? 1 : 0)));
const det = (box: Detection['box'], score = 0.9, className = 'bottle'): Detection => ({ classId: 0, className, score, box });
const camera = { rules: { ...DEFAULT_ALERT_RULES, minScore: 0.5, minScoreByClass: { foam: 0.8 }, minWaterOverlap: 0.5 }, zones: { include: [], exclude: [] } };
const frame = { width: 100, height: 100 };

describe('filterDebris', () => {
  it('keeps debris on the water and ignores debris on the bank', () => {
    const r = filterDebris([det([10, 60, 20, 70]), det([10, 10, 20, 20])], mask, camera, frame);
    expect(r.kept.map((d) => d.box)).toEqual([[10, 60, 20, 70]]);
    expect(r.kept[0]!.onWater).toBe(1);
    expect(r.ignored).toBe(1);
  });

  it('needs the configured share of the box on water', () => {
    // 40% of this box lies below row 50
    expect(filterDebris([det([10, 44, 20, 54])], mask, camera, frame).kept).toHaveLength(0);
    // 60%
    expect(filterDebris([det([10, 46, 20, 56])], mask, camera, frame).kept).toHaveLength(1);
  });

  it('applies the minimum score per class', () => {
    const r = filterDebris([det([10, 60, 20, 70], 0.6, 'bottle'), det([30, 60, 40, 70], 0.6, 'foam'), det([50, 60, 60, 70], 0.4, 'can')], mask, camera, frame);
    expect(r.kept.map((d) => d.className)).toEqual(['bottle']);
  });

  it('applies include and exclude zones', () => {
    const zones = { include: [[[0, 50], [50, 50], [50, 100], [0, 100]]] as [number, number][][], exclude: [[[0, 50], [15, 50], [15, 100], [0, 100]]] as [number, number][][] };
    const r = filterDebris([det([2, 60, 8, 66]), det([30, 60, 40, 70]), det([70, 60, 80, 70])], mask, { ...camera, zones }, frame);
    expect(r.kept.map((d) => d.box[0])).toEqual([30]);
  });

  it('measures coverage as debris area on water over the water area', () => {
    const r = filterDebris([det([0, 50, 50, 100])], mask, camera, frame);
    expect(r.waterShare).toBeCloseTo(0.5);
    expect(r.coverage).toBeCloseTo(0.5);
    // Without a mask the whole frame counts as water.
    expect(filterDebris([det([0, 50, 50, 100])], null, camera, frame).coverage).toBeCloseTo(0.25);
  });
});
