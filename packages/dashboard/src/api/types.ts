// The API's JSON as the dashboard reads it. The stored records (cameras, alerts, detections,
// history buckets, live events) are typed once in @riverwatch/common's domain.ts and imported
// here (types only, and the ALERT_TYPES list); the views only the API builds are written
// out below (services/api/src/schemas is their source of truth).
import type { AlertRecord, AlertStatus, CameraConfig, Detection, HistoryBucket } from '@riverwatch/common/domain';

export type { AlertRules, AlertStatus, AlertType, Detection, HistoryBucket, LiveEvent, Polygon } from '@riverwatch/common/domain';
export { ALERT_TYPES } from '@riverwatch/common/domain';

export type Role = 'viewer' | 'operator' | 'admin';
export type Point = [number, number];
export type Zones = CameraConfig['zones'];

export interface Session {
  name: string;
  role: Role;
  cameras: string[];
}

/** A camera as the API returns it (credentials in sourceUrl masked). */
export type Camera = CameraConfig;

export type CameraInput = Partial<Omit<Camera, 'id' | 'createdAt' | 'updatedAt' | 'rules'>> & { rules?: Partial<Camera['rules']> };

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

export interface LiveFrame {
  cameraId: string;
  frameId: string;
  capturedAt: number;
  width: number;
  height: number;
  detections: Detection[];
  imageUrl: string;
}

export const ALERT_STATUSES: AlertStatus[] = ['open', 'acknowledged', 'resolved', 'rejected'];

export type Alert = AlertRecord;

export interface AlertPage {
  items: Alert[];
  nextCursor: string | null;
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
  /** The model's input size (null for a model whose config.json gives none). */
  input: { width: number; height: number } | null;
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
