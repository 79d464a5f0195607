import { describe, expect, it } from 'vitest';
import type { Zones } from '../api/types.ts';
import { pointInPolygon, vertexAt, zoneAt } from './zone-geometry.ts';

const square: [number, number][] = [[10, 10], [110, 10], [110, 110], [10, 110]];
const zones: Zones = { include: [square], exclude: [[[50, 50], [70, 50], [70, 70], [50, 70]]] };

describe('zone geometry', () => {
  it('point in polygon', () => {
    expect(pointInPolygon([60, 60], square)).toBe(true);
    expect(pointInPolygon([5, 60], square)).toBe(false);
  });

  it('finds the nearest vertex within the radius, else none', () => {
    expect(vertexAt(zones, [108, 12], 5)).toEqual({ kind: 'include', index: 0, vertex: 1 });
    expect(vertexAt(zones, [90, 90], 5)).toBeNull();
  });

  it('an exclude zone inside an include zone is the one picked, as the worker lets it win', () => {
    expect(zoneAt(zones, [60, 60])).toEqual({ kind: 'exclude', index: 0 });
    expect(zoneAt(zones, [20, 20])).toEqual({ kind: 'include', index: 0 });
    expect(zoneAt(zones, [200, 200])).toBeNull();
  });
});
