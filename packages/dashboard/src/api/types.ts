// The API's JSON as the dashboard reads it (services/api/src/schemas is the source of truth).

export type Role = 'viewer' | 'operator' | 'admin';
export type Point = [number, number];
export type Polygon = Point[];
export interface Zones {
  include: Polygon[];
  exclude: Polygon[];
}

export interface Session {
  name: string;
  role: Role;
  cameras: string[];
}

export interface AlertRules {
  minScore: number;
  minScoreByClass?: Record<string, number>;
  minCount: number;
  persistence: { n: number; m: number };
  coverage: { threshold: number; growthPerMinute: number };
  resolveAfterSeconds: number;
  cooldownSeconds: number;
  minWaterOverlap: number;
}

export interface Camera {
  id: string;
  name: string;
  /** Credentials are masked by the API. */
  sourceUrl: string;
  fps: number;
  maxWidth: number;
  zones: Zones;
  rules: AlertRules;
  detectorModel: string;
  segmenterModel: string;
  segmentEveryFrames: number;
  segmentMaxAgeSeconds: number;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export type CameraInput = Partial<Omit<Camera, 'id' | 'createdAt' | 'updatedAt' | 'rules'>> & { rules?: Partial<AlertRules> };

export interface CameraStatus {
  cameraId: string;
  state: string;
  fpsIn: number;
  fpsOut: number;
  framesIn: number;
  framesOut: number;
  drops: number;
  reconnects: number;
  stalls: number;
  lastFrameAt: number | null;
  lastError: string | null;
  updatedAt: number | null;
}

export interface Detection {
  classId: number;
  className: string;
  score: number;
  box: [number, number, number, number];
  onWater?: number;
  trackId?: number;
}

export interface LiveFrame {
  cameraId: string;
  frameId: string;
  capturedAt: number;
  width: number;
  height: number;
  detections: Detection[];
  imageUrl: string;
}

export type AlertType = 'debris' | 'accumulation' | 'camera_offline' | 'view_blocked';
export type AlertStatus = 'open' | 'acknowledged' | 'resolved' | 'rejected';
export const ALERT_TYPES: AlertType[] = ['debris', 'accumulation', 'camera_offline', 'view_blocked'];
export const ALERT_STATUSES: AlertStatus[] = ['open', 'acknowledged', 'resolved', 'rejected'];

export interface Alert {
  id: string;
  cameraId: string;
  type: AlertType;
  status: AlertStatus;
  openedAt: number;
  updatedAt: number;
  lastSeenAt: number;
  resolvedAt: number | null;
  frames: number;
  classes: Record<string, number>;
  maxCoverage: number;
  trackIds: number[];
  snapshotKey: string | null;
  acknowledgedBy: string | null;
  note: string | null;
}

export interface AlertPage {
  items: Alert[];
  nextCursor: string | null;
}

export interface HistoryBucket {
  start: number;
  frames: number;
  maxCounts: Record<string, number>;
  meanCounts: Record<string, number>;
  coverage: { mean: number; max: number };
  uniqueItems: number;
}

export type BucketName = '1m' | '1h' | '1d';

export interface History {
  cameraId: string;
  from: number;
  to: number;
  bucket: BucketName;
  bucketMs: number;
  truncated: boolean;
  buckets: HistoryBucket[];
}

export interface ModelInfo {
  name: string;
  task: string;
  format: string;
  versions: number[];
  classes: string[];
  evaluation: unknown;
}

export interface DetectResult {
  frameId: string;
  width: number;
  height: number;
  detections: Detection[];
  ignored: number;
  coverage: number;
  waterShare: number | null;
  models: { detector: string; detectorVersion: string; segmenter?: string; segmenterVersion?: string };
  latencyMs: { total: number; inference: number };
  annotatedUrl: string;
  maskUrl: string | null;
}

export interface LiveEvent {
  id: string;
  type: string;
  cameraId: string | null;
  at: number;
  data: Record<string, unknown>;
}
