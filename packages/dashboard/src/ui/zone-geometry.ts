import type { Point, Polygon, Zones } from '../api/types.ts';
import type { ZoneKind } from './frame-canvas.ts';

export interface VertexRef {
  kind: ZoneKind;
  index: number;
  vertex: number;
}

export function pointInPolygon([x, y]: Point, polygon: Polygon): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** The zone vertex within `radius` of the point, nearest first. */
export function vertexAt(zones: Zones, point: Point, radius: number): VertexRef | null {
  let best: (VertexRef & { d: number }) | null = null;
  for (const kind of ['include', 'exclude'] as const) {
    zones[kind].forEach((polygon, index) =>
      polygon.forEach((p, vertex) => {
        const d = distance(p, point);
        if (d <= radius && (!best || d < best.d)) best = { kind, index, vertex, d };
      }),
    );
  }
  if (!best) return null;
  const { kind, index, vertex } = best;
  return { kind, index, vertex };
}

/** The zone under the point; exclude zones first (they win in the worker too). */
export function zoneAt(zones: Zones, point: Point): { kind: ZoneKind; index: number } | null {
  for (const kind of ['exclude', 'include'] as const) {
    const index = zones[kind].findIndex((polygon) => pointInPolygon(point, polygon));
    if (index >= 0) return { kind, index };
  }
  return null;
}
