import { describe, expect, it } from 'vitest';
import type { Polygon } from '@riverwatch/common';
import { boxInZones, pointInPolygon } from './zones.ts';

const square: Polygon = [[0, 0], [10, 0], [10, 10], [0, 10]];
/** A U shape: the notch between x 4..6 above y 5 is outside. */
const u: Polygon = [[0, 0], [10, 0], [10, 10], [6, 10], [6, 5], [4, 5], [4, 10], [0, 10]];

describe('zones', () => {
  it('pointInPolygon handles convex and concave polygons', () => {
    expect(pointInPolygon([5, 5], square)).toBe(true);
    expect(pointInPolygon([15, 5], square)).toBe(false);
    expect(pointInPolygon([5, 8], u)).toBe(false);
    expect(pointInPolygon([2, 8], u)).toBe(true);
    expect(pointInPolygon([5, 2], u)).toBe(true);
  });

  it('a box counts when its centre is in an include zone and in no exclude zone', () => {
    expect(boxInZones([4, 4, 6, 6], [square], [])).toBe(true);
    expect(boxInZones([14, 4, 16, 6], [square], [])).toBe(false);
    expect(boxInZones([4, 4, 6, 6], [square], [[[3, 3], [7, 3], [7, 7], [3, 7]]])).toBe(false);
  });

  it('no include zones means the whole frame', () => {
    expect(boxInZones([100, 100, 110, 110], [], [])).toBe(true);
    expect(boxInZones([100, 100, 110, 110], [], [square])).toBe(true);
  });

  it('ignores degenerate polygons (fewer than three points) instead of matching everything', () => {
    expect(pointInPolygon([0, 0], [])).toBe(false);
    expect(pointInPolygon([1, 1], [[0, 0], [2, 2]])).toBe(false);
  });
});
