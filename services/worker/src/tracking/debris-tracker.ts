/**
 * SORT-style tracker: one constant-velocity track per debris item, matched to
 * new detections by IoU against the predicted box. Tracks survive missed
 * frames (debris submerges and resurfaces), so one bottle keeps one id.
 */
export type Box = [number, number, number, number];

export interface TrackedDebris {
  id: number;
  classId: number;
  /** Centre, size and velocity (pixels per second). */
  cx: number;
  cy: number;
  w: number;
  h: number;
  vx: number;
  vy: number;
  hits: number;
  missed: number;
  lastSeenAt: number;
  firstSeenAt: number;
}

export interface TrackerState {
  nextId: number;
  lastAt: number | null;
  tracks: TrackedDebris[];
}

export interface TrackerOptions {
  /** Minimum IoU between a prediction and a detection to match them. */
  iouThreshold: number;
  /** A track not seen for this long is dropped. */
  maxAgeMs: number;
  /** Hits needed before a track counts as a real item. */
  minHits: number;
  /** How much a new observation moves the velocity estimate (0..1). */
  velocityGain: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = { iouThreshold: 0.2, maxAgeMs: 5000, minHits: 2, velocityGain: 0.5 };

export function emptyTrackerState(): TrackerState {
  return { nextId: 1, lastAt: null, tracks: [] };
}

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

function predictedBox(t: TrackedDebris, at: number): Box {
  const dt = (at - t.lastSeenAt) / 1000;
  const cx = t.cx + t.vx * dt;
  const cy = t.cy + t.vy * dt;
  return [cx - t.w / 2, cy - t.h / 2, cx + t.w / 2, cy + t.h / 2];
}

export interface TrackInput {
  box: Box;
  classId: number;
}

export interface TrackUpdate {
  state: TrackerState;
  /** Track id for each input detection, in input order (0 = not yet confirmed). */
  assigned: number[];
  /** Tracks confirmed by this frame for the first time: new unique items. */
  newlyConfirmed: number[];
  /** Confirmed tracks alive after this frame (seen now or recently). */
  active: number[];
}

/** Pure: returns a new state; the caller persists it. */
export function updateTracks(prev: TrackerState, detections: TrackInput[], at: number, opts: TrackerOptions = DEFAULT_TRACKER_OPTIONS): TrackUpdate {
  const tracks = prev.tracks.filter((t) => at - t.lastSeenAt <= opts.maxAgeMs).map((t) => ({ ...t }));
  let nextId = prev.nextId;

  // Greedy matching by IoU, best pairs first (good enough for sparse debris, no Hungarian needed).
  const pairs: { ti: number; di: number; score: number }[] = [];
  tracks.forEach((t, ti) => {
    const pred = predictedBox(t, at);
    detections.forEach((d, di) => {
      const score = iou(pred, d.box);
      if (score >= opts.iouThreshold) pairs.push({ ti, di, score });
    });
  });
  pairs.sort((a, b) => b.score - a.score);
  const trackUsed = new Set<number>();
  const detUsed = new Map<number, number>();
  for (const p of pairs) {
    if (trackUsed.has(p.ti) || detUsed.has(p.di)) continue;
    trackUsed.add(p.ti);
    detUsed.set(p.di, p.ti);
  }

  const newlyConfirmed: number[] = [];
  const assigned = detections.map(() => 0);
  detUsed.forEach((ti, di) => {
    const t = tracks[ti]!;
    const [x1, y1, x2, y2] = detections[di]!.box;
    const cx = (x1 + x2) / 2;
    const cy = (y1 + y2) / 2;
    const dt = (at - t.lastSeenAt) / 1000;
    if (dt > 0) {
      t.vx += opts.velocityGain * ((cx - t.cx) / dt - t.vx);
      t.vy += opts.velocityGain * ((cy - t.cy) / dt - t.vy);
    }
    Object.assign(t, { cx, cy, w: x2 - x1, h: y2 - y1, classId: detections[di]!.classId, lastSeenAt: at, missed: 0 });
    t.hits += 1;
    if (t.hits === opts.minHits) newlyConfirmed.push(t.id);
    if (t.hits >= opts.minHits) assigned[di] = t.id;
  });
  tracks.forEach((t, ti) => {
    if (!trackUsed.has(ti)) t.missed += 1;
  });
  detections.forEach((d, di) => {
    if (detUsed.has(di)) return;
    const [x1, y1, x2, y2] = d.box;
    const t: TrackedDebris = { id: nextId++, classId: d.classId, cx: (x1 + x2) / 2, cy: (y1 + y2) / 2, w: x2 - x1, h: y2 - y1, vx: 0, vy: 0, hits: 1, missed: 0, lastSeenAt: at, firstSeenAt: at };
    tracks.push(t);
    if (opts.minHits <= 1) {
      newlyConfirmed.push(t.id);
      assigned[di] = t.id;
    }
  });
  const active = tracks.filter((t) => t.hits >= opts.minHits).map((t) => t.id);
  return { state: { nextId, lastAt: at, tracks }, assigned, newlyConfirmed, active };
}
