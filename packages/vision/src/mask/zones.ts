import type { Polygon } from '@riverwatch/common';

/** Even-odd ray casting; points exactly on an edge may fall either way. */
export function pointInPolygon(point: readonly [number, number], polygon: Polygon): boolean {
  const [px, py] = point;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Whether a detection counts under a camera's zones: its box centre must lie in
 * some include polygon (none = the whole frame) and in no exclude polygon.
 * The centre, not the corners: a partly submerged item's box is ragged, its centre stable.
 */
export function boxInZones(box: readonly number[], include: readonly Polygon[], exclude: readonly Polygon[]): boolean {
  const c: [number, number] = [(box[0]! + box[2]!) / 2, (box[1]! + box[3]!) / 2];
  if (include.length > 0 && !include.some((p) => pointInPolygon(c, p))) return false;
  return !exclude.some((p) => pointInPolygon(c, p));
}
