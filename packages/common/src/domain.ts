/**
 * The river domain's records as they are stored in Redis and served by the API.
 * The worker, ingest and API all read and write these shapes.
 */

import type { TilingOverride } from './model-config.ts';

/** [x, y] points in frame pixels. */
export type Polygon = [number, number][];

export interface AlertRules {
  /** Minimum detection score, default and per class name. */
  minScore: number;
  minScoreByClass?: Record<string, number>;
  /** Debris items needed in a frame for it to count as a "debris frame". */
  minCount: number;
  /** Persistence: at least n of the last m frames must be debris frames. */
  persistence: { n: number; m: number };
  /** Accumulation: share of the water surface covered (0..1) and its growth per minute. */
  coverage: { threshold: number; growthPerMinute: number };
  /** A clear camera for this long resolves an open alert. */
  resolveAfterSeconds: number;
  /** After an alert resolves, the same type does not reopen for this long. */
  cooldownSeconds: number;
  /** Share of a box that must lie on water for the detection to count. */
  minWaterOverlap: number;
}

export const DEFAULT_ALERT_RULES: AlertRules = {
  minScore: 0.35,
  minCount: 1,
  persistence: { n: 3, m: 5 },
  coverage: { threshold: 0.05, growthPerMinute: 0.02 },
  resolveAfterSeconds: 10,
  cooldownSeconds: 0,
  minWaterOverlap: 0.5,
};

export interface CameraConfig {
  id: string;
  name: string;
  /** May contain credentials: never returned by the API. */
  sourceUrl: string;
  fps: number;
  maxWidth: number;
  zones: { include: Polygon[]; exclude: Polygon[] };
  rules: AlertRules;
  detectorModel: string;
  segmenterModel: string;
  /** Run water segmentation every N frames, or when the cached mask is older than this. */
  segmentEveryFrames: number;
  segmentMaxAgeSeconds: number;
  /** Overrides the detector's tiling (config.json) for this camera. */
  tiling?: TilingOverride;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Camera settings a request may leave out; the API fills them in, the worker falls back to them. */
export function cameraDefaults(): Pick<CameraConfig, 'fps' | 'maxWidth' | 'zones' | 'segmentEveryFrames' | 'segmentMaxAgeSeconds' | 'enabled'> {
  return { fps: 1, maxWidth: 1280, zones: { include: [], exclude: [] }, segmentEveryFrames: 30, segmentMaxAgeSeconds: 60, enabled: true };
}

export type CameraState = 'connecting' | 'online' | 'offline' | 'stopped';

/** Written by ingest at keys.cameraStatus (a Redis hash of strings). */
export interface CameraStatus {
  state: CameraState;
  replica: string;
  fpsIn: number;
  fpsOut: number;
  framesIn: number;
  framesOut: number;
  drops: number;
  reconnects: number;
  corrupt: number;
  /** Times the stall watchdog restarted ffmpeg (also counted in reconnects). */
  stalls?: number;
  /** Delay before the next connection attempt while reconnecting, else 0. */
  retryInMs?: number;
  lastFrameAt: number | null;
  lastError: string | null;
  updatedAt: number;
}

export interface Detection {
  classId: number;
  className: string;
  score: number;
  /** x1, y1, x2, y2 in frame pixels. */
  box: [number, number, number, number];
  /** Share of the box that lies on water (1 when no mask is known). */
  onWater?: number;
  trackId?: number;
}

export type AlertType = 'debris' | 'accumulation' | 'camera_offline' | 'view_blocked';
export const ALERT_TYPES: readonly AlertType[] = ['debris', 'accumulation', 'camera_offline', 'view_blocked'];
export type AlertStatus = 'open' | 'acknowledged' | 'resolved' | 'rejected';

export interface AlertRecord {
  id: string;
  cameraId: string;
  type: AlertType;
  status: AlertStatus;
  openedAt: number;
  updatedAt: number;
  /** Last time the condition was observed (while open, written at most every 5 s of capture time). */
  lastSeenAt: number;
  resolvedAt: number | null;
  /** Frames that met the condition while the alert was open (the same: exact once resolved). */
  frames: number;
  lastFrameId: string | null;
  /** Peak count per class over the alert's life. */
  classes: Record<string, number>;
  maxCoverage: number;
  trackIds: number[];
  /** S3 keys (snapshots bucket); set only once the objects exist. */
  snapshotKey: string | null;
  frameKey: string | null;
  acknowledgedBy: string | null;
  note: string | null;
}

export type LiveEventType =
  | 'alert.opened'
  | 'alert.updated'
  | 'alert.resolved'
  | 'alert.acknowledged'
  | 'alert.rejected'
  | 'camera.offline'
  | 'camera.recovered'
  | 'camera.created'
  | 'camera.updated'
  | 'camera.deleted'
  | 'webhook.ping';

export interface LiveEvent {
  id: string;
  type: LiveEventType;
  cameraId: string | null;
  at: number;
  data: Record<string, unknown>;
}

export interface WebhookSubscription {
  id: string;
  url: string;
  /** Event types, or ['*'] for all. */
  events: string[];
  /** Camera ids, or [] for all cameras. */
  cameras: string[];
  /** Current secret, and during rotation the previous one (both sign). */
  secrets: string[];
  enabled: boolean;
  disabledReason: string | null;
  createdAt: number;
}

/** One entry of a camera's per-frame summary stream (field "json"). */
export interface FrameSummary {
  frameId: string;
  capturedAt: number;
  processedAt: number;
  counts: Record<string, number>;
  coverage: number;
  trackIds: number[];
  newTracks: number;
  models: Record<string, string>;
  latencyMs: number;
}

/** One bucket of a camera's history, aggregated from its frame summaries (GET /v1/cameras/:id/history). */
export interface HistoryBucket {
  start: number;
  frames: number;
  maxCounts: Record<string, number>;
  meanCounts: Record<string, number>;
  coverage: { mean: number; max: number };
  uniqueItems: number;
}
